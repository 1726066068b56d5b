"""A wake-up call that reaches the scheduler loop from any process of one installation.

``nurture serve`` answers requests in several worker processes, and exactly one of them
runs the background jobs (:mod:`nurture.jobs`). A mother's risk answer saved by another
worker queues alert messages; :meth:`Wakeup.set` then tells the scheduler loop, wherever
it runs, to send them at once instead of at its next timed pass.

Within a process it is a :class:`threading.Event`. Across processes the loop's process
:meth:`~Wakeup.listen`\\ s on a Unix datagram socket named after the installation's
``var`` folder (an abstract name on Linux, a file in the temporary folder elsewhere) and
every ``set`` also sends one byte to it. Sending never blocks and never fails a request:
when nothing listens (a command, a test, a platform without Unix sockets) the byte is
dropped and the loop's timed pass picks the messages up.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import tempfile
import threading


def _address(key: str) -> str | bytes | None:
    if not hasattr(socket, "AF_UNIX"):
        return None
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    if sys.platform.startswith("linux"):
        return b"\0nurture-jobs-" + digest.encode()
    return os.path.join(tempfile.gettempdir(), f"nurture-jobs-{digest}.sock")


class Wakeup:
    """``set`` / ``clear`` / ``wait`` like an event; ``listen`` makes other processes' ``set`` reach it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._listening: socket.socket | None = None
        self._sender: socket.socket | None = None
        self._lock = threading.Lock()

    @staticmethod
    def key() -> str:
        from django.conf import settings

        return str(os.path.realpath(settings.VAR_DIR))

    def set(self) -> None:
        """Wake the loop in this process, and the one in another process if there is one."""
        self._event.set()
        if self._listening is not None:
            return  # the loop runs here
        address = _address(self.key())
        if address is None:
            return
        try:
            with self._lock:
                if self._sender is None:
                    self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                    self._sender.setblocking(False)
                self._sender.sendto(b"!", address)
        except OSError:
            pass  # nobody listens, or its queue is full: the timed pass sends the messages

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def listen(self) -> bool:
        """Receive other processes' wake-up calls (the scheduler loop's process calls this once).

        Side effects: binds the socket and starts a daemon thread. Returns False where
        Unix sockets are missing or the name is taken; wake-ups then stay in-process.
        """
        address = _address(self.key())
        if address is None or self._listening is not None:
            return self._listening is not None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            if isinstance(address, str) and os.path.exists(address):
                os.unlink(address)  # left by a loop that died; the caller holds the jobs lock
            sock.bind(address)
        except OSError:
            sock.close()
            return False
        self._listening = sock

        def receive() -> None:
            while True:
                try:
                    sock.recv(64)
                except OSError:
                    return
                self._event.set()

        threading.Thread(target=receive, name="nurture-wakeup", daemon=True).start()
        return True
