"""Agency names match loosely and never silently; past points land where they count."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from indicators.importers import parse_json
from indicators.models import Period
from kla.imports import instrument_import
from opd.models import Answer, Assignment, Unit, UnitAlias
from opd.scoring import score_period
from opd.unit_names import unit_index, unit_name_key, unit_suggestions
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("written", "unit_name", "same"),
    [
        ("DPPPAPPKB", "DP3AP2KB", True),
        ("dp3ap2kb", "DP3AP2KB", True),
        ("Forum Anak Daerah (FAD)", "Forum Anak Daerah", True),
        ("Dinas  Kesehatan.", "dinas kesehatan", True),
        ("Kejaksaan", "Kejaksaan Negeri", False),  # asked, never assumed
        ("Bapenda", "Bappeda", False),  # two different agencies
        ("Dunia Usaha", "APINDO", False),  # only an alias can say so
    ],
)
def test_name_keys(written, unit_name, same):
    assert (unit_name_key(written) == unit_name_key(unit_name)) is same


def _instrument(*opds_per_question, points=None, every_kecamatan=False):
    questions = [
        {
            "code": str(i + 1),
            "text": f"Pertanyaan {i + 1}",
            "order": i + 1,
            "max_points": 10,
            "every_kecamatan": every_kecamatan,
            "every_desa": False,
            "opds": list(opds),
            **(points or {}),
        }
        for i, opds in enumerate(opds_per_question)
    ]
    return {
        "clusters": [
            {
                "name": "Kelembagaan",
                "order": 1,
                "declared_max_points": 20,
                "indicators": [
                    {
                        "code": "1",
                        "name": "Kebijakan",
                        "order": 1,
                        "max_points": 20,
                        "questions": questions,
                    }
                ],
            }
        ]
    }


def _units(*names):
    return [factories.UnitFactory(name=n, short_name=n) for n in names]


def test_an_unknown_name_stops_the_import_with_suggestions(period):
    _units("DP3AP2KB", "Kejaksaan Negeri")
    parsed = parse_json(json.dumps(_instrument(["DPPPAPPKB"], ["Kejaksaan"])))
    report = instrument_import(parsed=parsed, year=2030)
    assert [u.name for u in report.unmapped] == ["Kejaksaan"]
    assert [u.short_name for u in report.unmapped[0].suggestions] == ["Kejaksaan Negeri"]
    assert Unit.objects.count() == 2 and not report.applied  # nothing created, nothing written


def test_the_command_maps_and_remembers(tmp_path):
    apindo, dp3 = _units("APINDO", "DP3AP2KB")
    path = tmp_path / "i.json"
    path.write_text(json.dumps(_instrument(["DPPPAPPKB", "Dunia Usaha"])), encoding="utf-8")
    with pytest.raises(CommandError, match="--map"):
        call_command("import_instrument", str(path), "--period", "2030", stdout=StringIO())
    out = StringIO()
    call_command(
        "import_instrument",
        str(path),
        "--period",
        "2030",
        "--map",
        "Dunia Usaha=APINDO",
        stdout=out,
    )
    roles = dict(Assignment.objects.values_list("unit__short_name", "role"))
    assert roles == {"DP3AP2KB": "lead", "APINDO": "support"}
    assert UnitAlias.objects.get().unit == apindo
    # Next year's file spells it the same way: found without asking, no new unit.
    call_command("import_instrument", str(path), "--period", "2031", stdout=StringIO())
    assert Unit.objects.count() == 2


def test_the_web_import_asks_and_never_creates_silently(client_for, secretariat_user):
    kejaksaan = _units("Kejaksaan Negeri")[0]
    client = client_for(secretariat_user)
    before = set(Unit.objects.values_list("short_name", flat=True))
    data = json.dumps(_instrument(["Kejaksaan"], ["Dunia Usaha"])).encode()
    url = reverse("kla:instrument-import")
    page = client.post(url, {"file": SimpleUploadedFile("i.json", data), "year": 2030})
    html = page.content.decode()
    assert 'data-testid="unit-mapping"' in html and 'data-testid="import-confirm"' not in html
    assert "Kejaksaan Negeri" in html
    # A name left unanswered keeps the import at the mapping step.
    page = client.post(
        url,
        {
            "action": "map",
            "name-1": "Kejaksaan",
            "unit-1": kejaksaan.pk,
            "name-2": "Dunia Usaha",
            "unit-2": "",
        },
    )
    assert [u.name for u in page.context["report"].unmapped] == ["Dunia Usaha"]
    page = client.post(
        url,
        {
            "action": "map",
            "name-1": "Kejaksaan",
            "unit-1": kejaksaan.pk,
            "name-2": "Dunia Usaha",
            "unit-2": "new",
        },
    )
    assert 'data-testid="import-confirm"' in page.content.decode()
    assert set(Unit.objects.values_list("short_name", flat=True)) == before  # checked only
    client.post(reverse("kla:instrument-import-confirm"))
    assert set(Unit.objects.values_list("short_name", flat=True)) == before | {"Dunia Usaha"}
    assert UnitAlias.objects.get().name == "Kejaksaan"


def test_suggestions_prefer_a_name_contained_in_the_other():
    _units("Kejaksaan Negeri", "Kesbangpol", "Dinas PUPR")
    names = [u.short_name for u in unit_suggestions("Kejaksaan", unit_index())]
    assert names[0] == "Kejaksaan Negeri"


# --- Past results land where they count -----------------------------------------------------


def test_past_points_of_every_kecamatan_questions_are_kept_exactly():
    """The file's one number for a question every kecamatan answers stays on the question
    (no row could carry it): the score is the file's number, and no kecamatan gets a row it
    never wrote."""
    dinas = _units("DP3AP2KB")[0]
    for n in range(3):
        factories.UnitFactory(name=f"Kecamatan {n}", short_name=f"Kec {n}", kind="kecamatan")
    data = _instrument(
        ["DP3AP2KB"],
        ["DP3AP2KB"],
        every_kecamatan=True,
        points={"claimed_points": 7.25, "verified_points": 6.75},
    )
    report = instrument_import(parsed=parse_json(json.dumps(data)), year=2030)
    assert report.applied and not report.unmapped
    period = Period.objects.get(year=2030)
    score = score_period(period=period)
    assert (score.claimed, score.verified) == (Decimal("14.50"), Decimal("13.50"))
    assert Answer.objects.filter(unit=dinas).count() == 0  # the coordinator gives no answer
    assert Answer.objects.count() == 0
    assert report.answers_written == 2
    assert all("kept for the question as a whole" in line for line in report.points_written)


def test_points_of_a_question_nobody_answers_are_kept_on_the_question():
    data = _instrument([], every_kecamatan=True, points={"verified_points": 5})
    report = instrument_import(parsed=parse_json(json.dumps(data)), year=2030)
    assert "kept for the question as a whole" in report.points_written[0]
    assert not Answer.objects.exists()
    assert score_period(period=Period.objects.get(year=2030)).verified == Decimal("5.00")


def test_the_real_instrument_into_the_demo_district_duplicates_no_agency():
    """The 2024 instrument imported as a new year into the demo district, whose agencies are
    spelled its own way: names that match loosely are used, the rest stop the import until the
    secretariat says which unit each is; then no agency is created but those it chose to
    create, and nobody's current year changes."""
    from pathlib import Path

    from django.conf import settings

    from indicators.importers import parse_json
    from indicators.selectors import period_pick
    from kla.demo import load_demo
    from kla.imports import NEW_UNIT, instrument_import
    from opd.models import Unit

    load_demo()
    current = period_pick()[0]
    units_before = set(Unit.objects.values_list("short_name", flat=True))
    path = Path(settings.BASE_DIR) / "fixtures" / "instrument-2024.json"
    parsed = parse_json(path.read_text(encoding="utf-8"))
    refused = instrument_import(parsed=parsed, year=2028)
    assert refused.unmapped and not Unit.objects.exclude(short_name__in=units_before).exists()
    unknown = {u.name: u.suggestions for u in refused.unmapped}
    # Among them the spellings the issue names: they are offered the demo's own unit first.
    assert unknown["Kejaksaan"][0].short_name == "Kejaksaan Negeri"
    assert unknown["Disparpor"][0].short_name == "Disparpora"
    assert unknown["Dinas PU"][0].short_name == "Dinas PUPR"
    # Another abbreviation is never offered: Bapenda is not Bappeda, JDIH is not Dishub.
    assert [u.short_name for u in unknown["Bapenda"]] == []
    assert [u.short_name for u in unknown["JDIH"]] == []
    # The secretariat takes the first suggestion, says JDIH is Bagian Hukum, and creates the
    # two that are other agencies (PAN has no counterpart in the demo).
    new = {"Bapenda", "PAN"}
    chosen = {"JDIH": Unit.objects.get(short_name="Bagian Hukum").pk}
    mapping = {
        name: NEW_UNIT if name in new else chosen.get(name) or suggestions[0].pk
        for name, suggestions in unknown.items()
    }
    report = instrument_import(parsed=parsed, year=2028, unit_mapping=mapping)
    assert not report.unmapped
    created = set(Unit.objects.values_list("short_name", flat=True)) - units_before
    assert len(created) == len(new)
    # DPPPAPPKB, Dunia Usaha and Forum Anak Daerah (FAD) were the demo's own units already.
    assert not Unit.objects.filter(short_name__in=["DPPPAPPKB", "Dunia Usaha"]).exists()
    assert period_pick()[0] == current  # a prepared year changes nobody's work


