"""Official item wording, installed by a licensed site outside the package.

The package ships only our paraphrased labels. A site with a licence writes a
wording file (YAML, per language) and installs it with
``nurture instruments load-wording ID FILE``; it is copied into the wording folder
(``$NURTURE_WORDING_DIR``, default ``var/wording``) as ``ID.LANG.yaml``. Consumers ask
:func:`has_official_wording` / :func:`item_text` and show a placeholder notice until
the wording is there.

Wording file format::

    instrument: epds
    language: en
    source: "Licensed copy received 2026-01-10 from ..."
    items:
      "1": "…official text of item 1…"
      …
    options:            # optional: official response texts per item
      "1": ["…", "…", "…", "…"]
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from .errors import DefinitionError
from .model import Instrument


def wording_dir() -> Path:
    return Path(os.environ.get("NURTURE_WORDING_DIR") or Path(os.environ.get("NURTURE_VAR_DIR", "var")) / "wording")


def validate_wording(inst: Instrument, path: Path) -> dict:
    """Check a wording file against the definition; returns its parsed content."""
    source = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except IsADirectoryError:
        raise DefinitionError(source, "", "is a folder, not a wording file") from None
    except OSError as exc:
        raise DefinitionError(source, "", f"cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DefinitionError(source, "", "is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise DefinitionError(source, "", f"is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise DefinitionError(source, "", "must be a mapping")
    if data.get("instrument") != inst.id:
        raise DefinitionError(source, "instrument", f"is {data.get('instrument')!r}, expected {inst.id!r}")
    language = data.get("language")
    if language not in inst.languages:
        raise DefinitionError(source, "language", f"must be one of {', '.join(inst.languages)}")
    items = data.get("items")
    if not isinstance(items, dict):
        raise DefinitionError(source, "items", "must map item ids to their official text")
    items = {str(k): v for k, v in items.items()}
    for item in inst.items:
        text = items.get(item.id)
        if not isinstance(text, str) or not text.strip():
            raise DefinitionError(source, f"items.{item.id}", "official text is missing")
    unknown = sorted(set(items) - {i.id for i in inst.items})
    if unknown:
        raise DefinitionError(source, f"items.{unknown[0]}", f"{inst.short_name} has no such item")
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise DefinitionError(source, "options", "must map item ids to lists of response texts")
    for item_id, texts in options.items():
        item_id = str(item_id)
        if item_id not in items:
            raise DefinitionError(source, f"options.{item_id}", f"{inst.short_name} has no such item")
        item = inst.item(item_id)
        if not isinstance(texts, list) or len(texts) != len(item.options) or not all(
                isinstance(t, str) and t.strip() for t in texts):
            raise DefinitionError(source, f"options.{item_id}", f"needs {len(item.options)} response texts")
    data["items"] = items
    return data


def install_wording(inst: Instrument, path: Path, target: Path | None = None) -> Path:
    data = validate_wording(inst, path)
    folder = target or wording_dir()
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{inst.id}.{data['language']}.yaml"
    dest.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    dest.chmod(0o640)
    return dest


def load_wording(inst: Instrument, language: str, folder: Path | None = None) -> dict | None:
    path = (folder or wording_dir()) / f"{inst.id}.{language}.yaml"
    if not path.exists():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def has_official_wording(inst: Instrument, language: str = "en", folder: Path | None = None) -> bool:
    """False while the instrument still shows our placeholder labels in ``language``."""
    if inst.id == "feedback":  # our own questionnaire: its labels are the wording
        return True
    return load_wording(inst, language, folder) is not None


_UNREAD = object()


def item_text(inst: Instrument, item_id: str, language: str = "en", folder: Path | None = None, *,
              wording=_UNREAD) -> str:
    """The official text when installed, else our paraphrased label.

    ``wording``: what :func:`load_wording` gave for this instrument and language, when the
    caller has read it already (a page of questions reads it once).
    """
    if wording is _UNREAD:
        wording = load_wording(inst, language, folder)
    if wording:
        return wording["items"][item_id]
    return inst.item(item_id).label.get(language) or inst.item(item_id).label["en"]
