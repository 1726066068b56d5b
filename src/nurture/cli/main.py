"""Entry point of the ``nurture`` command."""

from __future__ import annotations

import typer

from . import analyze, demo, init, instruments, score, serve

app = typer.Typer(
    name="nurture",
    help="Run and evaluate the Nurturing Connections mother-infant group program.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("init")(init.init)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("score")(score.score)
app.command("analyze")(analyze.analyze)
app.add_typer(instruments.app, name="instruments")


def run() -> None:
    app()