# --- Look-alikes and the secretariat's agency -----------------------------------------------

LOOK_ALIKES = [
    ("Dinas PU", "Dinas PUPR", True),
    ("Dinas PU", "Dinas PU Perkim", True),
    ("Dinas PUPR", "Dinas PU Perkim", True),
    ("Dispora", "Disparpor", True),
    ("Disparpor", "Dinas Pariwisata", True),
    ("Disparpor", "Disparpora", True),
    ("Dinkes", "Dinas Kesehatan", True),
    ("Kominfo", "Diskominfo", True),
    ("Bapenda", "Bappeda", False),  # two abbreviations, two bodies
    ("Bapenda", "Badan Perencanaan Pembangunan Daerah", False),
    ("Dinkes", "Dinsos", False),
    ("Disdukcapil", "Disdikbud", False),
    ("UPTD PPA", "UPPA Polres", False),
    ("Dinas Perhubungan", "Dinas Perpustakaan", False),
    ("JDIH", "Dishub", False),
    ("BPBD", "BNN", False),
]


@pytest.mark.parametrize(("a", "b", "alike"), LOOK_ALIKES)
def test_look_alike_table(a, b, alike):
    from opd.unit_names import look_alike

    assert look_alike(a, b) is alike
    assert look_alike(b, a) is alike


