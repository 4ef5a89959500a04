"""bench/console.py's generator (a year of data for the console's pages) writes rows the current schema
accepts: it writes its INSERTs by hand, so a column added to the inbox, the jobs or the problems without a
database default stops it (twice after the inbox split: ingest_error, then handled_as). Run here at a tiny
scale, it fails in CI instead of on the next person who benchmarks the console."""

from bench.console import generate, pages, seed_minimum
from sync.models import InboundEvent, Problem, SyncJob


def test_the_generator_fills_jobs_deliveries_and_problems_at_a_small_scale(db):
    seed_minimum()

    generate(jobs=60, deliveries=80, problems=12)

    assert SyncJob.objects.filter(idempotency_key__startswith="gen:").count() == 60
    assert InboundEvent.objects.count() == 80
    assert Problem.objects.filter(fingerprint__startswith="gen|").count() == 12
    # every generated delivery is complete (ingested when received), as the pages expect of old rows
    assert not InboundEvent.objects.filter(ingested_at__isnull=True).exists()
    assert set(pages()) >= {"dashboard", "exceptions", "jobs list", "problem page"}
