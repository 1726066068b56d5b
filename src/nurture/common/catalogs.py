"""Translation catalogs: which languages a site has, and compiling ``.po`` into ``.mo``.

Every interface text (staff and survey pages) goes through Django's gettext. A
language is available when a catalog exists for it — ours under
``src/nurture/locale/``, or a site's own under ``$NURTURE_LOCALE_DIR`` (default
``var/locale``) — so a site adds a language by adding a ``.po`` file, with no code
change (``docs/translating.md``). The ``.mo`` files are compiled at install
(``nurture translations compile``, run by ``make`` and ``nurture init``) with Babel,
so no system gettext is needed to run Nurture.
"""

from __future__ import annotations

from pathlib import Path

#: The language the interface is written in; it needs no catalog.
SOURCE_LANGUAGE = "en"


def to_language(locale_dir_name: str) -> str:
    """``pt_BR`` (a catalog folder) → ``pt-br`` (a language code), as Django does."""
    lang, _, country = locale_dir_name.partition("_")
    return f"{lang.lower()}-{country.lower()}" if country else lang.lower()


def catalog_files(paths) -> list[Path]:
    """Every ``<lang>/LC_MESSAGES/django.po`` under the given locale folders."""
    found = []
    for base in paths:
        base = Path(base)
        if base.is_dir():
            found += sorted(base.glob("*/LC_MESSAGES/django.po"))
    return found


def language_name(code: str) -> str:
    """A language's own name, capitalised (``Español``, ``Français``); the code when unknown."""
    from django.conf.locale import LANG_INFO

    info = LANG_INFO.get(code) or LANG_INFO.get(code.split("-")[0]) or {}
    name = info.get("name_local") or code
    return name[:1].upper() + name[1:]


def available_languages(paths, wanted: list[str] | None = None) -> list[tuple[str, str]]:
    """``[(code, own name), …]``: English, then every language with a catalog, in code
    order — or exactly ``wanted`` (``NURTURE_LANGUAGES``), each of which must have one."""
    have = {to_language(p.parent.parent.name) for p in catalog_files(paths)} | {SOURCE_LANGUAGE}
    if wanted:
        missing = [code for code in wanted if code not in have]
        if missing:
            raise ValueError(f"no translation catalog for {', '.join(missing)} "
                             f"(have: {', '.join(sorted(have))}); see docs/translating.md")
        codes = wanted
    else:
        codes = [SOURCE_LANGUAGE] + sorted(have - {SOURCE_LANGUAGE})
    return [(code, language_name(code)) for code in codes]


def compile_catalogs(paths, *, force: bool = False) -> list[Path]:
    """Compile every ``django.po`` into the ``django.mo`` beside it when the ``.mo`` is
    missing or older. Returns the ``.mo`` files written. Raises ``ValueError`` naming the
    file and line of a catalog that cannot be read."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import PoFileError, read_po

    written = []
    for po in catalog_files(paths):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as handle:
                catalog = read_po(handle, abort_invalid=True)
        except (PoFileError, UnicodeDecodeError) as exc:
            raise ValueError(f"{po}: {exc}") from None
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo)
    return written
