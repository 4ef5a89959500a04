"""The job engine: SyncJob rows are the truth, django-q2 only carries job keys.

One module per responsibility: ``queue`` (making and enqueueing jobs), ``queue_adapter`` (the two places
that rely on django-q2 and Django internals, checked at start-up), ``claim`` (one conditional UPDATE and the
subject lock), ``run`` (one attempt), ``classify`` (what an error means, backoff, fingerprints),
``attempts`` (recording an attempt's outcome), ``problems`` (the one place a Problem changes), ``replay``,
``sweep``, ``context`` (what a flow gets), ``clients`` / ``throttle_store`` / ``mappings`` /
``connection_marks`` (what the context is built from).
"""
