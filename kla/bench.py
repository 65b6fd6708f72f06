"""A large, realistic district for the benchmark (`make bench`), built with bulk inserts.

The full 274-question instrument (fixtures/instrument-2024.json, or the reference copy), 45
units, 5 periods, an answer per assignment and 3 evidence revisions of metadata per answer.
`scale` multiplies the questions of every indicator and the units, so page query counts can
be compared at 1x and 10x.
"""

import datetime
import hashlib
import json
import random
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from indicators.models import DEFAULT_RANK_BANDS, Group, Indicator, Period, Question, RankBand
from opd.models import Answer, Assignment, Evidence, EvidenceRevision, Profile, Unit

YEARS = [2023, 2024, 2025, 2026, 2027]
N_UNITS = 45


def _instrument() -> dict:
    for path in (
        Path(settings.BASE_DIR) / "fixtures" / "instrument-2024.json",
        Path(settings.BASE_DIR).parent / "shared" / "kla-reference" / "instrument-2024.json",
    ):
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
    raise FileNotFoundError("instrument-2024.json not found in fixtures/ or ../shared/")


@transaction.atomic
def generate_district(*, scale: int = 1, seed: int = 2027) -> dict:
    rng = random.Random(seed)
    data = _instrument()
    units = Unit.objects.bulk_create(
        [
            Unit(name=f"Unit Bench {i:03d}", short_name=f"UB{i:03d}",
                 kind=Unit.Kind.KECAMATAN if i % 5 == 0 else Unit.Kind.DINAS)
            for i in range(N_UNITS * scale)
        ]
    )  # fmt: skip
    User = get_user_model()
    staff = User.objects.create_user("bench-opd", password="bench-pass-2027")  # noqa: S106
    staff.profile.units.add(units[0], units[1])
    reviewer = User.objects.create_user("bench-sek", password="bench-pass-2027")  # noqa: S106
    Profile.objects.filter(user=reviewer).update(role=Profile.Role.SECRETARIAT)
    bupati = User.objects.create_user("bench-bupati", password="bench-pass-2027")  # noqa: S106
    Profile.objects.filter(user=bupati).update(role=Profile.Role.EXECUTIVE)

    counts = {"questions": 0, "answers": 0, "revisions": 0}
    today = timezone.localdate()
    statuses = list(Answer.Status.values)
    for year in YEARS:
        current = year == YEARS[-1]
        if current:
            opens, closes = today - datetime.timedelta(days=30), today + datetime.timedelta(days=60)
        else:
            opens, closes = datetime.date(year, 1, 15), datetime.date(year, 3, 31)
        period = Period.objects.create(
            year=year,
            status=Period.Status.OPEN if current else Period.Status.LOCKED,
            window_opens=opens,
            window_closes=closes,
            target_rank="Madya",
        )
        RankBand.objects.bulk_create(
            [RankBand(period=period, name=n, lower_bound=b) for n, b in DEFAULT_RANK_BANDS]
        )
        questions = []
        for cluster in data["clusters"]:
            group = Group.objects.create(
                period=period, name=cluster["name"], order=cluster["order"],
                declared_max_points=Decimal(str(cluster["declared_max_points"])),
            )  # fmt: skip
            for ind in cluster["indicators"]:
                indicator = Indicator.objects.create(
                    group=group, code=ind["code"].replace("Indikator ", ""), name=ind["name"],
                    order=ind["order"], max_points=Decimal(str(ind["max_points"])),
                )  # fmt: skip
                for copy in range(scale):
                    suffix = f"-{copy}" if copy else ""
                    for q in ind["questions"]:
                        questions.append(
                            Question(
                                indicator=indicator,
                                code=q["code"].replace("Pertanyaan ", "") + suffix,
                                text=q["text"], order=q["order"] + copy * 1000,
                                max_points=Decimal(str(q["max_points"])),
                            )
                        )  # fmt: skip
        questions = Question.objects.bulk_create(questions)
        counts["questions"] += len(questions)
        assignments, answers = [], []
        for i, question in enumerate(questions):
            lead = units[i % len(units)]
            support = units[(i + 7) % len(units)]
            assignments += [
                Assignment(question=question, unit=lead, role=Assignment.Role.LEAD),
                Assignment(question=question, unit=support, role=Assignment.Role.SUPPORT),
            ]
            status = rng.choice(statuses) if current else Answer.Status.APPROVED
            claimed = (question.max_points * Decimal(rng.choice([0, 0.5, 0.75, 1]))).quantize(
                Decimal("0.01")
            )
            answers.append(
                Answer(
                    question=question, unit=lead, status=status, claimed_points=claimed,
                    verified_points=claimed if status == Answer.Status.APPROVED else None,
                    submitted_at=timezone.now() - datetime.timedelta(hours=rng.randint(1, 500)),
                    submitted_by=staff,
                )
            )  # fmt: skip
        Assignment.objects.bulk_create(assignments)
        answers = Answer.objects.bulk_create(answers)
        counts["answers"] += len(answers)
        evidence = Evidence.objects.bulk_create(
            [Evidence(answer=a, unit=a.unit, title="Bukti", created_by=staff) for a in answers]
        )
        revisions = []
        for ev in evidence:
            for n in range(3):
                digest = hashlib.sha256(f"{ev.pk}-{n}".encode()).hexdigest()
                revisions.append(
                    EvidenceRevision(
                        evidence=ev, file=f"evidence/bench/{digest}",
                        original_name=f"bukti-{n}.pdf", size=1000 + n, sha256=digest,
                        content_type="application/pdf", uploaded_by=staff,
                    )
                )  # fmt: skip
        EvidenceRevision.objects.bulk_create(revisions)
        counts["revisions"] += len(revisions)
    return {"units": len(units), **counts, "users": {"opd": staff, "secretariat": reviewer,
            "executive": bupati}}  # fmt: skip
