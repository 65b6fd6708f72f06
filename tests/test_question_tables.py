"""Per-unit tables: a question every kecamatan (or desa) answers is a table with one row per
unit, "Ya" or "Tidak" (or the instrument's own options, or points), evidence per row; the
rows are filled by each kecamatan (for itself and its desa) or by the coordinator, as the
question says; the question's points are the share of "yes" times the maximum."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from indicators.models import AnswerOption, Question, row_options
from opd import access, services
from opd.models import Answer, Assignment, Evidence, Profile, Unit
from opd.scoring import score_period
from tests import factories, samples
from tests.browser import ensure_upload_script, login

D = Decimal
KEC = Unit.Kind.KECAMATAN


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def kecamatan(db):
    return [
        factories.UnitFactory(name=f"Kecamatan {name}", short_name=f"Kec. {name}", kind=KEC)
        for name in ("Betara", "Merlung", "Pengabuan", "Senyerang")
    ]


@pytest.fixture
def coordinator(db):
    return factories.UnitFactory(name="Dinas Pemberdayaan Masyarakat Desa", short_name="DPMD")


def _table_question(period, kecamatan, coordinator, *, filled_by="units", max_points="4.00"):
    question = factories.QuestionFactory(
        indicator__group__period=period,
        every_kecamatan=True,
        max_points=D(max_points),
        rows_filled_by=filled_by,
    )
    for order, (label, points) in enumerate(row_options(question.max_points), start=1):
        AnswerOption.objects.create(question=question, label=label, points=points, order=order)
    factories.AssignmentFactory(
        question=question, unit=coordinator, role=Assignment.Role.COORDINATOR
    )
    for unit in kecamatan:
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
    return question


@pytest.fixture
def table_question(period, kecamatan, coordinator):
    return _table_question(period, kecamatan, coordinator)


@pytest.fixture
def camat(kecamatan):
    """The operators of the first two kecamatan."""
    return [
        factories.UserFactory(username=f"camat{n}", role=Profile.Role.OPD, units=[unit])
        for n, unit in enumerate(kecamatan[:2])
    ]


@pytest.fixture
def coordinator_user(coordinator):
    return factories.UserFactory(username="dpmd", role=Profile.Role.OPD, units=[coordinator])


def _option(question, label):
    return question.options.get(label=label)


def _evidence(question, unit):
    answer = services.answer_open(question=question, unit=unit)
    Evidence.objects.create(
        answer=answer,
        unit=unit,
        kind=Evidence.Kind.LINK,
        title="SK",
        url="https://jdih.example.test/sk",
    )


def test_points_are_the_share_of_yes_times_the_maximum(table_question, kecamatan, camat):
    yes, no = _option(table_question, "Ya"), _option(table_question, "Tidak")
    for user, unit, option in [(camat[0], kecamatan[0], yes), (camat[1], kecamatan[1], no)]:
        services.table_rows_save(question=table_question, user=user, values=[(unit, option, None)])
    score = score_period(period=table_question.indicator.group.period)
    points = score.groups[0].indicators[0].questions[0].points
    # 1 "yes" among 4 kecamatan: 1/4 of 4.00; the rows not filled count as no.
    assert points.claimed == D("1.00")
    assert Answer.objects.get(unit=kecamatan[0]).claimed_points == D("4.00")
    assert Answer.objects.get(unit=kecamatan[1]).claimed_points == D("0.00")


@pytest.mark.parametrize(
    ("filled_by", "writer", "may"),
    [
        ("units", "camat0", {"Kec. Betara"}),
        ("units", "camat1", {"Kec. Merlung"}),
        ("units", "dpmd", set()),
        (
            "coordinator",
            "dpmd",
            {"Kec. Betara", "Kec. Merlung", "Kec. Pengabuan", "Kec. Senyerang"},
        ),
        ("coordinator", "camat0", set()),
    ],
)
def test_who_fills_the_rows_is_set_per_question(
    period, kecamatan, coordinator, camat, coordinator_user, filled_by, writer, may
):
    question = _table_question(period, kecamatan, coordinator, filled_by=filled_by)
    users = {"camat0": camat[0], "camat1": camat[1], "dpmd": coordinator_user}
    _q, rows = access.table_for_user(users[writer], question_id=question.pk)
    assert {row.unit.short_name for row in rows if row.can_edit} == may
    # The service keeps the same rule: a row the user may not fill is refused.
    others = [u for u in kecamatan if u.short_name not in may]
    report = services.table_rows_save(
        question=question,
        user=users[writer],
        values=[(u, _option(question, "Tidak"), None) for u in kecamatan],
    )
    assert set(report.saved) == may
    assert len(report.problems) == len(others)


def test_a_kecamatan_reads_its_own_row_only_and_a_stranger_none(
    table_question, kecamatan, camat, coordinator_user, other_opd_user, secretariat_user
):
    _q, rows = access.table_for_user(camat[0], question_id=table_question.pk)
    assert [r.unit for r in rows] == [kecamatan[0]]
    for reader in (coordinator_user, secretariat_user):
        _q, rows = access.table_for_user(reader, question_id=table_question.pk)
        assert len(rows) == 4
    with pytest.raises(Exception) as refused:
        access.table_for_user(other_opd_user, question_id=table_question.pk)
    assert refused.typename == "Http404"


def test_desa_rows_are_filled_by_their_kecamatan(period, kecamatan, coordinator, camat):
    desa = [
        factories.UnitFactory(
            name=f"Desa {n}", short_name=f"Desa {n}", kind=Unit.Kind.DESA, parent=kecamatan[n % 2]
        )
        for n in range(4)
    ]
    question = factories.QuestionFactory(indicator__group__period=period, every_desa=True)
    for unit in desa:
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
    _q, rows = access.table_for_user(camat[0], question_id=question.pk)
    assert {r.unit.short_name for r in rows if r.can_edit} == {"Desa 0", "Desa 2"}
    # Without options a row holds a value (points), the question's mean still counts.
    report = services.table_rows_save(
        question=question, user=camat[0], values=[(desa[0], D("10.00"), None)]
    )
    assert report.saved == ["Desa 0"]
    total = score_period(period=period).groups[0].indicators[0].questions[0].points.claimed
    assert total == D("2.50")


def test_a_yes_needs_evidence_before_it_is_submitted(table_question, kecamatan, coordinator_user):
    table_question.rows_filled_by = Question.RowsFilledBy.COORDINATOR
    table_question.save()
    yes, no = _option(table_question, "Ya"), _option(table_question, "Tidak")
    _evidence(table_question, kecamatan[0])
    report = services.table_rows_save(
        question=table_question,
        user=coordinator_user,
        submit=True,
        values=[(kecamatan[0], yes, None), (kecamatan[1], yes, None), (kecamatan[2], no, None)],
    )
    # One outcome per row: submitted, or kept as a draft with the reason (not also "saved").
    assert report.submitted == ["Kec. Betara", "Kec. Pengabuan"]
    assert report.saved == [] and report.problems == []
    assert report.held == [
        "Kec. Merlung: “Ya” needs evidence. The row is kept as a draft: upload the evidence "
        "on the row, then submit it."
    ]
    statuses = dict(Answer.objects.values_list("unit__short_name", "status"))
    assert statuses == {
        "Kec. Betara": "submitted",
        "Kec. Merlung": "draft",
        "Kec. Pengabuan": "submitted",
    }


def test_a_stale_row_is_refused_and_the_others_are_saved(table_question, kecamatan, camat):
    yes = _option(table_question, "Ya")
    answer = services.answer_open(question=table_question, unit=kecamatan[0])
    seen = answer.version
    services.table_rows_save(
        question=table_question, user=camat[0], values=[(kecamatan[0], yes, seen)]
    )
    report = services.table_rows_save(
        question=table_question,
        user=camat[0],
        values=[(kecamatan[0], _option(table_question, "Tidak"), seen)],
    )
    assert report.saved == [] and len(report.problems) == 1
    assert Answer.objects.get(unit=kecamatan[0]).option == yes


def test_a_kecamatan_added_later_is_a_row(table_question, kecamatan):
    from opd.assignments import unit_assignments_sync

    new = factories.UnitFactory(name="Kecamatan Baru", short_name="Kec. Baru", kind=KEC)
    unit_assignments_sync(unit=new)
    _q, rows = access.table_for_user(
        factories.UserFactory(username="sek2", role=Profile.Role.SECRETARIAT),
        question_id=table_question.pk,
    )
    assert "Kec. Baru" in {r.unit.short_name for r in rows}


# --- The page ---------------------------------------------------------------------------------


def test_table_page_permissions(client_for, table_question, camat, coordinator_user, personas):
    url = reverse("opd:question-table", args=[table_question.pk])
    expected = {
        "anonymous": 302,
        "opd": 404,
        "other_opd": 404,
        "support": 404,
        "secretariat": 200,
        "executive": 200,
        "admin": 200,
    }
    for name, status in expected.items():
        assert client_for(personas[name]).get(url).status_code == status, name
    assert client_for(camat[0]).get(url).status_code == 200
    assert client_for(coordinator_user).get(url).status_code == 200
    # Saving: only someone who fills a row; the secretariat and the coordinator read.
    save = reverse("opd:question-table-save", args=[table_question.pk])
    assert client_for(personas["secretariat"]).post(save).status_code == 403
    assert client_for(coordinator_user).post(save).status_code == 403
    assert client_for(personas["other_opd"]).post(save).status_code == 404


def test_the_page_saves_rows_and_says_which(client_for, table_question, kecamatan, camat):
    client = client_for(camat[0])
    yes = _option(table_question, "Ya")
    response = client.post(
        reverse("opd:question-table-save", args=[table_question.pk]),
        {f"row-{kecamatan[0].pk}": yes.pk, "save": "1"},
        follow=True,
    )
    assert "Kec. Betara" in response.content.decode()
    assert Answer.objects.get(unit=kecamatan[0]).option == yes
    # A row of another kecamatan cannot be slipped in: the form has no field for it.
    client.post(
        reverse("opd:question-table-save", args=[table_question.pk]),
        {f"row-{kecamatan[1].pk}": yes.pk},
    )
    assert not Answer.objects.filter(unit=kecamatan[1]).exists()


def test_an_unknown_option_is_refused_and_nothing_saved(
    client_for, table_question, kecamatan, camat, question
):
    foreign = AnswerOption.objects.create(question=question, label="Perda", points=D("1.00"))
    response = client_for(camat[0]).post(
        reverse("opd:question-table-save", args=[table_question.pk]),
        {f"row-{kecamatan[0].pk}": foreign.pk},
    )
    assert response.status_code == 400
    assert not Answer.objects.filter(unit=kecamatan[0]).exists()


def test_table_page_queries_do_not_grow_with_rows(
    client_for, period, kecamatan, coordinator, coordinator_user, django_assert_num_queries
):
    question = _table_question(period, kecamatan, coordinator, filled_by="coordinator")
    for unit in kecamatan:
        services.answer_open(question=question, unit=unit)
    client = client_for(coordinator_user)
    url = reverse("opd:question-table", args=[question.pk])
    client.get(url)  # sessions and the user's units are read once

    def count():
        # 1 session, 2 user with profile, 3 the user's units, 4 the question,
        # 5 its assignments with units, 6 its answers with options, 7 evidence counts,
        # 8 options (the coordinator reads every row: the share needs no query of its own)
        with django_assert_num_queries(8) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    few = count()
    for n in range(12):
        unit = factories.UnitFactory(name=f"Kecamatan X{n}", short_name=f"Kec. X{n}", kind=KEC)
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
        services.answer_open(question=question, unit=unit)
    assert count() == few


def test_import_gives_per_unit_questions_yes_and_no(period):
    import json

    from indicators.importers import parse_json
    from kla.imports import instrument_import, instrument_rows

    question = {
        "code": "2",
        "text": "Berapa persentase kecamatan yang memiliki Forum Anak?",
        "order": 1,
        "max_points": 1.25,
        "every_kecamatan": True,
        "rows_filled_by": "koordinator",
        "opds": ["Dinas Kesehatan"],
    }
    data = {
        "clusters": [
            {
                "name": "Klaster I",
                "order": 1,
                "indicators": [
                    {
                        "code": "1",
                        "name": "Forum",
                        "order": 1,
                        "max_points": 5,
                        "questions": [question],
                    }
                ],
            }
        ]
    }
    instrument_import(parsed=parse_json(json.dumps(data)), year=2031, create_units=True)
    imported = Question.objects.get(indicator__group__period__year=2031)
    assert [(o.label, o.points) for o in imported.options.all()] == [
        ("Ya", D("1.25")),
        ("Tidak", D("0.00")),
    ]
    assert imported.rows_filled_by == "coordinator"
    assert instrument_rows(period=imported.indicator.group.period)[0]["rows_filled_by"] == (
        "coordinator"
    )


# --- Browser journeys ---------------------------------------------------------------------------


def _browser_world(filled_by):
    period = factories.PeriodFactory(year=2026)
    kecamatan = [
        factories.UnitFactory(name=f"Kecamatan {name}", short_name=f"Kec. {name}", kind=KEC)
        for name in ("Betara", "Merlung", "Pengabuan")
    ]
    coordinator = factories.UnitFactory(name="Dinas PMD", short_name="DPMD")
    question = _table_question(
        period, kecamatan, coordinator, filled_by=filled_by, max_points="3.00"
    )
    question.text = "Berapa persentase kecamatan yang memiliki Forum Anak Kecamatan?"
    question.save()
    for n, unit in enumerate(kecamatan[:2]):
        factories.UserFactory(username=f"camat{n}", role=Profile.Role.OPD, units=[unit])
    factories.UserFactory(username="dpmd", role=Profile.Role.OPD, units=[coordinator])
    return question, kecamatan


def _claimed(page):
    return page.get_by_test_id("table-share")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_two_kecamatan_fill_their_rows_on_a_phone(live_server, page):
    question, kecamatan = _browser_world("units")
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    for username, label in (("camat0", "Ya (3,00)"), ("camat1", "Tidak (0,00)")):
        login(page, base, username)
        # From the workspace row to the table.
        page.get_by_role("link", name="Buka tabel").click()
        rows = page.get_by_test_id("table-row")
        expect(rows).to_have_count(1)  # its own row only
        rows.first.get_by_label(label).check()
        page.get_by_role("button", name="Simpan baris").click()
        expect(page.locator(".alert-success")).to_contain_text("Baris tersimpan")
    # One "yes" of three kecamatan: 1/3 of 3,00.
    login(page, base, "dpmd")
    page.goto(f"{base}/opd/tabel/{question.pk}/")
    expect(page.get_by_test_id("table-row")).to_have_count(3)
    expect(_claimed(page)).to_contain_text("“Ya”: 1 dari 3 (33,3%)")
    expect(_claimed(page)).to_contain_text("Diklaim (termasuk draf): 1,00")
    expect(page.get_by_test_id("table-form")).to_have_count(0)  # the coordinator reads only
    page.screenshot(path="var/screenshots/table-kecamatan-390.png", full_page=True)
    options = dict(Answer.objects.values_list("unit__short_name", "option__label"))
    assert options == {"Kec. Betara": "Ya", "Kec. Merlung": "Tidak"}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_coordinator_fills_every_row_and_submits(live_server, page):
    question, kecamatan = _browser_world("coordinator")
    _evidence(question, kecamatan[0])
    page.set_viewport_size({"width": 1366, "height": 900})
    base = live_server.url
    login(page, base, "dpmd")
    page.get_by_test_id("tables-to-fill").get_by_role("link").first.click()
    rows = page.get_by_test_id("table-row")
    expect(rows).to_have_count(3)
    rows.nth(0).get_by_label("Ya (3,00)").check()
    rows.nth(1).get_by_label("Ya (3,00)").check()
    rows.nth(2).get_by_label("Tidak (0,00)").check()
    page.get_by_role("button", name="Simpan dan ajukan baris yang terisi").click()
    # Betara has evidence and Pengabuan says no: submitted. Merlung's "yes" has none: kept.
    expect(page.locator(".alert-success")).to_have_count(1)
    expect(page.locator(".alert-success")).to_contain_text("Kec. Betara, Kec. Pengabuan")
    expect(page.locator(".alert-success")).not_to_contain_text("Kec. Merlung")
    expect(page.locator(".alert-warning")).to_have_count(1)
    expect(page.locator(".alert-warning")).to_contain_text("Kec. Merlung: “Ya” perlu bukti")
    expect(_claimed(page)).to_contain_text("“Ya”: 2 dari 3 (66,7%)")
    page.screenshot(path="var/screenshots/table-coordinator-1366.png", full_page=True)
    statuses = dict(Answer.objects.values_list("unit__short_name", "status"))
    assert statuses == {
        "Kec. Betara": "submitted",
        "Kec. Merlung": "draft",
        "Kec. Pengabuan": "submitted",
    }


def test_each_row_the_reader_fills_has_its_own_upload(
    client_for, table_question, kecamatan, camat, coordinator_user
):
    """The upload of the answer page, per row: the tus endpoint of the row's question and
    unit, one store per answer (resumes on either page), the texts once for the page."""
    html = client_for(camat[0]).get(reverse("opd:question-table", args=[table_question.pk]))
    html = html.content.decode()
    endpoint = reverse("opd:tus-endpoint", args=[table_question.pk, kecamatan[0].pk])
    assert html.count('data-testid="row-upload"') == 1  # its own row only
    assert f'data-endpoint="{endpoint}"' in html
    assert f'data-uppy-id="kla-evidence-{table_question.pk}-{kecamatan[0].pk}"' in html
    assert html.count("<template data-upload-texts>") == 1
    assert "/static/build/evidence-upload.js" in html and "/static/js/question-table.js" in html
    assert html.count('data-testid="row-submit"') == 1
    # The coordinator of a table the kecamatan fill reads it: no upload, no submit, no script.
    html = (
        client_for(coordinator_user)
        .get(reverse("opd:question-table", args=[table_question.pk]))
        .content.decode()
    )
    assert 'data-testid="row-upload"' not in html and 'data-testid="row-submit"' not in html
    assert "evidence-upload.js" not in html


def test_a_rows_upload_goes_to_its_own_answer(client_for, table_question, kecamatan, camat):
    """The row's tus endpoint takes an upload from the row's writer, for that row only."""
    tus = {
        "HTTP_TUS_RESUMABLE": "1.0.0",
        "HTTP_UPLOAD_LENGTH": "1000",
        "HTTP_UPLOAD_METADATA": "filename c2sucGRm",
    }
    own = reverse("opd:tus-endpoint", args=[table_question.pk, kecamatan[0].pk])
    other = reverse("opd:tus-endpoint", args=[table_question.pk, kecamatan[1].pk])
    client = client_for(camat[0])
    assert client.post(own, **tus).status_code == 201
    assert client.post(other, **tus).status_code in (403, 404)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_a_rows_own_button_submits_it_with_one_message_per_outcome(
    client_for, table_question, kecamatan, coordinator_user
):
    table_question.rows_filled_by = Question.RowsFilledBy.COORDINATOR
    table_question.save()
    yes, no = _option(table_question, "Ya"), _option(table_question, "Tidak")
    _evidence(table_question, kecamatan[0])
    client = client_for(coordinator_user)
    save = reverse("opd:question-table-save", args=[table_question.pk])
    # Betara's own button: Betara is submitted; Merlung's choice on the page is saved too.
    response = client.post(
        save,
        {
            f"row-{kecamatan[0].pk}": yes.pk,
            f"row-{kecamatan[1].pk}": no.pk,
            "submit_row": kecamatan[0].pk,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith(f"#row-{kecamatan[0].pk}")
    assert _messages(response) == [
        ("success", "Baris diajukan untuk ditinjau: Kec. Betara."),
        ("success", "Baris tersimpan: Kec. Merlung."),
    ]
    statuses = dict(Answer.objects.values_list("unit__short_name", "status"))
    assert statuses == {"Kec. Betara": "submitted", "Kec. Merlung": "draft"}
    # Pengabuan says "Ya" without evidence: one warning naming the row, no green beside it.
    response = client.post(
        save, {f"row-{kecamatan[2].pk}": yes.pk, "submit_row": kecamatan[2].pk}, follow=True
    )
    assert _messages(response) == [
        (
            "warning",
            "Kec. Pengabuan: “Ya” perlu bukti. Baris disimpan sebagai draf: unggah "
            "buktinya pada baris itu, lalu ajukan.",
        ),
    ]
    assert Answer.objects.get(unit=kecamatan[2]).status == "draft"
    assert Answer.objects.get(unit=kecamatan[2]).option == yes
    # A row's button with nothing chosen on it: said once, nothing else happens.
    response = client.post(save, {"submit_row": kecamatan[3].pk}, follow=True)
    assert _messages(response) == [("warning", "Kec. Senyerang: pilih jawaban sebelum mengajukan.")]
    assert not Answer.objects.filter(unit=kecamatan[3]).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_kecamatan_answers_yes_with_its_evidence_without_leaving_the_table(
    live_server, page, tmp_path
):
    """On a phone: "Ya", the file chosen and uploaded on the row (resumable, as on the answer
    page), the row's own "Simpan dan ajukan": four taps and the file picker, one page, one
    message. The choice made before the upload is not lost when the page shows the evidence."""
    ensure_upload_script()
    question, kecamatan = _browser_world("units")
    pdf = tmp_path / "sk-forum-anak.pdf"
    pdf.write_bytes(samples.pdf_bytes("SK Forum Anak"))
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server.url, "camat0")
    page.goto(f"{live_server.url}/opd/tabel/{question.pk}/")
    row = page.get_by_test_id("table-row")
    expect(row).to_have_count(1)
    row.get_by_label("Ya (3,00)").check()  # 1
    row.get_by_label("Bukti untuk Kecamatan Betara").set_input_files(str(pdf))  # 2 (+ picker)
    row.get_by_test_id("row-upload-button").click()  # 3
    # Stored, then the table's form is posted with the "Ya": the page shows both.
    expect(page.locator(".alert-success", has_text="telah disimpan")).to_contain_text(pdf.name)
    expect(page.locator(".alert-success", has_text="Baris tersimpan: Kec. Betara")).to_be_visible()
    row = page.get_by_test_id("table-row")
    expect(row).to_contain_text("1 bukti")
    expect(row.get_by_label("Ya (3,00)")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="var/screenshots/table-row-upload-390.png", full_page=True)
    row.get_by_test_id("row-submit").click()  # 4
    expect(page.locator(".alert-success")).to_have_count(1)
    expect(page.locator(".alert-success")).to_contain_text("Baris diajukan untuk ditinjau")
    expect(page.locator(".alert-warning")).to_have_count(0)
    answer = Answer.objects.get(question=question, unit=kecamatan[0])
    assert answer.status == "submitted" and answer.option.label == "Ya"
    assert answer.evidence.get().revisions.get().original_name == "sk-forum-anak.pdf"


def test_a_rows_answer_page_leads_to_its_table(client_for, table_question, kecamatan, camat):
    page = client_for(camat[0]).get(
        reverse("opd:answer", args=[table_question.pk, kecamatan[0].pk])
    )
    assert reverse("opd:question-table", args=[table_question.pk]) in page.content.decode()


def test_the_secretariat_approves_the_waiting_rows_at_once(
    client_for, table_question, kecamatan, coordinator_user, secretariat_user, colleague
):
    table_question.rows_filled_by = Question.RowsFilledBy.COORDINATOR
    table_question.save()
    yes, no = _option(table_question, "Ya"), _option(table_question, "Tidak")
    for unit in kecamatan[:3]:
        _evidence(table_question, unit)
    services.table_rows_save(
        question=table_question,
        user=coordinator_user,
        submit=True,
        values=[(kecamatan[0], yes, None), (kecamatan[1], no, None), (kecamatan[2], yes, None)],
    )
    services.table_rows_save(
        question=table_question, user=coordinator_user, values=[(kecamatan[3], no, None)]
    )  # a draft stays one
    # Sari is reviewing Pengabuan's row: it is left to her.
    services.answer_claim(answer=Answer.objects.get(unit=kecamatan[2]), user=colleague)
    client = client_for(secretariat_user)
    url = reverse("opd:question-table-approve", args=[table_question.pk])
    confirm = client.get(url).content.decode()
    assert confirm.count("list-group-item d-flex") == 3  # the three waiting rows, asked first
    response = client.post(url, follow=True)
    page = response.content.decode()
    assert "Kec. Betara, Kec. Merlung" in page and "Kec. Pengabuan" in page
    statuses = dict(Answer.objects.values_list("unit__short_name", "status"))
    assert statuses == {
        "Kec. Betara": "approved",
        "Kec. Merlung": "approved",
        "Kec. Pengabuan": "submitted",
        "Kec. Senyerang": "draft",
    }
    approved = Answer.objects.get(unit=kecamatan[0])
    assert approved.verified_option == yes and approved.verified_points == D("4.00")


# --- Completion and "behind" count a row against whoever fills it -------------------------------


def _completion(period):
    from kla.selectors import unit_completion

    return {row.unit.short_name: row for row in unit_completion(period=period)}


@pytest.mark.parametrize(
    ("filled_by", "expected"),
    [
        # the coordinator fills all four rows; the kecamatan fill none
        ("coordinator", {"DPMD": 4}),
        # each kecamatan fills its own row; the coordinator only follows
        ("units", {"Kec. Betara": 1, "Kec. Merlung": 1, "Kec. Pengabuan": 1, "Kec. Senyerang": 1}),
    ],
)
def test_rows_count_against_the_unit_that_fills_them(
    period, kecamatan, coordinator, filled_by, expected
):
    question = _table_question(period, kecamatan, coordinator, filled_by=filled_by)
    Answer.objects.create(
        question=question,
        unit=kecamatan[0],
        option=_option(question, "Ya"),
        claimed_points=question.max_points,
        status=Answer.Status.SUBMITTED,
    )
    rows = _completion(period)
    assert {name: row.assigned for name, row in rows.items()} == expected
    writer = "DPMD" if filled_by == "coordinator" else "Kec. Betara"
    assert (rows[writer].answered, rows[writer].submitted) == (1, 1)


def test_desa_rows_count_for_their_kecamatan(period, kecamatan):
    desa = [
        factories.UnitFactory(
            name=f"Desa {n}", short_name=f"Ds. {n}", kind=Unit.Kind.DESA, parent=kecamatan[0]
        )
        for n in ("Teluk Nilau", "Suak Samin")
    ]
    question = factories.QuestionFactory(indicator__group__period=period, every_desa=True)
    for unit in desa:
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.PER_UNIT)
    Answer.objects.create(
        question=question, unit=desa[0], claimed_points=D("1"), status=Answer.Status.SUBMITTED
    )
    rows = _completion(period)
    # The kecamatan fills both desa rows; each desa its own (desa rarely have accounts).
    assert rows["Kec. Betara"].assigned == 2 and rows["Kec. Betara"].submitted == 1
    assert rows["Ds. Teluk Nilau"].assigned == 1 and rows["Ds. Suak Samin"].submitted == 0
    # The window (10 February, inside 15 January - 31 March) is a third gone: half done is
    # not behind, nothing done is.
    assert not rows["Kec. Betara"].behind and rows["Ds. Suak Samin"].behind
