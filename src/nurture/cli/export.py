from pathlib import Path

import typer

from .common import fail, setup_django


def export(
    bundle: Path = typer.Option(None, "--bundle", help="Write a study bundle into this folder (or .zip with --zip)."),
    deidentified: bool = typer.Option(False, "--deidentified", help="No identifiers, pseudonyms, day offsets."),
    as_zip: bool = typer.Option(False, "--zip", help="Write one zip file instead of a folder."),
    free_text: bool = typer.Option(False, "--free-text", help="Include free-text answers in a de-identified bundle."),
    study: str = typer.Option(None, "--study", help="Study slug (default: the only study)."),
) -> None:
    """Export the database as a study bundle (DESIGN §5.3). Audited."""
    setup_django()
    from nurture.common.errors import DomainError
    from nurture.exports.bundle import export_bundle
    from nurture.program.models import Study

    if bundle is None:
        fail("say what to export: --bundle DIR")
    studies = Study.objects.all() if study is None else Study.objects.filter(slug=study)
    if studies.count() != 1:
        slugs = ", ".join(Study.objects.values_list("slug", flat=True)) or "none"
        fail(f"choose a study with --study (known: {slugs})" if study is None or not studies else
             f"no study {study!r}")
    try:
        path, data = export_bundle(None, studies.get(), bundle, deidentified=deidentified, as_zip=as_zip,
                                   free_text=free_text)
    except DomainError as exc:
        fail(str(exc))
    for warning in data.warnings:
        typer.echo(f"warning: {warning}", err=True)
    rows = ", ".join(f"{name.removesuffix('.csv')} {len(t)}" for name, t in data.tables.items())
    typer.echo(f"{path}  ({rows})")