@pytest.mark.parametrize(
    ("name", "secretariat"),
    [
        ("DP3AP2KB", True),
        ("DPPPAPPKB", True),
        ("Dinas P3AP2KB", True),
        ("DPPPA", True),
        ("DP3A", True),
        ("DP2KBP3A", True),
        ("Dinas PPPA", True),
        ("Dinas Pemberdayaan Perempuan dan Perlindungan Anak", True),
        (
            "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana",
            True,
        ),
        ("DPPKB", False),  # family planning alone is another agency
        ("UPTD PPA", False),
        ("Dinas Pemberdayaan Masyarakat dan Desa", False),
        ("Dinkes", False),
    ],
)
def test_spellings_of_the_secretariats_agency(name, secretariat, secretariat_user):
    from opd.unit_names import is_secretariat_spelling

    assert is_secretariat_spelling(name) is secretariat
    data = json.dumps(_instrument([name]))
    report = instrument_import(parsed=parse_json(data), year=2030, dry_run=True)
    found = not report.unmapped
    assert found is secretariat
    if found:
        assert report.aliases.get(name, Unit.objects.get(is_secretariat=True)).is_secretariat


FRESH = [
    "Dinas PU",
    "Dinas PUPR",
    "Dinas PU Perkim",
    "Dispora",
    "Disparpor",
    "Dinas Pariwisata",
    "Bapenda",
    "BAPPEDA",
    "Dinkes",
]


