"""Per-unit questions become tables whose rows are "Ya" or "Tidak".

A question every kecamatan or desa answers had each unit type points for a district-wide
question. Now each unit's answer is a row: yes (the question's maximum) or no (0), and the
question's points are the share of "yes" times the maximum (the mean the engine already
takes). Questions of periods that are not locked gain the two options when they have none;
an existing answer whose points are the maximum or 0 is given the matching option, so
nothing counts differently. Other points stay as typed values until the unit picks. A
locked period keeps its history untouched.
"""

from decimal import Decimal

from django.db import migrations
from django.db.models import Q


def forwards(apps, schema_editor):
    Question = apps.get_model("indicators", "Question")
    AnswerOption = apps.get_model("indicators", "AnswerOption")
    Answer = apps.get_model("opd", "Answer")
    questions = (
        Question.objects.filter(Q(every_kecamatan=True) | Q(every_desa=True))
        .exclude(indicator__group__period__status="locked")
        .filter(options__isnull=True)
    )
    for question in questions:
        yes = AnswerOption.objects.create(
            question=question, label="Ya", points=question.max_points, order=1
        )
        no = AnswerOption.objects.create(
            question=question, label="Tidak", points=Decimal("0.00"), order=2
        )
        for option in (yes, no):
            answers = Answer.objects.filter(question=question)
            answers.filter(claimed_points=option.points).update(option=option)
            answers.filter(status="approved", verified_points=option.points).update(
                verified_option=option
            )


class Migration(migrations.Migration):
    dependencies = [
        ("opd", "0014_assignment_per_unit_index"),
        ("indicators", "0007_question_rows_filled_by"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
