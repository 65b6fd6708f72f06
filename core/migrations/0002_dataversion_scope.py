"""A data version per scope: the one row there was becomes the district-wide scope "all"."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        # The default names the existing row (there is at most one) before the column becomes
        # unique; new rows always name their scope.
        migrations.AddField(
            model_name="dataversion",
            name="scope",
            field=models.CharField(default="all", max_length=40, verbose_name="scope"),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="dataversion",
            name="scope",
            field=models.CharField(max_length=40, unique=True, verbose_name="scope"),
        ),
    ]
