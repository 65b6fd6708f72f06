"""Demo data for Kabupaten Tanjung Jabung Barat: units, people, a demo instrument, two periods.

Idempotent: every row is found by its natural key first, so a second run changes nothing
(and a demo password someone changed stays changed). This is seed data, written with the
model layer; the workflow services are for people's actions.
"""

import datetime
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pikepdf
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from indicators.importers import parse_json
from indicators.models import (
    AnswerOption,
    OfficialPoints,
    OfficialResult,
    Period,
    Question,
    ScoreSnapshot,
)
from kla.evaluation import year_losses
from kla.imports import instrument_import
from opd import evidence as evidence_services
from opd import services as answer_services
from opd.models import Answer, Assignment, Document, Evidence, Profile, Unit
from opd.scoring import score_period, snapshot_take

DEMO_PASSWORD = "kla-demo-2027"  # noqa: S105 - documented demo accounts, README
EMAIL_DOMAIN = "demo.tanjabbarkab.go.id"

AGENCIES = [
    # (short name, full name, kind)
    (
        "DP3AP2KB",
        "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk "
        "dan Keluarga Berencana",
        "dinas",
    ),
    ("Dinkes", "Dinas Kesehatan", "dinas"),
    ("Dinsos", "Dinas Sosial", "dinas"),
    ("Disdikbud", "Dinas Pendidikan dan Kebudayaan", "dinas"),
    ("Disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil", "dinas"),
    ("Bappeda", "Badan Perencanaan Pembangunan Daerah", "badan"),
    ("Bagian Hukum", "Bagian Hukum Sekretariat Daerah", "bagian"),
    ("Kemenag", "Kantor Kementerian Agama Kabupaten", "vertical"),
    ("Kominfo", "Dinas Komunikasi dan Informatika", "dinas"),
    ("BPBD", "Badan Penanggulangan Bencana Daerah", "badan"),
    ("UPTD PPA", "UPTD Perlindungan Perempuan dan Anak", "dinas"),
    ("Disnaker", "Dinas Tenaga Kerja", "dinas"),
    ("Kejaksaan Negeri", "Kejaksaan Negeri Tanjung Jabung Barat", "vertical"),
    ("UPPA Polres", "Unit PPA Polres Tanjung Jabung Barat", "vertical"),
    ("Satpol PP", "Satuan Polisi Pamong Praja", "dinas"),
    ("Perpustakaan", "Dinas Perpustakaan dan Kearsipan", "dinas"),
    ("BNN", "Badan Narkotika Nasional Kabupaten", "vertical"),
    ("Dinas PUPR", "Dinas Pekerjaan Umum dan Penataan Ruang", "dinas"),
    ("Dishub", "Dinas Perhubungan", "dinas"),
    ("Kesbangpol", "Badan Kesatuan Bangsa dan Politik", "badan"),
    ("Disparpora", "Dinas Pariwisata, Pemuda dan Olahraga", "dinas"),
    ("DLH", "Dinas Lingkungan Hidup", "dinas"),
    ("Forum Anak Daerah", "Forum Anak Daerah Tanjung Jabung Barat", "lembaga"),
    ("APINDO", "Dunia Usaha (APINDO Tanjung Jabung Barat)", "lembaga"),
]
KECAMATAN = [
    "Tungkal Ilir",
    "Tungkal Ulu",
    "Pengabuan",
    "Betara",
    "Merlung",
    "Muara Papalik",
    "Batang Asam",
    "Renah Mendaluh",
    "Kuala Betara",
    "Seberang Kota",
    "Bram Itam",
    "Senyerang",
    "Tebing Tinggi",
]
DESA = [
    ("Kelurahan Tungkal Harapan", "kelurahan"),
    ("Kelurahan Tungkal II", "kelurahan"),
    ("Desa Teluk Sialang", "desa"),
]

PEOPLE = [
    # (username, full name, role, unit short name or None)
    ("admin", "Administrator Sistem", Profile.Role.ADMIN, None),
    ("sekretariat", "Sekretariat Gugus Tugas KLA", Profile.Role.SECRETARIAT, "DP3AP2KB"),
    ("bupati", "Bupati Tanjung Jabung Barat", Profile.Role.EXECUTIVE, None),
    ("sekda", "Sekretaris Daerah", Profile.Role.EXECUTIVE, None),
]


def agency_username(short_name: str) -> str:
    return short_name.lower().replace(".", "").replace(" ", "-")


@dataclass
class DemoReport:
    created: dict = field(default_factory=dict)
    accounts: list = field(default_factory=list)

    def add(self, what: str, n: int = 1) -> None:
        if n:
            self.created[what] = self.created.get(what, 0) + n

    @property
    def changed(self) -> bool:
        return bool(self.created)


