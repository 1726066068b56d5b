"""Entry point of the ``nurture`` command."""

from __future__ import annotations

import typer

from . import (
    agreement,
    analyze,
    assessments,
    audit,
    demo,
    export,
    init,
    instruments,
    operations,
    redcap,
    schemes,
    score,
    serve,
    translations,
)
from .common import NurtureGroup

app = typer.Typer(
    name="nurture",
    cls=NurtureGroup,
    help="Run and evaluate the Nurturing Connections mother-infant group program.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rendering it with rich costs more than half a second of imports per call.
    rich_markup_mode=None,
)
app.command("init")(init.init)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("score")(score.score)
app.command("analyze")(analyze.analyze)
app.command("agreement")(agreement.agreement)
app.command("export")(export.export)
app.command("import-redcap")(redcap.import_redcap)
app.command("survey-link")(assessments.survey_link)
app.command("alerts")(assessments.alerts)
app.command("audit")(audit.audit)
app.command("backup")(operations.backup)
app.command("restore")(operations.restore)
app.command("check")(operations.check)
app.command("send-reminders")(assessments.send_reminders)
app.command("send-notifications")(assessments.send_notifications)
app.command("escalate-alerts")(assessments.escalate_alerts)
app.add_typer(instruments.app, name="instruments")
app.add_typer(schemes.app, name="schemes")
app.add_typer(translations.app, name="translations")


def run() -> None:
    app()
