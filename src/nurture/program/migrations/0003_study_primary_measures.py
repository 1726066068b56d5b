from django.db import migrations, models

import nurture.program.models


class Migration(migrations.Migration):

    dependencies = [
        ('program', '0002_site_time_zone'),
    ]

    operations = [
        migrations.AddField(
            model_name='study',
            name='primary_measures',
            field=models.CharField(blank=True, help_text='Declared before the analysis: comma-separated instrument:scale (e.g. epds:total, pss:total). p values are then adjusted across these; the other measures are descriptive.', max_length=200, validators=[nurture.program.models.validate_measures]),
        ),
    ]