def test_a_fresh_district_is_asked_about_look_alikes_before_units_are_created(secretariat_user):
    data = json.dumps(_instrument(*[[n] for n in FRESH]))
    report = instrument_import(parsed=parse_json(data), year=2030, create_units=True)
    assert not report.applied
    groups = sorted(sorted(g.names) for g in report.look_alikes)
    assert groups == [
        ["Dinas PU", "Dinas PU Perkim", "Dinas PUPR"],
        ["Dinas Pariwisata", "Disparpor", "Dispora"],
    ]
    # Bapenda, BAPPEDA and Dinkes are nobody's look-alike: created at once when allowed.
    assert sorted(u.name for u in report.unmapped) == sorted(FRESH[:6])
    # The secretariat says: one works agency (PUPR), one tourism and youth agency.
    mapping = {
        "Dinas PUPR": "new",
        "Dinas PU": "new:Dinas PUPR",
        "Dinas PU Perkim": "new:Dinas PUPR",
        "Disparpor": "new",
        "Dispora": "new:Disparpor",
        "Dinas Pariwisata": "new:Disparpor",
    }
    report = instrument_import(
        parsed=parse_json(data), year=2030, create_units=True, unit_mapping=mapping
    )
    assert report.applied and not report.unmapped
    created = set(Unit.objects.exclude(is_secretariat=True).values_list("short_name", flat=True))
    assert created == {"Dinas PUPR", "Disparpor", "Bapenda", "BAPPEDA", "Dinkes"}
    assert dict(UnitAlias.objects.values_list("name", "unit__short_name")) == {
        "Dinas PU": "Dinas PUPR",
        "Dinas PU Perkim": "Dinas PUPR",
        "Dispora": "Disparpor",
        "Dinas Pariwisata": "Disparpor",
    }
    roles = set(Assignment.objects.values_list("unit__short_name", flat=True))
    assert roles == created


def test_the_command_refuses_look_alikes_and_prints_the_groups(tmp_path, secretariat_user):
    path = tmp_path / "i.json"
    path.write_text(json.dumps(_instrument(*[[n] for n in FRESH])), encoding="utf-8")
    out = StringIO()
    with pytest.raises(CommandError, match="--create-look-alikes"):
        call_command(
            "import_instrument", str(path), "--period", "2030", "--create-units", stdout=out
        )
    printed = out.getvalue()
    assert "Look alike: “Dinas PU”, “Dinas PUPR”, “Dinas PU Perkim”" in printed
    assert Unit.objects.count() == 1  # the secretariat's only
    call_command(
        "import_instrument",
        str(path),
        "--period",
        "2030",
        "--create-units",
        "--map",
        "Dinas PU=new:Dinas PUPR",
        "--map",
        "Dinas PU Perkim=new:Dinas PUPR",
        "--map",
        "Dinas PUPR=new",
        "--create-look-alikes",
        stdout=StringIO(),
    )
    assert not Unit.objects.filter(short_name="Dinas PU").exists()
    assert (
        Unit.objects.filter(short_name__in=["Dispora", "Disparpor", "Dinas Pariwisata"]).count()
        == 3
    )


def test_the_web_import_shows_look_alikes_together(client_for, secretariat_user):
    client = client_for(secretariat_user)
    data = json.dumps(
        _instrument(["Dinas PU"], ["Dinas PU Perkim"], ["Dinas PUPR"], ["DPPPA"])
    ).encode()
    url = reverse("kla:instrument-import")
    page = client.post(url, {"file": SimpleUploadedFile("i.json", data), "year": 2030})
    html = page.content.decode()
    assert html.count('data-testid="look-alike-group"') == 1
    assert "Unit baru yang sama dengan “Dinas PUPR”" in html and 'value="new:Dinas PUPR"' in html
    assert "DPPPA" not in [u.name for u in page.context["report"].unmapped]  # the secretariat
    page = client.post(
        url,
        {
            "action": "map",
            "name-1": "Dinas PUPR",
            "unit-1": "new",
            "name-2": "Dinas PU",
            "unit-2": "new:Dinas PUPR",
            "name-3": "Dinas PU Perkim",
            "unit-3": "new:Dinas PUPR",
        },
    )
    assert 'data-testid="import-confirm"' in page.content.decode()
    client.post(reverse("kla:instrument-import-confirm"))
    assert set(Unit.objects.values_list("short_name", flat=True)) == {"DP3AP2KB", "Dinas PUPR"}
    assert Assignment.objects.filter(unit__is_secretariat=True).exists()


def test_suggestions_never_put_another_body_first():
    _units("Bappeda", "Dinas PUPR", "Disparpora", "Kejaksaan Negeri")
    index = unit_index()
    assert unit_suggestions("Bapenda", index) == []
    assert [u.short_name for u in unit_suggestions("Dinas PU Perkim", index)][:1] == ["Dinas PUPR"]
    assert [u.short_name for u in unit_suggestions("Dispora", index)][:1] == ["Disparpora"]
