"""A data version per scope.

The one row there was is forgotten first: it was written with an explicit id that
PostgreSQL's sequence never saw, so the next row would have taken the same id. The numbers are
derived state; "all" is made again, at a random number, on the next request.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunSQL("DELETE FROM kla_dataversion", migrations.RunSQL.noop),
        migrations.AddField(
            model_name="dataversion",
            name="scope",
            field=models.CharField(max_length=40, unique=True, default="all", verbose_name="scope"),
            preserve_default=False,
        ),
    ]
