"""`nurture import-redcap`: a REDCap project's records into a bundle, or into the study database."""

from pathlib import Path

import typer

from .common import ensure_writable, fail, setup_django


def import_redcap(
    dictionary: Path = typer.Option(..., "--dictionary", help="REDCap data dictionary (CSV or the API's JSON)."),
    records: Path = typer.Option(..., "--records", help="REDCap records export, raw values (CSV or JSON)."),
    map_file: Path = typer.Option(None, "--map", help="Mapping of fields to instrument items and events (YAML)."),
    output: Path = typer.Option(None, "-o", "--output",
                                help="Bundle folder to write (default: redcap-bundle, or none with --into-study)."),
    write_map: Path = typer.Option(None, "--write-map", help="Write the mapping used (or proposed) to this file, "
                                                             "even when the import is refused."),
    into_study: str = typer.Option(None, "--into-study", metavar="SLUG",
                                   help="Load the answers into this study's assessments (source: import)."),
    by: str = typer.Option(None, "--by", metavar="USERNAME", help="With --into-study: the staff member importing "
                                                                  "(checked and audited; default: the system)."),
) -> None:
    """Read a REDCap project's data, with a summary of every field and of everything dropped.

    Safety rule hits are summarised on stderr and listed under "safety" in
    import-summary.json; with --into-study the safety rules raise real alerts.
    """
    from nurture.exports.redcap import (
        RedcapError,
        check_folder,
        import_project,
        load_mapping,
        read_project,
        starter_mapping,
        write_import,
    )
    from nurture.instruments.io import write_atomically

    if by and not into_study:
        fail("--by goes with --into-study")
    if output is None and not into_study:
        output = Path("redcap-bundle")
    if output is not None:
        ensure_writable(output, folder=True)
    if write_map is not None:
        ensure_writable(write_map)
    try:
        if output is not None:
            check_folder(output)
        project = read_project(dictionary, records)
        mapping = load_mapping(map_file) if map_file else starter_mapping(project.dictionary, project.events)
    except RedcapError as exc:
        fail(str(exc))
    if write_map is not None:
        write_atomically(write_map, mapping.to_yaml().encode("utf-8"))
        typer.echo(f"mapping written to {write_map}" + ("" if map_file else " (proposed: check every line marked "
                                                                              "CHECK, then import with --map)"))
    study = user = None
    timepoints = ("pre", "post")
    if into_study:
        setup_django()
        study, user, timepoints = _study_and_user(into_study, by)
    try:
        result = import_project(project, mapping, timepoints=timepoints)
    except RedcapError as exc:
        fail(str(exc))
    result.summary.safety = _safety(result.items)
    outcome = None
    if study is not None:
        outcome = _into_study(user, study, result, records.name)
    paths = write_import(result, output) if output is not None else []
    _report(result, outcome, paths)


def _study_and_user(slug: str, username: str | None):
    from django.contrib.auth import get_user_model

    from nurture.capture.imports import study_timepoints
    from nurture.program.models import Study

    study = Study.objects.filter(slug=slug).first()
    if study is None:
        known = ", ".join(Study.objects.values_list("slug", flat=True)) or "none"
        fail(f"--into-study: no study {slug!r} (known: {known})")
    user = None
    if username:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            fail(f"--by: no active user {username!r}")
    return study, user, study_timepoints(study)


def _into_study(user, study, result, source_name: str):
    from nurture.capture.imports import import_answers
    from nurture.common.errors import DomainError

    answers = result.all_answers().to_dict("records")
    try:
        return import_answers(user, study, answers, source_name=f"REDCap records {source_name}")
    except DomainError as exc:
        fail(f"--into-study {study.slug}: {exc} (nothing was imported)")


def _safety(items) -> list[dict]:
    from nurture.instruments import library, score_table
    from nurture.instruments.flags import flag_records

    lib = library()
    scorable = items[items["instrument"].map(lambda i: i in lib and not lib.get(i).structure_only)]
    if not len(scorable):
        return []
    return flag_records(score_table(scorable.reset_index(drop=True), lib).flags)


def _report(result, outcome, paths) -> None:
    from .score import echo_safety

    s = result.summary
    typer.echo(f"{s.rows} rows read; {s.participants} participants; {s.responses} item responses, {s.texts} open "
               f"answers; {len(s.used)} fields used, {len(s.ignored)} not imported")
    typer.echo(s.dropped_line)
    for example in s.examples:
        typer.echo(f"  first dropped: {example}")
    for note in s.notes + result.mapping.notes:
        typer.echo(f"note: {note}")
    for column, why in s.ignored.items():
        typer.echo(f"  not imported {column}: {why}")
    if outcome is not None:
        typer.echo(f"into the study: {outcome.assessments_completed} assessments completed "
                   f"({outcome.assessments_created} new), {outcome.assessments_unchanged} already there unchanged, "
                   f"{outcome.answers_saved} answers saved, {len(outcome.alerts)} safety alert(s) raised")
        for alert in outcome.alerts:
            typer.echo(f"  alert {alert.pk}: {alert.dyad.code} {alert.instrument} {alert.rule} ({alert.severity})")
    for path in paths:
        typer.echo(str(path))
    echo_safety(s.safety, stored=outcome is not None)
