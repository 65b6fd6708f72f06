"""DataVersion moves here from kla, table and rows unchanged: only Django's state moves."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    # kla made the table; this migration only takes it over.
    dependencies = [("kla", "0002_data_version")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DataVersion",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("value", models.BigIntegerField(default=0, verbose_name="value")),
                    ],
                    options={
                        "verbose_name": "data version",
                        "verbose_name_plural": "data versions",
                        "db_table": "kla_dataversion",
                    },
                ),
            ],
        ),
    ]
