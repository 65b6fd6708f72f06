"""Answer options with fixed points: imported, picked by the unit, confirmed or lowered with a
structured reason by the reviewer. Questions without options keep free points."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.errors import DomainError
from indicators.importers import InstrumentFileError, parse_json
from indicators.models import AnswerOption
from kla.imports import instrument_import, instrument_rows
from opd import services
from opd.models import Answer, Assignment, LoweredReason, Profile
from tests import factories, samples

D = Decimal
LEVELS = [("Perda", 24), ("Perbup", 18), ("SK", 12), ("Dalam penyusunan", 6), ("Tidak ada", 0)]


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _instrument(options, *, max_points=24):
    question = {
        "code": "1",
        "text": "Apakah tersedia Perda KLA?",
        "order": 1,
        "max_points": max_points,
        "opds": ["Bagian Hukum"],
        "options": options,
    }
    indicator = {
        "code": "1",
        "name": "Kebijakan",
        "order": 1,
        "max_points": 24,
        "questions": [question],
    }
    return json.dumps(
        {
            "clusters": [
                {
                    "name": "Kelembagaan",
                    "order": 1,
                    "declared_max_points": 24,
                    "indicators": [indicator],
                }
            ]
        }
    )


@pytest.mark.django_db
def test_options_are_imported_updated_and_exported():
    options = [{"label": label, "points": points} for label, points in LEVELS]
    instrument_import(parsed=parse_json(_instrument(options)), year=2030, create_units=True)
    assert list(AnswerOption.objects.values_list("label", "points")) == [
        (label, D(points)) for label, points in LEVELS
    ]
    [row] = instrument_rows(period=AnswerOption.objects.first().question.indicator.group.period)
    assert row["options"].startswith("Perda=24.00; Perbup=18.00")
    # The template's form of the same list imports back unchanged; a new value is updated.
    changed = row["options"].replace("SK=12.00", "SK=10")
    instrument_import(parsed=parse_json(_instrument(changed)), year=2030)
    assert AnswerOption.objects.get(label="SK").points == D("10.00")
    assert AnswerOption.objects.count() == 5


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("Perda 24", "label=points"),
        ("Perda=30", "above the question's maximum"),
        ("Perda=24; Perda=18", "Two options have one label"),
        ("Perda=-1", "negative"),
    ],
)
def test_bad_options_are_refused_with_where_and_why(options, message):
    try:
        parsed = parse_json(_instrument(options))
    except InstrumentFileError as error:
        assert message in str(error)
    else:
        assert any(message in str(e) for e in parsed.errors)


@pytest.fixture
def optioned(question):
    for order, (label, points) in enumerate(LEVELS):
        AnswerOption.objects.create(question=question, label=label, points=D(points), order=order)
    question.max_points = D("24")
    question.save()
    return question


def _option(label):
    return AnswerOption.objects.get(label=label)


@pytest.mark.django_db
def test_the_points_follow_the_option(optioned, lead_unit, opd_user, other_opd_user):
    answer = services.answer_open(question=optioned, unit=lead_unit)
    answer = services.answer_save(
        answer=answer, user=opd_user, claimed_points=None, narrative="", option=_option("Perbup")
    )
    assert (answer.option.label, answer.claimed_points) == ("Perbup", D("18.00"))
    with pytest.raises(DomainError) as typed:
        services.answer_save(answer=answer, user=opd_user, claimed_points="24", narrative="")
    assert typed.value.code == "option_required"  # no free typing where options exist
    elsewhere = factories.QuestionFactory(indicator=optioned.indicator)
    stranger = AnswerOption.objects.create(question=elsewhere, label="X", points=D("1"))
    with pytest.raises(DomainError):
        services.answer_save(
            answer=answer, user=opd_user, claimed_points=None, narrative="", option=stranger
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("verified", "because", "note", "outcome"),
    [
        (None, "", "", ("Perbup", D("18.00"), "")),  # confirmed as chosen
        ("SK", "", "", "no_reason"),  # lower without saying why
        ("SK", LoweredReason.UNSIGNED, "", ("SK", D("12.00"), "unsigned")),
        ("SK", LoweredReason.OTHER, "", "no_reason"),  # "other" needs the note
        ("SK", LoweredReason.OTHER, "Bukan SK Bupati", ("SK", D("12.00"), "other")),
    ],
)
def test_the_reviewer_confirms_or_lowers_with_a_reason(
    optioned, lead_unit, opd_user, secretariat_user, verified, because, note, outcome
):
    answer = services.answer_open(question=optioned, unit=lead_unit)
    services.answer_save(
        answer=answer, user=opd_user, claimed_points=None, narrative="", option=_option("Perbup")
    )
    Answer.objects.filter(pk=answer.pk).update(status="submitted")
    answer.refresh_from_db()
    decide = lambda: services.answer_approve(  # noqa: E731
        answer=answer,
        user=secretariat_user,
        reason=note,
        lowered_because=because,
        verified_option=_option(verified) if verified else None,
    )
    if isinstance(outcome, str):
        with pytest.raises(DomainError) as error:
            decide()
        assert error.value.code == outcome
        return
    decide()
    answer.refresh_from_db()
    assert (answer.verified_option.label, answer.verified_points, answer.lowered_because) == outcome
    if because:
        assert answer.review_note  # the unit reads why


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pick_an_option_and_a_reviewer_lowers_it_with_a_reason(live_server, page, tmp_path):
    base = live_server.url
    pdf = tmp_path / "perbup.pdf"
    pdf.write_bytes(samples.pdf_bytes("Perbup KLA"))
    period = factories.PeriodFactory(year=2026)
    unit = factories.UnitFactory(name="Bagian Hukum", short_name="Hukum")
    question = factories.QuestionFactory(
        indicator__group__period=period, max_points="24.00", text="Apakah tersedia Perda KLA?"
    )
    for order, (label, points) in enumerate(LEVELS):
        AnswerOption.objects.create(question=question, label=label, points=D(points), order=order)
    factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
    factories.UserFactory(username="hukum", role=Profile.Role.OPD, units=[unit])
    factories.UserFactory(username="sekretariat", role=Profile.Role.SECRETARIAT)
    page.set_viewport_size({"width": 390, "height": 844})

    def login(username):
        page.context.clear_cookies()
        page.goto(f"{base}/masuk/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", factories.PASSWORD)
        page.locator("form button.btn-primary").click()
        page.wait_for_load_state()
        page.goto(f"{base}/opd/jawaban/{question.pk}/{unit.pk}/")

    login("hukum")
    page.get_by_label("Perbup (18,00)").check()
    page.locator("form[action$='/simpan/'] button[type=submit]").click()
    expect(page.get_by_test_id("chosen-option")).to_contain_text("Perbup")
    page.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(pdf)
    page.get_by_test_id("upload-button").click()
    expect(page.get_by_test_id("evidence-item")).to_be_visible(timeout=30_000)
    page.locator("a[href$='/kirim/']").click()
    page.locator("form button.btn-primary").click()

    login("sekretariat")
    page.select_option("select[name=verified_option]", label="SK (12,00)")
    page.select_option("select[name=lowered_because]", value=LoweredReason.UNSIGNED)
    page.locator("form[action$='/setujui/'] button[type=submit]").click()

    login("hukum")
    expect(page.get_by_test_id("verified-points")).to_have_text("12,00")
    expect(page.get_by_test_id("verified-option")).to_contain_text("SK")
    expect(page.get_by_test_id("review-note")).to_be_visible()
    answer = Answer.objects.get()
    assert (answer.verified_option.label, answer.lowered_because) == ("SK", "unsigned")
