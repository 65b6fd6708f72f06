"""The verification-risk rules (indicators/risk.py), table-driven, without a database."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from indicators import risk
from indicators.risk import AnswerFacts, EvidenceFacts, Outcome

D = Decimal
PERDA_Q = "Apakah tersedia peraturan daerah terkait penyelenggaraan KLA?"
ACTIVITY_Q = "Apakah ada kegiatan Forum Anak? (Lampirkan dokumen pendukung)"
DATA_Q = "Berapa jumlah kematian ibu? (Lampirkan data pada tahun yang dievaluasi)"
NARRATIVE = "Perda Nomor 5 Tahun 2021 tentang Kabupaten Layak Anak disahkan 3 Mei 2021, terlampir."
PDF = EvidenceFacts("perda.pdf", content_type="application/pdf", text_layer=True, sha256="a1")
PHOTO = EvidenceFacts("foto.jpg", content_type="image/jpeg", sha256="b2")
LINK = EvidenceFacts("https://jdih.example/perda-5", kind="link")
SCAN = EvidenceFacts("scan.pdf", content_type="application/pdf", text_layer=False, sha256="c3")
DAMAGED = EvidenceFacts("rusak.pdf", content_type="application/pdf", read_problem="berkas rusak")
MAY = datetime.date(2025, 5, 9)


def sk(valid_until=None, kind="sk", label="SK"):
    return EvidenceFacts(
        "SK Gugus Tugas",
        content_type="application/pdf",
        text_layer=False,
        document_kind=kind,
        document_label=label,
        document_valid_until=valid_until,
    )


ENTRY = datetime.date(2025, 3, 31)


def read(*, number="", day=None, registered="", issued_on=None):
    """A registered SK whose text was read (a number and a date)."""
    return EvidenceFacts(
        "SK Gugus Tugas",
        content_type="application/pdf",
        text_layer=True,
        document_kind="sk",
        document_label="SK",
        document_number=registered,
        document_issued_on=issued_on,
        read_number=number,
        read_date=day,
    )


def facts(**values):
    base = {
        "question_text": ACTIVITY_Q,
        "claimed": D("5.00"),
        "narrative": NARRATIVE,
        "evidence": (PDF,),
        "needed_until": MAY,
        "evaluated_year": 2024,
    }
    return AnswerFacts(**{**base, **values})


CASES = [
    # (case, facts, level, rules, points at risk)
    ("sound answer", facts(), risk.NONE, (), D("0")),
    ("nothing claimed, nothing attached", facts(claimed=None, evidence=()), risk.NONE, (), D("0")),
    ("zero claimed, nothing attached", facts(claimed=D("0"), evidence=()), risk.NONE, (), D("0")),
    ("claimed, nothing attached", facts(evidence=()), risk.HIGH, ("no_evidence",), D("5.00")),
    (
        "photo for a regulation",
        facts(question_text=PERDA_Q, evidence=(PHOTO,)),
        risk.HIGH,
        ("weak_evidence",),
        D("5.00"),
    ),
    (
        "link and photo for a regulation",
        facts(question_text=PERDA_Q, evidence=(PHOTO, LINK)),
        risk.HIGH,
        ("weak_evidence",),
        D("5.00"),
    ),
    (
        "photo plus the PDF for a regulation",
        facts(question_text=PERDA_Q, evidence=(PHOTO, PDF)),
        risk.NONE,
        (),
        D("0"),
    ),
    ("photo for an activity", facts(evidence=(PHOTO,)), risk.NONE, (), D("0")),
    (
        "the option names the decree",
        facts(option_label="Ada SK", evidence=(PHOTO,)),
        risk.HIGH,
        ("weak_evidence",),
        D("5.00"),
    ),
    (
        "SK for the option Perda",
        facts(option_label="Perda", evidence=(sk(),)),
        risk.HIGH,
        ("document_kind",),
        D("5.00"),
    ),
    (
        "Perda for the option Perda",
        facts(option_label="Perda", evidence=(sk(kind="perda", label="Perda"),)),
        risk.NONE,
        (),
        D("0"),
    ),
    (
        "decree lapsing before the field verification",
        facts(evidence=(sk(valid_until=datetime.date(2025, 4, 30)),)),
        risk.HIGH,
        ("lapsing",),
        D("5.00"),
    ),
    (
        "decree valid through the field verification",
        facts(evidence=(sk(valid_until=MAY),)),
        risk.NONE,
        (),
        D("0"),
    ),
    (
        "last year's returned file again",
        facts(lost_before=frozenset({"a1"})),
        risk.HIGH,
        ("reused_lost",),
        D("5.00"),
    ),
    ("undescribed scan", facts(evidence=(SCAN,)), risk.MEDIUM, ("undescribed_scan",), D("0")),
    ("described scan", facts(evidence=(sk(),)), risk.NONE, (), D("0")),
    (
        "a scan whose number and date OCR read",
        facts(
            evidence=(
                EvidenceFacts(
                    "scan.pdf",
                    content_type="application/pdf",
                    text_layer=False,
                    read_number="188.45/1/2024",
                    read_date=datetime.date(2024, 1, 2),
                ),
            )
        ),
        risk.NONE,
        (),
        D("0"),
    ),
    (
        "data older than the year evaluated",
        facts(question_text=DATA_Q, data_text="2022: 3\n2023: 2"),
        risk.MEDIUM,
        ("old_data",),
        D("0"),
    ),
    (
        "data of the year evaluated",
        facts(question_text=DATA_Q, data_text="2023: 3\n2024: 2"),
        risk.NONE,
        (),
        D("0"),
    ),
    (
        "data of the named year",
        facts(question_text="Data tahun 2025?", narrative=NARRATIVE + " Data 2024."),
        risk.MEDIUM,
        ("old_data",),
        D("0"),
    ),
    ("short narrative", facts(narrative="Ada."), risk.MEDIUM, ("short_narrative",), D("0")),
    (
        "several at once: the highest level",
        facts(narrative="", evidence=(SCAN,), lost_before=frozenset({"c3"})),
        risk.HIGH,
        ("reused_lost", "undescribed_scan", "short_narrative"),
        D("5.00"),
    ),
    ("a file that cannot be read", facts(evidence=(DAMAGED,)), risk.NONE, (), D("0")),
    (
        "a decree dated after the entry",
        facts(evidence=(read(day=datetime.date(2025, 4, 2)),), entry_date=ENTRY),
        risk.HIGH,
        ("dated_late",),
        D("5.00"),
    ),
    (
        "registered date after the entry wins over the text's",
        facts(evidence=(read(day=ENTRY, issued_on=datetime.date(2025, 4, 2)),), entry_date=ENTRY),
        risk.HIGH,
        ("dated_late", "document_text"),
        D("5.00"),
    ),
    (
        "a decree dated on the entry",
        facts(evidence=(read(day=ENTRY, issued_on=ENTRY),), entry_date=ENTRY),
        risk.NONE,
        (),
        D("0"),
    ),
    (
        "registered number differs from the text's",
        facts(evidence=(read(number="188.45/123/2024", registered="188.45/132/2024"),)),
        risk.MEDIUM,
        ("document_text",),
        D("0"),
    ),
    (
        "the same number however spaced",
        facts(evidence=(read(number="188.45 / 123 / 2024", registered="188.45/123/2024"),)),
        risk.NONE,
        (),
        D("0"),
    ),
    (
        "nothing read: nothing to compare",
        facts(evidence=(read(number="", registered="188.45/123/2024"),)),
        risk.NONE,
        (),
        D("0"),
    ),
]


@pytest.mark.parametrize(("case", "answer", "level", "rules", "at_risk"), CASES)
def test_rules(case, answer, level, rules, at_risk):
    verdict = risk.assess(answer)
    assert (verdict.level, verdict.rules, verdict.points_at_risk) == (level, rules, at_risk), case
    assert len(verdict.reasons) == len(rules)


def test_a_file_that_cannot_be_read_is_said_and_never_raises_the_level():
    verdict = risk.assess(facts(evidence=(DAMAGED, PDF)))
    assert verdict.level == risk.NONE
    assert verdict.unchecked == ["“rusak.pdf” could not be checked: berkas rusak"]


def test_reasons_are_written_in_the_active_language():
    verdict = risk.assess(facts(evidence=(sk(valid_until=datetime.date(2025, 4, 30)),)))
    with translation.override("id"):
        assert verdict.reasons == [
            "“SK Gugus Tugas” berlaku sampai 30 April 2025, sebelum 9 Mei 2025 saat dokumen "
            "itu masih harus berlaku"
        ]
    with translation.override("en"):
        assert verdict.reasons[0].startswith("“SK Gugus Tugas” is valid until 30 April 2025")


@pytest.mark.parametrize(
    ("text", "evaluated", "year"),
    [
        ("Data tahun 2023 dan 2024", 2024, 2024),
        ("Lampirkan data pada tahun yang dievaluasi dan tahun sebelumnya", 2024, 2024),
        ("Lampirkan dokumen pendukung", 2024, None),
        ("Lampirkan data tahun yang dievaluasi", None, None),
    ],
)
def test_the_year_a_question_asks_for(text, evaluated, year):
    assert risk.year_asked(text, evaluated) == year


def test_sort_puts_the_highest_level_and_most_points_first():
    verdicts = [
        risk.assess(facts(narrative="Ada.")),
        risk.assess(facts(evidence=(), claimed=D("2"))),
        risk.assess(facts()),
        risk.assess(facts(evidence=(), claimed=D("9"))),
    ]
    ordered = sorted(verdicts, key=risk.sort_key)
    assert [(v.level, v.points_at_risk) for v in ordered] == [
        (risk.HIGH, D("9")),
        (risk.HIGH, D("2")),
        (risk.MEDIUM, D("0")),
        (risk.NONE, D("0")),
    ]


def test_prediction_compares_the_flags_with_the_losses():
    high = risk.assess(facts(evidence=()))  # no_evidence
    short = risk.assess(facts(narrative="Ada."))  # short_narrative, medium
    sound = risk.assess(facts())
    outcomes = [
        Outcome(high, lost=D("5.00")),  # flagged, lost
        Outcome(high, lost=D("0")),  # flagged, kept
        Outcome(short, lost=D("0"), returned=True),  # medium, returned
        Outcome(sound, lost=D("3.00")),  # not flagged, lost
    ]
    found = risk.prediction(outcomes)
    assert (found.points_lost, found.points_lost_flagged) == (D("8.00"), D("5.00"))
    assert (found.flagged, found.flagged_lost) == (2, 1)
    assert found.caught == D("0.625") and found.precision == D("0.5")
    by_rule = {r.rule: r for r in found.rules}
    assert (by_rule["no_evidence"].flagged, by_rule["no_evidence"].flagged_lost) == (2, 1)
    assert by_rule["short_narrative"].precision == 1
    assert by_rule["lapsing"].precision is None


def test_every_rule_has_its_words():
    assert set(risk.RULE_NAMES) | {"unreadable"} == set(risk.REASONS)
