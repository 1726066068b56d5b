"""The interface speaks through gettext catalogs: Spanish is shipped complete for staff
and survey pages, a staff member switches language with the footer's switch, and a
catalog's placeholders match its English."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

import nurture
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint

from .. import factories as f

SPANISH = Path(nurture.__file__).parent / "locale" / "es" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _catalog():
    with SPANISH.open("rb") as handle:
        return [m for m in read_po(handle) if m.id]


def test_the_spanish_catalog_is_complete_with_the_same_placeholders():
    messages = _catalog()
    assert len(messages) > 300
    for m in messages:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(strings) and not m.fuzzy, m.id
        assert {tuple(sorted(PLACEHOLDER.findall(s))) for s in strings} <= {
            tuple(sorted(PLACEHOLDER.findall(i))) for i in ids}, m.id


def test_staff_pages_switch_to_spanish_and_back(world, client_for):
    client = client_for(world.coordinator)
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(self_harm_keyed=1))
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/participants/"})
    assert response.status_code == 302 and response.url == "/participants/"
    html = client.get("/participants/").content.decode()
    assert '<html lang="es">' in html and "Participantes" in html and "Cerrar sesión" in html
    assert "alerta de seguridad abierta" in html  # plural forms from the catalog
    page = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert "Formulario en papel" in page and "Puntuaciones" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Participants" in client.get("/participants/").content.decode()


def test_an_unknown_language_is_refused_and_english_stays(world, client_for):
    client = client_for(world.coordinator)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()


def test_every_interface_text_in_the_code_is_in_the_spanish_catalog(tmp_path):
    """Gather the texts from a copy of the code as ``make messages`` does (GNU xgettext,
    installed by ``make test``): none may be new (untranslated) or changed (fuzzy)."""
    import shutil
    import subprocess
    import sys

    source = Path(nurture.__file__).parent
    copy = tmp_path / "nurture"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "library", "static"))
    subprocess.run([sys.executable, "-m", "django", "makemessages", "--settings=nurture.settings", "-l", "es",
                    "--no-wrap", "--no-obsolete", "--add-location=file"], cwd=copy, check=True,
                   capture_output=True)
    with (copy / "locale" / "es" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        gathered = [m for m in read_po(handle) if m.id]
    missing = [m.id for m in gathered if m.fuzzy or not all(m.string if isinstance(m.string, tuple)
                                                            else (m.string,))]
    assert missing == [], "run `make messages` and translate: " + repr(missing[:10])
    assert len(gathered) == len(_catalog())
