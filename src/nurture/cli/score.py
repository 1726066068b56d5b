from pathlib import Path

import typer

from .common import ensure_writable, fail


def score(
    items: Path = typer.Argument(..., help="item_responses.csv: participant_id, timepoint, instrument, item, value"),
    output: Path = typer.Option(None, "-o", "--output", help="Write scores.csv here (default: standard output)."),
) -> None:
    """Score item responses into scale scores for every instrument found.

    Safety rule hits (with participant ids) are summarised on stderr, so scores on
    standard output stay clean; nothing is stored and no alert is raised.
    """
    from nurture.instruments import library, score_table
    from nurture.instruments.errors import ResponseError
    from nurture.instruments.io import read_item_responses, relocate, write_scores

    if output is not None:
        ensure_writable(output)
    try:
        frame = read_item_responses(items)
    except ResponseError as exc:
        fail(str(exc))
    try:
        result = score_table(frame, library(), source=items.name, row_offset=0, categorical=True)
    except ResponseError as exc:
        fail(str(relocate(exc, frame, items.name)))
    write_scores(result.scores, output)
    if output is not None:
        missing = int(result.scores["score"].isna().sum())
        typer.echo(f"Scored {len(result.scores)} scales for {frame['participant_id'].nunique()} participants "
                   f"({missing} missing) -> {output}", err=True)
    echo_safety(result.flags)  # summarised from the frame: no record per hit is needed here


def echo_safety(hits, *, stored: bool = False) -> None:
    """The safety summary on stderr (nothing when there are no hits): ``hits`` are
    ``flag_records`` or the flags frame itself."""
    from nurture.instruments.flags import summary_lines

    if len(hits):
        for line in summary_lines(hits, stored=stored):
            typer.echo(line, err=True)
