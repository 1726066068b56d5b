from pathlib import Path

import typer

from .common import fail


def score(
    items: Path = typer.Argument(..., help="item_responses.csv: participant_id, timepoint, instrument, item, value"),
    output: Path = typer.Option(None, "-o", "--output", help="Write scores.csv here (default: standard output)."),
) -> None:
    """Score item responses into scale scores for every instrument found."""
    from nurture.instruments import library, score_table
    from nurture.instruments.errors import ResponseError
    from nurture.instruments.io import read_item_responses, write_scores

    try:
        frame = read_item_responses(items)
        result = score_table(frame, library(), source=items.name)
    except ResponseError as exc:
        fail(str(exc))
    write_scores(result.scores, output)
    if output is not None:
        missing = int(result.scores["score"].isna().sum())
        typer.echo(f"Scored {len(result.scores)} scales for {frame['participant_id'].nunique()} participants "
                   f"({missing} missing) -> {output}", err=True)
    if len(result.flags):
        counts = result.flags.groupby("severity").size().to_dict()
        typer.echo("Safety flags: " + ", ".join(f"{n} {sev}" for sev, n in sorted(counts.items())), err=True)