def _units(report: DemoReport) -> None:
    for short, name, kind in AGENCIES:
        _unit, created = Unit.objects.get_or_create(
            short_name=short,
            defaults={"name": name, "kind": kind, "is_secretariat": short == "DP3AP2KB"},
        )
        report.add("units", created)
    for name in KECAMATAN:
        _unit, created = Unit.objects.get_or_create(
            short_name=f"Kec. {name}", defaults={"name": f"Kecamatan {name}", "kind": "kecamatan"}
        )
        report.add("units", created)
    parent = Unit.objects.get(short_name="Kec. Tungkal Ilir")
    for desa_name, _kind in DESA:
        _unit, created = Unit.objects.get_or_create(
            short_name=desa_name, defaults={"name": desa_name, "kind": "desa", "parent": parent}
        )
        report.add("units", created)


def _user(report: DemoReport, username, full_name, role, unit_short, contact=("", "")) -> None:
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        first, _sep, last = full_name.partition(" ")
        user = User.objects.create_user(
            username=username,
            email=f"{username}@{EMAIL_DOMAIN}",
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            is_staff=role == Profile.Role.ADMIN,
            is_superuser=role == Profile.Role.ADMIN,
        )
        position, phone = contact
        Profile.objects.filter(user=user).update(role=role, position=position, phone=phone)
        if unit_short:
            user.profile.units.add(Unit.objects.get(short_name=unit_short))
        report.add("users")
    report.accounts.append((username, Profile.Role(role).label, unit_short or "—"))


def _people(report: DemoReport) -> None:
    for username, full_name, role, unit in PEOPLE:
        _user(report, username, full_name, role, unit)
    # Each unit's operator with a (made-up) mobile number: the Bupati's page lists whom to call
    # at a unit behind schedule.
    for i, (short, _name, _kind) in enumerate(AGENCIES):
        contact = ("Operator KLA", f"0812-7400-{1001 + i}")
        _user(report, agency_username(short), f"Operator {short}", Profile.Role.OPD, short, contact)
    for i, name in enumerate(KECAMATAN[:3]):
        short, contact = f"Kec. {name}", ("Operator KLA kecamatan", f"0812-7400-{2001 + i}")
        _user(
            report,
            agency_username(short),
            f"Operator Kecamatan {name}",
            Profile.Role.OPD,
            short,
            contact,
        )


def _instrument(report: DemoReport, year: int, **period_fields) -> Period:
    path = Path(settings.BASE_DIR) / "fixtures" / "demo-instrument.json"
    parsed = parse_json(path.read_text(encoding="utf-8"))
    result = instrument_import(parsed=parsed, year=year)
    report.add(f"questions {year}", result.created["questions"])
    period = Period.objects.get(year=year)
    if result.period_created:
        for key, value in period_fields.items():
            setattr(period, key, value)
        period.save()
    return period


