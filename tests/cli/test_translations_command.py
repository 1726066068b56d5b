"""``nurture translations``: a site starts a new language without touching code, and a
broken catalog is refused with one line naming the file."""

from babel.messages.pofile import read_po
from typer.testing import CliRunner

from nurture.cli.main import app
from nurture.common.catalogs import available_languages

runner = CliRunner()


def test_a_new_language_starts_from_every_message_and_becomes_available(settings, tmp_path):
    settings.LOCALE_DIR = tmp_path
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS[1:]]
    result = runner.invoke(app, ["translations", "new", "fr"])
    assert result.exit_code == 0, result.output
    po = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert {"Participants", "Safety alerts", "Send my answers"} <= ids
    assert not any(m.string if isinstance(m.string, str) else any(m.string) for m in catalog if m.id)
    assert ("fr", "Français") in available_languages(settings.LOCALE_PATHS)
    assert runner.invoke(app, ["translations", "new", "fr"]).exit_code == 2  # never overwritten
    compiled = runner.invoke(app, ["translations", "compile"])
    assert compiled.exit_code == 0 and (po.with_suffix(".mo")).exists()


def test_a_broken_catalog_is_one_line_naming_the_file(settings, tmp_path):
    po = tmp_path / "de" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "Participants"\nmsgid "Cohorts"\nmsgstr "Kohorten"\n', encoding="utf-8")
    settings.LOCALE_PATHS = [tmp_path]
    result = runner.invoke(app, ["translations", "compile"])
    assert result.exit_code == 2
    assert str(po) in result.output and len(result.output.strip().splitlines()) == 1
