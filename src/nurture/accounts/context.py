"""Where an action comes from, for the audit log: a web request (address and browser), a
command (the operating-system user and the command line), or the server's own jobs.

The origin is set once — by :class:`~nurture.accounts.middleware.AuditContextMiddleware`
for each request, by the ``nurture`` command at start — and every audit entry written
while it holds carries it, without each domain function passing it along.
"""

from __future__ import annotations

import getpass
import os
import shlex
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# accounts.enums.Channel values; plain strings so the command line can set its origin
# before Django is loaded.
WEB, CLI, SYSTEM = "web", "cli", "system"


@dataclass(frozen=True)
class Origin:
    channel: str
    ip_address: str | None = None
    user_agent: str = ""
    os_user: str = ""
    command: str = ""


_current: ContextVar[Origin | None] = ContextVar("nurture_audit_origin", default=None)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user with no name
        return f"uid {os.getuid()}"


def command_line(argv: list[str] | None = None) -> str:
    argv = list(sys.argv if argv is None else argv)
    if argv:
        argv[0] = os.path.basename(argv[0])
    return " ".join(shlex.quote(a) for a in argv)[:300]


def from_request(request) -> Origin:
    from nurture.common.proxy import client_ip

    return Origin(WEB, ip_address=client_ip(request),
                  user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


def from_command(argv: list[str] | None = None) -> Origin:
    return Origin(CLI, os_user=os_user(), command=command_line(argv))


def current() -> Origin:
    """The origin in force; outside any request or command, the process itself (a background job)."""
    origin = _current.get()
    return origin if origin is not None else Origin(SYSTEM, os_user=os_user(), command=command_line())


def set_origin(origin: Origin):
    return _current.set(origin)


@contextmanager
def acting_from(origin: Origin):
    token = _current.set(origin)
    try:
        yield origin
    finally:
        _current.reset(token)