def _answers(report: DemoReport, period: Period, *, past: bool) -> None:
    """Deterministic answers: the past period all approved; the current one in progress."""
    rng = random.Random(period.year)
    reviewer = get_user_model().objects.get(username="sekretariat")
    now = timezone.now()
    existing = set(
        Answer.objects.filter(question__indicator__group__period=period).values_list(
            "question_id", "unit_id"
        )
    )
    questions = Question.objects.filter(indicator__group__period=period).order_by("pk")
    assignments = (
        Assignment.objects.filter(question__in=questions)
        .select_related("unit", "question")
        .order_by("question_id", "unit_id")
    )
    options: dict[int, list[AnswerOption]] = {}
    for option in AnswerOption.objects.filter(question__in=questions):
        options.setdefault(option.question_id, []).append(option)
    created = []
    for a in assignments:
        q = a.question
        if not a.answers:
            continue
        # Draw every random number before any skip, so a second run sees the same sequence.
        # Assignments come in a stable order, so each one gets the same dice on every run.
        roll, lowered = rng.random(), rng.random() < 0.3
        share = Decimal(rng.choice(["1", "0.5", "0.5", "0.5", "0.75", "0.25", "0.75"]))
        hours_ago = rng.randint(2, 300)
        if (q.pk, a.unit_id) in existing:
            continue
        claimed = (q.max_points * share).quantize(Decimal("0.25"))
        option = None
        if q.pk in options:  # a table row's "Ya"/"Tidak": the option nearest the points drawn
            option = min(options[q.pk], key=lambda o: abs(o.points - claimed))
            claimed = option.points
        if past:
            verified = (claimed * Decimal("0.4")).quantize(Decimal("0.25")) if lowered else claimed
            verified_option = option
            if option is not None and lowered:
                verified_option = min(options[q.pk], key=lambda o: o.points)
                verified = verified_option.points
            created.append(
                Answer(
                    question=q,
                    unit=a.unit,
                    status="approved",
                    claimed_points=claimed,
                    option=option,
                    verified_option=verified_option,
                    lowered_because=("unsigned" if verified_option and verified < claimed else ""),
                    verified_points=verified,
                    submitted_at=now,
                    reviewed_at=now,
                    reviewed_by=reviewer,
                    review_note="Dokumen belum ditandatangani kepala OPD." if lowered else "",
                    narrative="Data dukung tahun lalu.",
                )
            )
        else:
            if roll < 0.4:
                continue  # not started
            status = (
                "draft"
                if roll < 0.65
                else "submitted"
                if roll < 0.8
                else "revision_requested"
                if roll < 0.85
                else "approved"
            )
            created.append(
                Answer(
                    question=q,
                    unit=a.unit,
                    status=status,
                    claimed_points=claimed,
                    option=option,
                    verified_points=claimed if status == "approved" else None,
                    verified_option=option if status == "approved" else None,
                    submitted_at=(
                        now - datetime.timedelta(hours=hours_ago) if status != "draft" else None
                    ),
                    reviewed_at=now if status in ("approved", "revision_requested") else None,
                    reviewed_by=reviewer if status in ("approved", "revision_requested") else None,
                    review_note=(
                        "Lampirkan SK yang sudah ditandatangani."
                        if status == "revision_requested"
                        else ""
                    ),
                    narrative="Uraian singkat capaian unit untuk demo.",
                )
            )
    Answer.objects.bulk_create(created)
    report.add(f"answers {period.year}", len(created))
    links = [
        Evidence(
            answer=a,
            unit=a.unit,
            kind=Evidence.Kind.LINK,
            title="Dokumen di JDIH",
            url="https://jdih.tanjabbarkab.go.id/",
        )
        for a in Answer.objects.filter(pk__in=[c.pk for c in created]).exclude(status="draft")
    ]
    Evidence.objects.bulk_create(links)


# Registered documents of the open period: (unit, type, title, number, valid until). The SK
# lapses before the entry into the ministry's application, so the warning shows.
DOCUMENTS = [
    ("Bagian Hukum", Document.Kind.PERDA, "Perda Kabupaten Layak Anak", "5 Tahun 2019", None),
    (
        "DP3AP2KB",
        Document.Kind.SK,
        "SK Gugus Tugas KLA",
        "188.45/12/2025",
        datetime.date(2027, 3, 1),
    ),
]


def _pdf(title: str) -> bytes:
    """A one-page PDF standing for the document (the demo has no real files)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = title
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def _documents(report: DemoReport, period: Period) -> None:
    """Each document uploaded once to one answer of its unit, registered, and attached to a
    second answer as the same stored file, through the services. Skipped (and said) when the
    period no longer takes the units' changes."""
    User = get_user_model()
    for short, kind, title, number, valid_until in DOCUMENTS:
        unit = Unit.objects.get(short_name=short)
        if Document.objects.filter(unit=unit, title=title).exists():
            continue
        user = User.objects.get(username=agency_username(short))
        # Two of its questions whose answer may still take evidence (none yet, or a draft).
        handed_in = Answer.objects.filter(unit=unit).exclude(status__in=Answer.EDITABLE)
        questions = list(
            Question.objects.filter(
                indicator__group__period=period,
                assignments__unit=unit,
                assignments__role=Assignment.Role.LEAD,
            )
            .exclude(pk__in=handed_in.values("question_id"))
            .order_by("pk")[:2]
        )
        if len(questions) < 2:
            continue
        try:
            first = answer_services.answer_open(question=questions[0], unit=unit)
            upload = SimpleUploadedFile(f"{title}.pdf", _pdf(title), "application/pdf")
            revision = evidence_services.evidence_add_file(
                answer=first, unit=unit, user=user, uploaded_file=upload, title=title
            )
            document = evidence_services.document_register(
                revision=revision,
                unit=unit,
                user=user,
                kind=kind,
                title=title,
                number=number,
                valid_until=valid_until,
            )
            second = answer_services.answer_open(question=questions[1], unit=unit)
            evidence_services.evidence_attach_document(
                answer=second, document=document, unit=unit, user=user
            )
        except DomainError as error:
            report.add(f"documents skipped ({error.code})")
            continue
        report.add("documents")


