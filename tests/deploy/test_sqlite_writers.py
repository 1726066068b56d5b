"""Writers on the embedded SQLite database queue on a file lock (nurture.common.sqlite).

SQLite's own busy handler sleeps between tries (up to 100 ms each), so a crowd of saves
left the cores idle; a writing transaction now holds an exclusive ``flock`` on
``<database>.writelock`` from BEGIN until commit or rollback, and the next writer is woken
the moment it is released. These tests hold a transaction open in another process — the
way gunicorn's workers share the database — and look at the lock from here.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

WRITER = textwrap.dedent("""
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "nurture.settings"
    import django
    django.setup()
    from django.db import connection, connections, transaction
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS note (text TEXT)")
    print(connection.vendor, type(connections["default"]).__module__, flush=True)
    while (outcome := sys.stdin.readline().strip()) != "show":  # one transaction per line
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO note VALUES (%s)", [outcome])
                print("inside", flush=True)
                sys.stdin.readline()  # held open until the test says go on
                if outcome == "fail":
                    raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        print("after", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM note ORDER BY rowid")
        print(",".join(row[0] for row in cursor.fetchall()), flush=True)
""")


def _free(lock: Path) -> bool:
    """True when an exclusive lock on ``lock`` can be taken right now (then it is given back)."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing gives the lock back
    return True


@pytest.fixture
def writer(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["NURTURE_VAR_DIR"] = str(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", WRITER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    yield proc, tmp_path / "nurture.sqlite3.writelock"
    proc.kill()
    proc.wait(timeout=30)


def _say(proc, line: str = "") -> str:
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


def test_a_writing_transaction_holds_the_lock_until_it_commits_or_rolls_back(writer):
    proc, lock = writer
    assert proc.stdout.readline().split() == ["sqlite", "nurture.common.sqlite.base"]
    assert _free(lock), "no transaction yet"
    for outcome, gone in (("commit", "committing"), ("fail", "rolling back"), ("commit", "committing")):
        assert _say(proc, outcome) == "inside"
        assert not _free(lock), "another writer must wait while a transaction is open"
        assert _say(proc) == "after"
        assert _free(lock), f"{gone} gives the lock back"
    assert _say(proc, "show") == "commit,commit", "the rolled-back write is gone, the others kept"


def test_a_waiting_writer_goes_on_when_the_lock_is_given_back(writer):
    """While the test holds the lock, the other process's transaction cannot begin."""
    proc, lock = writer
    proc.stdout.readline()
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        proc.stdin.write("commit\n")
        proc.stdin.flush()
        os.set_blocking(proc.stdout.fileno(), False)
        time.sleep(0.5)
        assert proc.stdout.readline() == "", "the writer began while another held the lock"
        os.set_blocking(proc.stdout.fileno(), True)
    finally:
        os.close(fd)
    assert proc.stdout.readline().strip() == "inside"
    assert not _free(lock)
    assert _say(proc) == "after"
    assert _say(proc, "show") == "commit"


def test_writes_go_on_when_the_lock_file_cannot_be_opened(writer):
    """A lock file that cannot be opened (here: a folder in its place) must never stop a
    save; SQLite's own waiting applies and the server log says why."""
    proc, lock = writer
    proc.stdout.readline()
    lock.mkdir()
    assert _say(proc, "commit") == "inside"
    assert _say(proc) == "after"
    assert _say(proc, "show") == "commit"


def test_a_writer_waits_no_longer_than_the_database_timeout(tmp_path):
    """A transaction that never ends (a hung command) must not hold every save for good:
    after the database ``timeout`` the writer goes on unqueued, as SQLite alone would."""
    from django.db.utils import ConnectionHandler

    handler = ConnectionHandler({"default": {"ENGINE": "nurture.common.sqlite", "NAME": str(tmp_path / "db.sqlite3"),
                                             "OPTIONS": {"timeout": 0.3, "transaction_mode": "IMMEDIATE"}}})
    conn = handler["default"]
    lock = tmp_path / "db.sqlite3.writelock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another writer holds the queue
        start = time.monotonic()
        conn._acquire_write_lock()
        waited = time.monotonic() - start
        assert not conn._lock_held and waited >= 0.3, "it gave up the queue only after the timeout"
        fcntl.flock(fd, fcntl.LOCK_UN)
        conn._acquire_write_lock()
        assert conn._lock_held and not _free(lock)
        conn._release_write_lock()
        assert _free(lock)
    finally:
        os.close(fd)
        conn.close()


def test_a_write_outside_a_transaction_queues_and_a_read_does_not(tmp_path, django_db_blocker):
    """A single statement that writes outside a transaction (the background loop marks a
    message sent that way) is a transaction of its own: it waits in the queue, not in
    SQLite's busy handler, where a save holding the queue could sleep behind it. A read
    goes on at once, and the lock is given back after the statement."""
    import threading

    from django.db.utils import ConnectionHandler

    def connect():
        return ConnectionHandler({"default": {"ENGINE": "nurture.common.sqlite", "NAME": str(tmp_path / "db.sqlite3"),
                                              "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"}}})["default"]

    with django_db_blocker.unblock():  # its own database file, not the test database
        reader = connect()
        with reader.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("CREATE TABLE note (text TEXT)")
        lock = tmp_path / "db.sqlite3.writelock"
        written, outcome = threading.Event(), []

        def write():
            writer = connect()
            try:
                with writer.cursor() as cursor:
                    cursor.execute("UPDATE note SET text = text")
                    cursor.execute("INSERT INTO note VALUES (%s)", ["alone"])
                outcome.append(writer._lock_held)
            finally:
                writer.close()
                written.set()

        fd = os.open(lock, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # another writer holds the queue
            thread = threading.Thread(target=write)
            thread.start()
            assert not written.wait(0.5), "the write went on while another held the queue"
            with reader.cursor() as cursor:  # a read does not wait
                cursor.execute("SELECT count(*) FROM note")
                assert cursor.fetchone() == (0,)
            fcntl.flock(fd, fcntl.LOCK_UN)
            assert written.wait(10)
            thread.join()
        finally:
            os.close(fd)
        assert outcome == [False], "the queue is given back after each statement"
        assert _free(lock)
        with reader.cursor() as cursor:
            cursor.execute("SELECT text FROM note")
            assert cursor.fetchall() == [("alone",)]
        reader.close()
