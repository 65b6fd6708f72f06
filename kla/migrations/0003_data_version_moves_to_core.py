"""DataVersion now belongs to core (core/migrations/0001_initial.py); the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("kla", "0002_data_version"), ("core", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DataVersion")],
        ),
    ]
