"""Who answers becomes one stored statement: per-unit and coordinator roles.

Until now the roles were lead and support, and "every kecamatan answers" was re-derived in
about ten places from the question's flags and the unit's kind. The rows of such questions
are rewritten once here with the same rule: a unit of the flagged kind answers for itself
(per_unit), any other unit assigned to the question coordinates.
"""

from django.db import migrations, models
from django.db.models import Q


def forwards(apps, schema_editor):
    Assignment = apps.get_model("opd", "Assignment")
    per_unit_questions = Q(question__every_kecamatan=True) | Q(question__every_desa=True)
    answers_itself = Q(question__every_kecamatan=True, unit__kind="kecamatan") | Q(
        question__every_desa=True, unit__kind="desa"
    )
    flagged = Assignment.objects.filter(per_unit_questions)
    flagged.filter(answers_itself).update(role="per_unit")
    flagged.exclude(answers_itself).update(role="coordinator")


def backwards(apps, schema_editor):
    Assignment = apps.get_model("opd", "Assignment")
    Assignment.objects.filter(role__in=["per_unit", "coordinator"]).update(role="support")


class Migration(migrations.Migration):
    dependencies = [
        ("opd", "0007_admin_change_audit"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assignment",
            name="role",
            field=models.CharField(
                choices=[
                    ("lead", "Lead"),
                    ("support", "Supporting"),
                    ("per_unit", "Answers for itself (every kecamatan/desa)"),
                    ("coordinator", "Coordinator"),
                ],
                default="support",
                max_length=12,
                verbose_name="role",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
