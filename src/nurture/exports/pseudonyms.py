"""Pseudonyms for de-identified exports: one key per export call, linkable only on purpose.

Every file written by one ``nurture export`` call (bundle, SPSS, Stata, Excel, REDCap)
uses the same key, so the same mother has the same pseudonym in all of them. A new
call draws new pseudonyms — files from two calls cannot be linked — unless the call is
given ``--key FILE``: then the pseudonyms in that file are reused and new dyads are
added to it. The key (pseudonym → study id) never goes into an export; a copy of every
call's key stays on the server under ``var/export-keys/``, readable by its owner only.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
from pathlib import Path

from django.conf import settings

from nurture.common.errors import DomainError

PSEUDONYM = re.compile(r"^P-[0-9A-F]{8}$")
HEADER = ["pseudonym", "study_id"]


def keys_dir() -> Path:
    return Path(os.environ.get("NURTURE_EXPORT_KEYS_DIR") or Path(settings.VAR_DIR) / "export-keys")


class PseudonymKey:
    """Study id → pseudonym for one export call (or for several, through a key file)."""

    def __init__(self, known: dict[str, str] | None = None, source: Path | None = None):
        self._by_code: dict[str, str] = dict(known or {})
        self._used = set(self._by_code.values())
        self._known = set(self._by_code)
        self._asked: set[str] = set()
        self.source = source

    @property
    def reused(self) -> int:
        """Dyads of this call whose pseudonym came from the key file."""
        return len(self._asked & self._known)

    @property
    def added(self) -> int:
        """Dyads of this call given a new pseudonym."""
        return len(self._asked - self._known)

    def pseudonym_for(self, code: str) -> str:
        self._asked.add(code)
        alias = self._by_code.get(code)
        if alias is not None:
            return alias
        while True:
            alias = f"P-{secrets.token_hex(4).upper()}"
            if alias not in self._used:
                break
        self._by_code[code] = alias
        self._used.add(alias)
        return alias

    def as_rows(self) -> list[tuple[str, str]]:
        return sorted((alias, code) for code, alias in self._by_code.items())

    def __len__(self) -> int:
        return len(self._by_code)

    @classmethod
    def load(cls, path: Path) -> PseudonymKey:
        """Read a key file written by an earlier export (refusing anything that is not one)."""
        path = Path(path)
        if not path.exists():
            return cls(source=path)
        if path.is_dir():
            raise DomainError(f"--key {path}: is a folder, not a key file")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise DomainError(f"--key {path}: is not a key file (not UTF-8 text)") from None
        rows = list(csv.reader(io.StringIO(text)))
        if not rows or [c.strip() for c in rows[0]] != HEADER:
            raise DomainError(f"--key {path}: is not a key file (its header must be pseudonym,study_id)")
        known: dict[str, str] = {}
        seen: set[str] = set()
        for line, row in enumerate(rows[1:], start=2):
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) != 2 or not PSEUDONYM.match(row[0].strip()) or not row[1].strip():
                raise DomainError(f"--key {path}, row {line}: expected a pseudonym (P- and 8 hex digits) and a "
                                  "study id")
            alias, code = row[0].strip(), row[1].strip()
            if alias in seen or code in known:
                raise DomainError(f"--key {path}, row {line}: {alias if alias in seen else code} appears twice")
            seen.add(alias)
            known[code] = alias
        return cls(known, source=path)

    def save(self, path: Path) -> Path:
        """Write the key (owner-only), whole or not at all."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(self.as_rows())
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(buf.getvalue())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        path.chmod(0o600)
        return path

    def save_server_copy(self, export_id: str) -> Path:
        return self.save(keys_dir() / f"{export_id}.csv")
