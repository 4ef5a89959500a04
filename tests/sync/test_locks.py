"""Subject locks: stable keys across processes, held per session and released."""

from django.db import connections

from sync.locks import job_lock_key, subject_lock, subject_lock_key, subject_lock_release, subject_lock_try


def test_keys_are_the_same_in_every_process_and_differ_per_shop_and_subject():
    # a fixed value: Python's hash() is salted per process, the blake2b digest is not
    assert subject_lock_key("1:order:42") == 3337049595894987395
    assert job_lock_key(1, "order:42") == 3337049595894987395
    assert job_lock_key(2, "order:42") != job_lock_key(1, "order:42")


def test_a_lock_held_by_one_session_is_refused_to_another_until_released(db):
    key = subject_lock_key("test:lock")
    other = connections.create_connection("default")
    try:
        with subject_lock(key), other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            assert cursor.fetchone()[0] is False
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            assert cursor.fetchone()[0] is True
        assert subject_lock_try(key) is False  # now the other session holds it
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        assert subject_lock_try(key) is True
        subject_lock_release(key)
    finally:
        other.close()
