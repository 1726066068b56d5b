from django.db import migrations, models


def existing_reasons_are_other(apps, schema_editor):
    """Withdrawals and losses recorded before reason categories existed count as "other reason"."""
    Dyad = apps.get_model("participants", "Dyad")
    Dyad.objects.filter(status__in=["withdrawn", "lost"]).exclude(end_reason="").update(end_reason_code="other")


class Migration(migrations.Migration):

    dependencies = [
        ('participants', '0002_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='dyad',
            name='end_reason_code',
            field=models.CharField(blank=True, choices=[('schedule', 'Schedule or time commitment'), ('work_or_school', 'Returned to work or school'), ('transport', 'Transport or distance'), ('moved', 'Moved away'), ('infant_health', "Infant's health"), ('mother_health', "Mother's health or a higher level of care"), ('other_service', 'Chose another service'), ('not_interested', 'No longer interested or not a good fit'), ('family', 'Family circumstances or wishes'), ('no_contact', 'Could not be contacted'), ('other', 'Other reason')], help_text='Why the family declined, withdrew or was lost.', max_length=20, verbose_name='reason (category)'),
        ),
        migrations.AddField(
            model_name='statusevent',
            name='reason_code',
            field=models.CharField(blank=True, choices=[('schedule', 'Schedule or time commitment'), ('work_or_school', 'Returned to work or school'), ('transport', 'Transport or distance'), ('moved', 'Moved away'), ('infant_health', "Infant's health"), ('mother_health', "Mother's health or a higher level of care"), ('other_service', 'Chose another service'), ('not_interested', 'No longer interested or not a good fit'), ('family', 'Family circumstances or wishes'), ('no_contact', 'Could not be contacted'), ('other', 'Other reason')], max_length=20),
        ),
        migrations.RunPython(existing_reasons_are_other, migrations.RunPython.noop),
    ]
