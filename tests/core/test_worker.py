import pytest
from django.db import close_old_connections
from django_q.tasks import async_task

from opsconsole.core.models import WorkerHeartbeat
from tests.support.processes import qcluster, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_real_qcluster_runs_an_enqueued_task():
    # given a task enqueued through the ORM broker
    async_task("opsconsole.core.tasks.worker_heartbeat", "test-worker")
    assert not WorkerHeartbeat.objects.exists()

    # when a real cluster runs
    with qcluster():

        def seen():
            close_old_connections()
            return WorkerHeartbeat.objects.filter(name="test-worker").first()

        beat = wait_for(seen, timeout=90, message="the heartbeat task to run")

    # then the task ran in another process
    import os

    assert beat.pid != os.getpid()
