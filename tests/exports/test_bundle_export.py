"""Bundles from the database: de-identification that leaks nothing, audit, manifest, round trip."""

import datetime as dt
import json
import zipfile

import pytest

from nurture.accounts.models import AuditEvent
from nurture.analysis.bundle import BundleError, load_bundle
from nurture.analysis.results import analyse
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.capture.models import Score
from nurture.common.errors import NotPermitted
from nurture.exports.bundle import collect, export_bundle, live_bundle
from nurture.instruments import library
from nurture.participants.models import InfantIdentifiers, MotherIdentifiers
from nurture.program import domain as program
from nurture.program.enums import AttendanceStatus
from nurture.reports.catalogue import build_catalogue

from .. import factories as f

NOW = dt.datetime(2026, 1, 3, 18, tzinfo=dt.UTC)


@pytest.fixture
def study_data(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    MotherIdentifiers.objects.filter(mother=world.dyad1.mother).update(
        address="17 Unmistakable Lane", phone="555-7788", email="aurelia.leakwell@example.org")
    InfantIdentifiers.objects.filter(infant__dyad=world.dyad1).update(first_name="Zebedee",
                                                                      date_of_birth=dt.date(2025, 9, 14))
    dyad3 = f.make_enrolled(world.study, world.site_a, world.cohort1, first_name="Third", last_name="Person")
    for k, dyad in enumerate((world.dyad1, world.dyad2, dyad3)):
        pre = capture.schedule_assessment(world.coordinator, dyad, Timepoint.PRE)
        capture.save_answers(pre, "gad7", f.all_items("gad7", 2), now=NOW)
        capture.save_answers(pre, "epds", f.epds_answers(), now=NOW)
        capture.submit_assessment(pre, now=NOW)
        if dyad != world.dyad2:
            post = capture.schedule_assessment(world.coordinator, dyad, Timepoint.POST)
            capture.save_answers(post, "gad7", f.all_items("gad7", 1) | {"1": str(k)}, now=NOW)
            capture.submit_assessment(post, now=NOW)
    session = world.cohort1.sessions.get(week=1, component="mother")
    program.record_attendance(None, session, world.dyad1, AttendanceStatus.PRESENT)
    return world


def identifiers(world):
    yield from ("Aurelia", "Leakwell", "Bettina", "Hidden", "Zebedee", "17 Unmistakable Lane", "555-7788",
                "555-0199", "aurelia.leakwell@example.org", "leak@example.org", "1995-06-01", "2025-09-14",
                world.dyad1.code, world.dyad2.code, "2025-12-01", "2025-12-08")


def test_a_de_identified_zip_contains_no_identifier_anywhere(study_data, tmp_path):
    path, data = export_bundle(study_data.coordinator, study_data.study, tmp_path / "b", deidentified=True,
                               as_zip=True, free_text=False)
    raw = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        contents = b"".join(zf.read(n) for n in zf.namelist())
    for secret in identifiers(study_data):
        assert secret.encode() not in contents, secret
        assert secret.encode() not in raw, secret
    assert b"Third" not in contents
    people = data.tables["participants.csv"]
    assert all(p.startswith("P-") for p in people["participant_id"])
    assert set(people["enrolled_on"]) == {"0"}  # day offsets from enrollment
    assert len(data.key) == 3 and {study_data.dyad1.code, study_data.dyad2.code} < set(data.key.values())


def test_the_pseudonym_key_stays_on_the_server_and_changes_per_export(study_data, tmp_path, settings):
    _, first = export_bundle(study_data.coordinator, study_data.study, tmp_path / "one", deidentified=True)
    _, second = export_bundle(study_data.coordinator, study_data.study, tmp_path / "two", deidentified=True)
    assert set(first.key).isdisjoint(second.key)
    keys = list((settings.VAR_DIR / "export-keys").iterdir())
    assert len(keys) == 2 and all(k.stat().st_mode & 0o077 == 0 for k in keys)
    assert not any("export-keys" in str(p) for p in (tmp_path / "one").iterdir())


def test_free_text_is_left_out_unless_asked_with_a_warning(study_data):
    post = capture.schedule_assessment(study_data.coordinator, study_data.dyad2, Timepoint.POST)
    capture.save_answers(post, "feedback", {"open_helpful": "Talking with Zebedee's nurse"}, now=NOW)
    capture.submit_assessment(post, now=NOW)
    quiet = collect(study_data.coordinator, study_data.study, deidentified=True)
    assert quiet.tables["feedback.csv"].empty and "left out" in quiet.warnings[0]
    loud = collect(study_data.coordinator, study_data.study, deidentified=True, free_text=True)
    # names known to the study are replaced, as in the text coders see
    assert loud.tables["feedback.csv"]["text"].tolist() == ["Talking with [name]'s nurse"]
    assert "other identifying details may remain" in loud.warnings[0]
    identified = collect(study_data.coordinator, study_data.study, deidentified=False)
    assert identified.tables["feedback.csv"]["text"].tolist() == ["Talking with Zebedee's nurse"]


def test_researchers_can_only_export_de_identified_and_facilitators_not_at_all(study_data, tmp_path):
    with pytest.raises(NotPermitted, match="only export de-identified"):
        collect(study_data.researcher, study_data.study, deidentified=False)
    collect(study_data.researcher, study_data.study, deidentified=True)
    with pytest.raises(NotPermitted):
        collect(study_data.facilitator, study_data.study, deidentified=True)


def test_an_export_never_includes_another_sites_dyads(study_data):
    data = collect(study_data.coordinator, study_data.study, deidentified=False)
    assert study_data.dyad_b.code not in set(data.tables["participants.csv"]["participant_id"])


def test_every_export_is_audited(study_data, tmp_path):
    export_bundle(study_data.coordinator, study_data.study, tmp_path / "b", deidentified=True)
    event = AuditEvent.objects.get(action="export")
    assert event.user == study_data.coordinator
    assert event.after["deidentified"] is True
    assert event.after["rows"]["scores.csv"] == Score.objects.current().filter(
        assessment__dyad__site=study_data.site_a).count()


def test_the_manifest_lists_versions_rows_and_digests_and_tampering_is_refused(study_data, tmp_path):
    path, data = export_bundle(study_data.coordinator, study_data.study, tmp_path / "b", deidentified=False)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["instruments"]["gad7"] == {"version": "2006", "scoring_version": "gad7-1"}
    assert manifest["files"]["scores.csv"]["rows"] == len(data.tables["scores.csv"])
    load_bundle(path)
    text = (path / "scores.csv").read_text().replace(",14,7,", ",4,7,")
    assert text != (path / "scores.csv").read_text()
    (path / "scores.csv").write_text(text)
    with pytest.raises(BundleError, match="does not match its SHA-256"):
        load_bundle(path)


def without_run_details(results):
    return {k: v for k, v in results.items() if k not in ("generated_at", "input")}


@pytest.mark.parametrize("deidentified", [False, True])
def test_round_trip_export_then_analyze_gives_the_live_results(study_data, tmp_path, deidentified):
    catalogue = build_catalogue(library())
    path, _ = export_bundle(study_data.coordinator, study_data.study, tmp_path / "b", deidentified=deidentified)
    from_files = analyse(load_bundle(path), catalogue, n_boot=200, seed=1)
    live = analyse(live_bundle(study_data.coordinator, study_data.study, deidentified=deidentified), catalogue,
                   n_boot=200, seed=1)
    if deidentified:  # pseudonyms differ per export; everything else must agree
        for r in (from_files, live):
            r["efficacy"]["missing_data"]["pre_only"] = len(r["efficacy"]["missing_data"]["pre_only"])
            r["feasibility"]["attendance"]["per_dyad"] = sorted(r["feasibility"]["attendance"]["per_dyad"].values())
    assert without_run_details(from_files) == without_run_details(live)
    gad = next(m for m in live["efficacy"]["measures"] if m["instrument"] == "gad7")
    assert (gad["n"], gad["n_pre_only"]) == (2, 1)
    assert live["feasibility"]["flow"]["overall"]["completed_pre"] == 3


def test_the_evaluation_page_and_downloads(study_data, client_for, tmp_path):
    client = client_for(study_data.researcher)
    report = client.get("/evaluation/report/")
    assert report.status_code == 200
    html = report.content.decode()
    assert "Preliminary efficacy" in html and "Leakwell" not in html and study_data.dyad1.code not in html
    download = client.post("/evaluation/bundle/", {})
    assert download.status_code == 200 and download["Content-Disposition"].endswith('deidentified-bundle.zip"')
    assert client.post("/evaluation/bundle/", {"identified": "1"}).status_code == 403
    assert AuditEvent.objects.filter(action="export", user=study_data.researcher).count() == 1
    assert client_for(study_data.facilitator).get("/evaluation/").status_code == 403


def test_typed_reasons_are_free_text_too(study_data):
    from nurture.participants import domain as participants
    from nurture.participants.enums import EnrollmentStatus

    participants.change_status(None, study_data.dyad2, EnrollmentStatus.WITHDRAWN,
                               effective_on=dt.date(2026, 1, 2), reason="Moved in with Zebedee's grandmother")
    quiet = collect(study_data.coordinator, study_data.study, deidentified=True)
    assert "Zebedee" not in quiet.tables["participants.csv"].to_csv()
    assert "reason withheld (free text)" in set(quiet.tables["participants.csv"]["withdrawal_reason"])
    identified = collect(study_data.coordinator, study_data.study, deidentified=False)
    assert "Moved in with Zebedee's grandmother" in set(identified.tables["participants.csv"]["withdrawal_reason"])
