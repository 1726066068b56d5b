"""Django's SQLite backend, with writing transactions queued on an operating-system lock.

SQLite lets one writer at a time hold its lock. A writer that finds it taken waits in
SQLite's busy handler, which *sleeps* — 1, 2, 5, 10 … up to 100 ms between tries — so
under a crowd of mothers saving pages at once the cores sit idle while saves wait out
sleeps long after the lock was freed. Here every writing transaction (``BEGIN
IMMEDIATE``, which Django issues for ``transaction.atomic``) first takes an exclusive
``flock`` on ``<database>.writelock``, across threads and across gunicorn's worker
processes alike; a waiting writer tries again every 2 ms at most, so it goes on almost
the moment the lock is given back. The lock is released when the transaction commits or
rolls back, or the connection closes. A writer that waited the database ``timeout``
(20 s) goes on unqueued, and a lock that cannot be taken never stops a save.

A statement that writes outside a transaction (``Model.objects.filter(...).update()`` in
autocommit, as the background loop sends alert messages) is a transaction of its own,
and queues the same way: before, it met the queue's writers in SQLite's busy handler,
and a save holding the queue could sleep there behind it. Readers (WAL) are not queued.
Where ``fcntl`` does not exist (Windows) and for in-memory databases (tests) this is
Django's backend unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time

from django.db.backends.sqlite3 import base

logger = logging.getLogger("nurture.database")

try:
    import fcntl
except ImportError:  # Windows: waitress runs one process there, and SQLite's handler queues it
    fcntl = None


#: How a statement that writes begins (SQLite's REPLACE included).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class QueuedCursor(base.SQLiteCursorWrapper):
    """Django's cursor, whose writing statements outside a transaction take the queue."""

    database: DatabaseWrapper

    def execute(self, query, params=None):
        if not self.database.writes_alone(query):
            return super().execute(query, params)
        with self.database.queued():
            return super().execute(query, params)

    def executemany(self, query, param_list):
        if not self.database.writes_alone(query):
            return super().executemany(query, param_list)
        with self.database.queued():
            return super().executemany(query, param_list)


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_pid: int | None = None
    _lock_held = False
    _warned = False

    def _write_lock_path(self) -> str | None:
        if fcntl is None or self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}.writelock"

    def _acquire_write_lock(self) -> None:
        path = self._write_lock_path()
        if path is None or (self._lock_held and self._lock_pid == os.getpid()):
            return
        if self._lock_fd is None or self._lock_pid != os.getpid():  # a forked worker opens its own
            try:
                # flock needs no write access: an operator's command run as another user
                # can queue on a lock file the server made, and the other way round.
                self._lock_fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                self._warn(exc.strerror)
                return
            self._lock_pid = os.getpid()
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not self._wait_for_write_lock():
                return
        except OSError as exc:  # e.g. a file system without flock: never stop a save for it
            self._warn(f"{exc.strerror}")
            return
        self._lock_held = True

    def _wait_for_write_lock(self) -> bool:
        """Try again every few milliseconds (a hundredth of SQLite's longest sleep) for as
        long as SQLite itself would wait (the database ``timeout``); False when that
        passed, and the transaction begins unqueued, where SQLite's own waiting decides:
        a writer that never finishes cannot hold every save for longer than before."""
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        delay = 0.0002
        while time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(2 * delay, 0.002)
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                continue
            except OSError:
                return False
        logger.warning("A writer waited %.0f s for the SQLite write queue; going on unqueued", timeout)
        return False

    def _warn(self, why: str) -> None:
        if not DatabaseWrapper._warned:
            logger.warning("SQLite writers are not queued (%s: %s); SQLite's own waiting applies",
                           self._write_lock_path(), why)
            DatabaseWrapper._warned = True

    def _release_write_lock(self) -> None:
        if self._lock_held and self._lock_fd is not None and self._lock_pid == os.getpid():
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            except OSError:  # after a commit, never turn a stored answer into an error page;
                with contextlib.suppress(OSError):  # closing the file gives the lock back anyway
                    os.close(self._lock_fd)
                self._lock_fd = self._lock_pid = None
        self._lock_held = False

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=QueuedCursor)
        cursor.database = self
        return cursor

    def writes_alone(self, query: str) -> bool:
        """A statement that writes, outside any transaction (which would hold the queue already)."""
        return self.autocommit and not self._lock_held and query.lstrip()[:6].upper().startswith(_WRITES)

    @contextlib.contextmanager
    def queued(self):
        """Hold the queue for one statement."""
        self._acquire_write_lock()
        try:
            yield
        finally:
            self._release_write_lock()

    def _start_transaction_under_autocommit(self):
        self._acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
            if self._lock_fd is not None and self._lock_pid == os.getpid():
                os.close(self._lock_fd)
            self._lock_fd = self._lock_pid = None