def _history(report: DemoReport, period: Period) -> None:
    """Snapshots of the open period as approvals would have taken them: none verified when
    the window opened, four fifths of today's total two weeks ago, today's. Without them the
    whole verified total looked like the last fortnight's pace and the Bupati read "on track"
    for a district that is behind."""
    if ScoreSnapshot.objects.filter(period=period).exists():
        return
    today = snapshot_take(period=period, reason=ScoreSnapshot.Reason.MANUAL)
    for days_ago, share in ((14, Decimal("0.8")), (29, Decimal("0"))):
        moment = today.taken_at - datetime.timedelta(days=days_ago)
        if timezone.localtime(moment).date() < period.window_opens:
            continue
        ScoreSnapshot.objects.create(
            period=period,
            taken_at=moment,
            reason=ScoreSnapshot.Reason.MANUAL,
            claimed=(today.claimed * share).quantize(Decimal("0.01")),
            verified=(today.verified * share).quantize(Decimal("0.01")),
            potential=(today.potential * share).quantize(Decimal("0.01")),
        )
    report.add("score snapshots", ScoreSnapshot.objects.filter(period=period).count())


# Why the ministry took points in the demo's past year: the reasons districts hear.
_LOSS_NOTES = (
    "Dokumen pendukung tidak lengkap",
    "SK sudah tidak berlaku saat verifikasi lapangan",
    "Foto tidak menunjukkan kegiatan yang diklaim",
    "Data bukan tahun yang dievaluasi",
)


def _evaluation(report: DemoReport, period: Period) -> None:
    """The past year as the ministry ran it: a question the province returned (answered and
    closed), the field verification, and official points a fifth of the questions lost, so
    "where points were lost" and this year's marks have something to show."""
    if OfficialResult.objects.filter(period=period, final_score__isnull=False).exists():
        return
    rng = random.Random(period.year + 1)
    secretariat = get_user_model().objects.get(username="sekretariat")
    entries = []
    for group in score_period(period=period).groups:
        for indicator in group.indicators:
            for q in indicator.questions:
                official, note = q.points.verified, ""
                if official > 0 and rng.random() < 0.2:
                    official = (official * Decimal("0.5")).quantize(Decimal("0.01"))
                    note = rng.choice(_LOSS_NOTES)
                entries.append(
                    answer_services.OfficialEntry(
                        level=OfficialPoints.Level.QUESTION,
                        target_id=q.id,
                        points=official,
                        note=note,
                    )
                )
    answer_services.official_points_save(period=period, user=secretariat, entries=entries)
    returned = (
        Question.objects.filter(indicator__group__period=period, assignments__role="lead")
        .order_by("pk")
        .first()
    )
    provincial_return = answer_services.provincial_return_record(
        question=returned,
        user=secretariat,
        note="Lampirkan Perda yang sudah diundangkan, bukan rancangannya.",
        deadline=datetime.date(period.year, 4, 25),
    )
    answer_services.provincial_return_reply(
        provincial_return=provincial_return,
        user=secretariat,
        reply="Perda yang sudah diundangkan telah diunggah.",
    )
    answer_services.provincial_return_close(provincial_return=provincial_return, user=secretariat)
    answer_services.official_result_record(
        period=period,
        user=secretariat,
        entered_on=datetime.date(period.year, 4, 10),
        provincial_notes="Dua pertanyaan dikembalikan untuk dilengkapi.",
        field_verification_on=datetime.date(period.year, 5, 9),
        field_verification_team="Tim Verifikasi Lapangan KemenPPPA",
        field_verification_findings="Sebagian foto kegiatan tidak bertanggal; dua SK kedaluwarsa.",
        # The official points' own total, as the losses read adds them (indicators capped).
        final_score=year_losses(period=period).total.official,
        final_rank="",
    )
    report.add("official results")


@transaction.atomic
def load_demo() -> DemoReport:
    report = DemoReport()
    _units(report)
    _people(report)
    past = _instrument(
        report,
        2026,
        status=Period.Status.LOCKED,
        window_opens=datetime.date(2026, 1, 15),
        window_closes=datetime.date(2026, 3, 31),
        entry_date=datetime.date(2026, 4, 15),
        target_rank="Madya",
    )
    current = _instrument(
        report,
        2027,
        status=Period.Status.OPEN,
        window_opens=datetime.date(2026, 11, 1),
        window_closes=datetime.date(2027, 3, 31),
        entry_date=datetime.date(2027, 4, 15),
        target_rank="Nindya",
    )
    _answers(report, past, past=True)
    _answers(report, current, past=False)
    _documents(report, current)
    _history(report, current)
    if not ScoreSnapshot.objects.filter(period=past).exists():
        # The locked period's final score, as its lock would have recorded it.
        snapshot_take(period=past, reason=ScoreSnapshot.Reason.PERIOD_LOCKED)
        report.add("score snapshots")
    _evaluation(report, past)
    return report
