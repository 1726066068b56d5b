"""Safety settings gather per site: the on-call list moves from the site, the escalation
time from the study settings (the shortest of the site's studies); existing alerts get
their lifecycle status and topic."""

from django.db import migrations

TOPICS = {"self_harm": "self_harm", "incipient_abuse": "infant_safety", "safety_item_unanswered": "unanswered"}


def forward(apps, schema_editor):
    Site = apps.get_model("program", "Site")
    SiteSafety = apps.get_model("safety", "SiteSafety")
    StudySettings = apps.get_model("capture", "StudySettings")
    Alert = apps.get_model("safety", "Alert")
    for site in Site.objects.all():
        minutes = [s.escalation_minutes for s in StudySettings.objects.filter(study__sites=site)]
        row, _ = SiteSafety.objects.get_or_create(site=site)
        row.on_call_emails = site.on_call_emails
        if minutes:
            row.escalation_minutes = min(minutes)
        row.save()
    for alert in Alert.objects.all():
        alert.status = "acknowledged" if alert.acknowledged_at else "open"
        alert.topic = TOPICS.get(alert.rule, "distress")
        alert.save(update_fields=["status", "topic"])


class Migration(migrations.Migration):

    dependencies = [
        ("safety", "0002_alert_lifecycle"),
        ("program", "0001_initial"),
        ("capture", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
