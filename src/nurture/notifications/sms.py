"""Text messages through a small provider interface.

``NURTURE_SMS_URL`` chooses the backend:

- ``console://`` — print messages (the development default);
- ``file:///path/to/folder`` — append each message to a file in that folder;
- ``memory://`` — keep them in :data:`outbox` (tests);
- ``twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=%2B15550100`` — Twilio's REST API
  over HTTPS (``&api=`` overrides the base URL, which tests point at a local server);
- ``none://`` or unset in production — no text messages (the admin warns when a site
  lists mobiles anyway).

Tests never use the network: they use ``memory://`` or a local HTTP server.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

outbox: list[dict] = []

_PHONE = re.compile(r"^\+?[0-9(][0-9 ().-]{1,30}$")


def normalise_phone(text: str) -> str | None:
    """A number in the form phones dial and providers accept, or None when it is not one.

    International form (``+15550100199``) for numbers with a country code; ten-digit
    numbers, and eleven digits starting with 1, are North American (+1); short service
    numbers (911, 988) stay as they are.
    """
    text = (text or "").strip()
    if not _PHONE.match(text):
        return None
    digits = re.sub(r"[^0-9]", "", text)
    if not 3 <= len(digits) <= 15:
        return None
    if text.startswith("+"):
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return digits


def validate_phone(text: str) -> None:
    """Model and form validator: a phone number Nurture can dial or text."""
    from django.core.exceptions import ValidationError

    if text and normalise_phone(text) is None:
        raise ValidationError(f"{text!r} is not a phone number Nurture can use (digits, spaces, + ( ) . - only; "
                              "no extensions), e.g. +1 555 010 0199.")


class SMSError(Exception):
    """A message the provider did not take. ``permanent`` when retrying cannot help
    (a number it refuses, bad credentials), so the message is given up at once."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Backend:
    name = "base"

    def send(self, to: str, body: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class NoBackend(Backend):
    name = "none"

    def send(self, to: str, body: str) -> None:
        raise SMSError("text messages are not configured (NURTURE_SMS_URL)")


class ConsoleBackend(Backend):
    name = "console"

    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"--- SMS to {to} ---\n{body}\n")
        sys.stdout.flush()


class MemoryBackend(Backend):
    name = "memory"

    def send(self, to: str, body: str) -> None:
        outbox.append({"to": to, "body": body})


class FileBackend(Backend):
    name = "file"

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, to: str, body: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "sms.log").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"at": dt.datetime.now(dt.UTC).isoformat(), "to": to, "body": body}) + "\n")


class TwilioBackend(Backend):
    name = "twilio"

    def __init__(self, account: str, token: str, sender: str, api: str, timeout: float):
        self.account, self.token, self.sender = account, token, sender
        self.api, self.timeout = api.rstrip("/"), timeout

    def send(self, to: str, body: str) -> None:
        url = f"{self.api}/2010-04-01/Accounts/{urllib.parse.quote(self.account)}/Messages.json"
        data = urllib.parse.urlencode({"To": to, "From": self.sender, "Body": body}).encode()
        auth = base64.b64encode(f"{self.account}:{self.token}".encode()).decode()
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Authorization": f"Basic {auth}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            # 4xx other than "too many requests" will fail the same way next time.
            raise SMSError(f"provider answered {exc.code}: {detail}",
                           permanent=400 <= exc.code < 500 and exc.code != 429) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SMSError(f"provider unreachable: {exc}") from None


def parse_url(url: str | None, *, timeout: float = 20) -> Backend:
    """The backend named by an SMS URL; ``ValueError`` with a clear message for a bad one."""
    if not url:
        return NoBackend()
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    if parts.scheme == "none":
        return NoBackend()
    if parts.scheme == "console":
        return ConsoleBackend()
    if parts.scheme == "memory":
        return MemoryBackend()
    if parts.scheme == "file":
        if not parts.path:
            raise ValueError("file:// needs a folder, e.g. file:///var/lib/nurture/sms")
        return FileBackend(parts.path)
    if parts.scheme == "twilio":
        sender = (query.get("from") or [""])[0]
        if not (parts.username and parts.password and sender):
            raise ValueError("twilio:// needs ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=+1555…")
        api = (query.get("api") or [f"https://{parts.hostname or 'api.twilio.com'}"])[0]
        return TwilioBackend(urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password),
                             sender, api, timeout)
    raise ValueError(f"unknown SMS scheme {parts.scheme!r} (use console, file, memory, twilio or none)")


def backend() -> Backend:
    from django.conf import settings

    return parse_url(settings.SMS_URL, timeout=settings.EMAIL_TIMEOUT or 20)
