"""``nurture translations``: the interface's translation catalogs (docs/translating.md)."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from .common import fail, setup_django

app = typer.Typer(help="Translation catalogs of the interface: list, start a new language, compile.",
                  no_args_is_help=True)

SHIPPED_TEMPLATE = "es"  # our complete catalog; a new language starts from its messages


def _locale_paths() -> list[Path]:
    setup_django()
    from django.conf import settings

    return [Path(p) for p in settings.LOCALE_PATHS]


@app.command("compile")
def compile_(force: bool = typer.Option(False, "--force", help="Compile even when the .mo file is newer.")) -> None:
    """Compile every catalog (.po) into the file the server reads (.mo)."""
    from nurture.common.catalogs import compile_catalogs

    try:
        written = compile_catalogs(_locale_paths(), force=force)
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write a compiled catalog: {exc}")
    typer.echo(f"Compiled {len(written)} catalog(s)." if written else "Catalogs are up to date.")


@app.command("list")
def list_() -> None:
    """The languages of the interface and how much of each catalog is translated."""
    from babel.messages.pofile import read_po
    from django.conf import settings

    from nurture.common.catalogs import catalog_files, to_language

    paths = _locale_paths()
    files = {to_language(p.parent.parent.name): p for p in reversed(catalog_files(paths))}
    for code, name in settings.LANGUAGES:
        po = files.get(code)
        if po is None:
            typer.echo(f"{code:<6} {name:<12} source language")
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle)
        messages = [m for m in catalog if m.id]
        done = sum(1 for m in messages if m.string and (all(m.string) if isinstance(m.string, tuple) else True)
                   and not m.fuzzy)
        typer.echo(f"{code:<6} {name:<12} {done}/{len(messages)} translated  {po}")


@app.command("new")
def new(language: str = typer.Argument(..., help="Language code, e.g. fr or pt_BR")) -> None:
    """Start a catalog for a new language in the site's locale folder (NURTURE_LOCALE_DIR):
    every message of the interface, untranslated, ready for a translator."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po
    from django.conf import settings

    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", language):
        fail(f"{language!r} is not a language code (use e.g. fr, vi or pt_BR)")
    paths = _locale_paths()
    target = Path(settings.LOCALE_DIR) / language / "LC_MESSAGES" / "django.po"
    if target.exists():
        fail(f"{target} already exists; edit it, then run `nurture translations compile`")
    template = next(Path(p) / SHIPPED_TEMPLATE / "LC_MESSAGES" / "django.po" for p in reversed(paths)
                    if (Path(p) / SHIPPED_TEMPLATE / "LC_MESSAGES" / "django.po").exists())
    with template.open("rb") as handle:
        source = read_po(handle)
    catalog = Catalog(locale=language, project="Nurture", charset="utf-8")
    for message in source:
        if message.id:
            catalog.add(message.id, string=("", "") if message.pluralizable else "", locations=message.locations,
                        flags=message.flags - {"fuzzy"}, auto_comments=message.auto_comments,
                        context=message.context)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        write_po(handle, catalog, width=100)
    typer.echo(f"Wrote {target} with {len(catalog)} messages to translate. Fill in each msgstr, then run "
               "`nurture translations compile` and restart the server.")
