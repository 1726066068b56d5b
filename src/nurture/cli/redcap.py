from pathlib import Path

import typer

from .common import fail


def import_redcap(
    dictionary: Path = typer.Option(..., "--dictionary", help="REDCap data dictionary (CSV)."),
    records: Path = typer.Option(..., "--records", help="REDCap records export, raw values (CSV)."),
    map_file: Path = typer.Option(None, "--map", help="Mapping of fields to instrument items and events (YAML)."),
    output: Path = typer.Option(Path("redcap-bundle"), "-o", "--output", help="Bundle folder to write."),
    write_map: Path = typer.Option(None, "--write-map", help="Write the (starter) mapping used to this file."),
) -> None:
    """Read a REDCap project's data into a bundle (item_responses.csv), with a summary of every field."""
    from nurture.exports.redcap import RedcapError, import_records, load_mapping, write_import

    try:
        mapping = load_mapping(map_file) if map_file else None
        result, summary, used_mapping = import_records(dictionary, records, mapping)
    except RedcapError as exc:
        fail(str(exc))
    if write_map:
        write_map.write_text(used_mapping.to_yaml(), encoding="utf-8")
        typer.echo(f"mapping written to {write_map}" + ("" if map_file else " (starter mapping: check it)"))
    paths = write_import(result, summary, output)
    typer.echo(f"{summary.rows} rows read; {summary.responses} item responses; {len(summary.used)} fields used, "
               f"{len(summary.ignored)} ignored; missing codes: {summary.missing_codes or 'none'}")
    for column, why in summary.ignored.items():
        typer.echo(f"  ignored {column}: {why}")
    for path in paths:
        typer.echo(str(path))
