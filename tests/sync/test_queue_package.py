"""The webhook path writes its queue entry itself (one SQL statement with the event and the job); the
package it builds must be what django-q2's own async_task builds, or workers would not run it."""

import pytest
from django_q.models import OrmQ
from django_q.signing import SignedPackage
from django_q.tasks import async_task

from sync.services.jobs import TASK, queue_package


@pytest.mark.django_db
def test_the_package_matches_what_async_task_enqueues():
    async_task(TASK, "webhook:1:abc", task_name="job webhook:1:abc", q_options={"group": "orders"})
    theirs = OrmQ.objects.get().task
    ours = SignedPackage.loads(queue_package("webhook:1:abc", group="orders"))

    assert set(ours) == set(theirs)
    for key in ("func", "args", "kwargs", "group", "name", "ack_failure"):
        assert ours.get(key) == theirs.get(key), key
    assert ours["id"] != theirs["id"]
