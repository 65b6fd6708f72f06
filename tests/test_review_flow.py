"""The secretariat's review flow: the message after a decision, resubmissions and what changed
since the revision request, readable audit values, one wording for the review action, and
extensions from the unit's row and the answer page.

Pages are read as users see them: in Indonesian."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from indicators.models import AnswerOption
from opd import evidence as evidence_services
from opd import selectors, services
from opd.audit import audit_summary, audit_value
from opd.models import Answer, Assignment, AuditEvent, Evidence, Extension
from tests import factories

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 2, 10))


def _url(name, answer) -> str:
    return reverse(name, args=[answer.question_id, answer.unit_id])


def _link(answer, user, name):
    return evidence_services.evidence_add_link(
        answer=answer, unit=answer.unit, user=user, url=f"https://jdih.test/{name}", title=name
    )


def _submitted(question, unit, user, *, points="8", narrative="Perbup Nomor 12 Tahun 2025"):
    """An answer the unit saved with a link as evidence and submitted."""
    answer = services.answer_open(question=question, unit=unit)
    services.answer_save(answer=answer, user=user, claimed_points=points, narrative=narrative)
    _link(answer, user, "perbup")
    return services.answer_submit(answer=answer, user=user)


def _waiting(period, unit, n, *, text="Apakah tersedia dokumen", by=None):
    """`n` further answers of `unit` waiting for review, oldest first, after the fixtures'."""
    answers = []
    for i in range(n):
        q = factories.QuestionFactory(
            indicator__group__period=period, code=f"W{i}", text=f"{text} W{i}?"
        )
        factories.AssignmentFactory(question=q, unit=unit, role=Assignment.Role.LEAD)
        answers.append(
            Answer.objects.create(
                question=q,
                unit=unit,
                status=Answer.Status.SUBMITTED,
                claimed_points=Decimal("2.00"),
                submitted_by=by,
                submitted_at=timezone.now() + datetime.timedelta(minutes=i + 1),
            )
        )
    return answers


# --- The message after a decision -----------------------------------------------------------


@pytest.mark.parametrize("decision", ["approve", "revision"])
def test_the_message_names_the_decided_question_and_the_next_one_with_a_way_back(
    client_for, period, question, lead_unit, opd_user, secretariat_user, decision
):
    answer = _submitted(question, lead_unit, opd_user)
    (following,) = _waiting(period, lead_unit, 1, text="Apakah ada Forum Anak")
    client = client_for(secretariat_user)
    if decision == "approve":
        data, url = {"verified_points": "8", "version": answer.version}, "opd:answer-approve"
    else:
        data, url = (
            {"note": "Lampirkan SK", "version": answer.version},
            "opd:answer-request-revision",
        )
    response = client.post(_url(url, answer), data, follow=True)

    assert response.redirect_chain[-1][0] == _url("opd:answer", following)  # the flow goes on
    html = response.content.decode()
    decided = f"{question.indicator.code} / {question.code} “{question.text}” (Dinkes)"
    opened = f"{following.question.indicator.code} / W0 “Apakah ada Forum Anak W0?” (Dinkes)"
    said = "Disetujui: " if decision == "approve" else "Revisi diminta untuk "
    assert said + decided in html
    assert "Sekarang terbuka: " + opened in html
    back = f'<a href="{_url("opd:answer", answer)}" data-testid="decided-link">Kembali ke '
    assert back in html  # a link, not escaped text
    assert Answer.objects.get(pk=following.pk).claim_holder() == secretariat_user


def test_when_nothing_waits_the_message_says_so_and_the_queue_opens(
    client_for, question, lead_unit, opd_user, secretariat_user
):
    answer = _submitted(question, lead_unit, opd_user)
    response = client_for(secretariat_user).post(
        _url("opd:answer-approve", answer),
        {"verified_points": "8", "version": answer.version},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("opd:review-queue")
    html = response.content.decode()
    assert "Tidak ada jawaban lain yang menunggu Anda; berikut antreannya." in html
    assert f"Disetujui: {question.indicator.code} / {question.code}" in html
    assert f'href="{_url("opd:answer", answer)}" data-testid="decided-link"' in html


def test_a_long_question_is_shortened_in_the_message(
    client_for, period, lead_unit, opd_user, secretariat_user
):
    question = factories.QuestionFactory(indicator__group__period=period, text="Kata " * 40)
    factories.AssignmentFactory(question=question, unit=lead_unit, role=Assignment.Role.LEAD)
    answer = _submitted(question, lead_unit, opd_user)
    response = client_for(secretariat_user).post(
        _url("opd:answer-approve", answer),
        {"verified_points": "8", "version": answer.version},
        follow=True,
    )
    html = response.content.decode()
    assert "Kata Kata" in html and ("Kata " * 40).strip() not in html and "…" in html


# --- Resubmissions ----------------------------------------------------------------------------


def test_a_revision_request_keeps_what_the_reviewer_saw(
    question, lead_unit, opd_user, secretariat_user
):
    answer = _submitted(question, lead_unit, opd_user)
    live = list(answer.evidence.values_list("pk", flat=True))
    services.answer_request_revision(answer=answer, user=secretariat_user, note="Lampirkan SK")
    event = AuditEvent.objects.get(action=AuditEvent.Action.ANSWER_REQUEST_REVISION)
    assert event.data == {
        "seen": {
            "points": "8.00",
            "option": None,
            "narrative": "Perbup Nomor 12 Tahun 2025",
            "data_values": {},
            "evidence": live,
        }
    }


def _resubmit(answer, opd_user, secretariat_user, *, points="9", narrative=None, note="Kurang"):
    """The reviewer asks for a revision; the unit changes points (and narrative), removes its
    link, adds a new one and submits again."""
    services.answer_request_revision(answer=answer, user=secretariat_user, note=note)
    answer = Answer.objects.get(pk=answer.pk)
    services.answer_save(
        answer=answer,
        user=opd_user,
        claimed_points=points,
        narrative=narrative if narrative is not None else answer.narrative,
    )
    old = answer.evidence.get()
    evidence_services.evidence_remove(evidence=old, unit=answer.unit, user=opd_user)
    _link(answer, opd_user, "perbup-ttd")
    return services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)


def _changes(answer):
    answer = Answer.objects.get(pk=answer.pk)
    data = selectors.answer_page_data(answer=answer)
    return selectors.resubmission_changes(
        answer=answer, evidence=data["evidence"], removed_evidence=data["removed_evidence"]
    )


def test_what_changed_since_the_revision_request(question, lead_unit, opd_user, secretariat_user):
    answer = _submitted(question, lead_unit, opd_user)
    assert _changes(answer) is None  # a first submission is not a resubmission
    answer = _resubmit(
        answer,
        opd_user,
        secretariat_user,
        narrative="Perbup Nomor 12 Tahun 2025 sudah ditandatangani",
    )
    changes = _changes(answer)
    assert changes.known and changes.changed
    assert changes.note == "Kurang" and changes.requested_by == secretariat_user
    assert changes.points == ("8.00", "9.00")
    assert changes.option is None
    assert changes.narrative == [
        ("same", "Perbup Nomor 12 Tahun 2025"),
        ("ins", "sudah ditandatangani"),
    ]
    assert [e.url for e in changes.added] == ["https://jdih.test/perbup-ttd"]
    assert [e.url for e in changes.removed] == ["https://jdih.test/perbup"]
    assert changes.replaced == []


def test_an_unchanged_resubmission_says_nothing_changed(
    question, lead_unit, opd_user, secretariat_user
):
    answer = _submitted(question, lead_unit, opd_user)
    services.answer_request_revision(answer=answer, user=secretariat_user, note="Cek lagi")
    answer = services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    changes = _changes(answer)
    assert changes is not None and not changes.changed


def test_a_changed_option_is_shown_by_its_labels(period, lead_unit, opd_user, secretariat_user):
    question = factories.QuestionFactory(indicator__group__period=period, max_points="24")
    factories.AssignmentFactory(question=question, unit=lead_unit, role=Assignment.Role.LEAD)
    perda = AnswerOption.objects.create(question=question, label="Perda", points=24, order=1)
    perbup = AnswerOption.objects.create(question=question, label="Perbup", points=18, order=2)
    answer = services.answer_open(question=question, unit=lead_unit)
    services.answer_save(
        answer=answer, user=opd_user, claimed_points=None, narrative="", option=perbup
    )
    _link(answer, opd_user, "perbup")
    services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    services.answer_request_revision(answer=answer, user=secretariat_user, note="Sudah Perda?")
    services.answer_save(
        answer=Answer.objects.get(pk=answer.pk),
        user=opd_user,
        claimed_points=None,
        narrative="",
        option=perda,
    )
    services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    changes = _changes(answer)
    assert changes.option == ("Perbup", "Perda") and changes.points == ("18.00", "24.00")
    # The trail names the options too.
    event = AuditEvent.objects.filter(action=AuditEvent.Action.POINTS_CHANGE).first()
    assert audit_summary(event) == "Points claimed: 18.00 → 24.00 (Perbup → Perda)"


def test_a_file_replaced_after_the_request_is_shown_as_a_new_version(
    question, lead_unit, opd_user, secretariat_user
):
    answer = _submitted(question, lead_unit, opd_user)
    services.answer_request_revision(answer=answer, user=secretariat_user, note="Belum ttd")
    link = answer.evidence.get()
    # A new revision of the same item, uploaded after the request (a file's replacement).
    revision = factories_revision(link, opd_user)
    services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    changes = _changes(answer)
    assert changes.replaced == [link] and changes.added == [] and changes.removed == []
    assert revision.evidence_id == link.pk


def factories_revision(evidence, user):
    from opd.models import EvidenceRevision

    return EvidenceRevision.objects.create(
        evidence=evidence,
        file="evidence/test/x",
        original_name="perbup-ttd.pdf",
        size=3,
        sha256="0" * 64,
        content_type="application/pdf",
        uploaded_by=user,
    )


def test_an_older_request_without_what_was_seen_compares_the_evidence_by_date(
    question, lead_unit, opd_user, secretariat_user
):
    answer = _submitted(question, lead_unit, opd_user)
    before = timezone.now() - datetime.timedelta(days=2)
    Evidence.objects.filter(answer=answer).update(created_at=before - datetime.timedelta(days=1))
    AuditEvent.objects.create(
        action=AuditEvent.Action.ANSWER_REQUEST_REVISION,
        actor=secretariat_user,
        answer=answer,
        created_at=before,
        summary="Kurang foto",
    )
    Answer.objects.filter(pk=answer.pk).update(status=Answer.Status.REVISION_REQUESTED)
    _link(Answer.objects.get(pk=answer.pk), opd_user, "foto")
    services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    changes = _changes(answer)
    assert not changes.known and changes.points is None
    assert [e.url for e in changes.added] == ["https://jdih.test/foto"]


@pytest.mark.parametrize(
    ("before", "after", "diff"),
    [
        ("a b c", "a x c", [("same", "a"), ("del", "b"), ("ins", "x"), ("same", "c")]),
        ("a b", "a b c", [("same", "a b"), ("ins", "c")]),
        ("", "baru", [("ins", "baru")]),
        # Long unchanged runs keep a few words of context around the change.
        (
            " ".join(str(i) for i in range(20)) + " z",
            " ".join(str(i) for i in range(20)) + " y",
            [("gap", "…"), ("same", "14 15 16 17 18 19"), ("del", "z"), ("ins", "y")],
        ),
    ],
)
def test_word_diff(before, after, diff):
    assert selectors.word_diff(before, after) == diff


def test_the_reviewer_sees_the_changes_on_the_answer_page_and_the_unit_does_not(
    client_for, question, lead_unit, opd_user, secretariat_user
):
    answer = _resubmit(_submitted(question, lead_unit, opd_user), opd_user, secretariat_user)
    html = client_for(secretariat_user).get(_url("opd:answer", answer)).content.decode()
    assert 'data-testid="resubmission"' in html and "Diajukan ulang" in html
    assert "<del>8,00</del> → <ins>9,00</ins>" in html  # Indonesian numbers
    assert "ditambahkan" in html and "dihapus" in html
    unit_page = client_for(opd_user).get(_url("opd:answer", answer)).content.decode()
    assert 'data-testid="resubmission"' not in unit_page


def test_the_queue_marks_resubmissions(
    client_for, period, question, lead_unit, opd_user, secretariat_user
):
    resubmitted = _resubmit(_submitted(question, lead_unit, opd_user), opd_user, secretariat_user)
    first_time = _waiting(period, lead_unit, 1)[0]
    html = client_for(secretariat_user).get(reverse("opd:review-queue")).content.decode()
    rows = html.split('data-testid="queue-row"')[1:]
    marked = [r for r in rows if 'data-testid="resubmitted-badge"' in r]
    assert len(rows) == 2 and len(marked) == 1
    assert _url("opd:answer", resubmitted) in marked[0]
    assert _url("opd:answer", first_time) not in marked[0]
    assert "Diajukan ulang" in marked[0]


@pytest.mark.parametrize("n", [2, 10])
def test_the_queue_query_budget_does_not_grow_with_resubmissions(
    client_for, period, lead_unit, opd_user, secretariat_user, n, django_assert_num_queries
):
    answers = _waiting(period, lead_unit, n, by=opd_user)
    for answer in answers:  # every one sent back twice, then submitted again
        for _ in range(2):
            AuditEvent.objects.create(
                action=AuditEvent.Action.ANSWER_REQUEST_REVISION,
                answer=answer,
                created_at=answer.submitted_at - datetime.timedelta(hours=1),
            )
    client = client_for(secretariat_user)
    # 1 session, 2 user with profile, 3 periods, 4 count for the paginator, 5 the page of
    # answers with their evidence count and whether each was sent back before (a subquery in
    # the same query), 6-8 the period's questions (with indicators), the units and the
    # options they show, 9 their submitters and claim holders, 10-12 choices of the group,
    # indicator and unit filters, 13-15 the verification risk of the listed answers
    # (opd/risk.py, from their own facts): the day documents must hold, their evidence, last
    # year's period (links only here: no revisions to read)
    with django_assert_num_queries(15):
        html = client.get(reverse("opd:review-queue")).content.decode()
    assert html.count('data-testid="resubmitted-badge"') == n


@pytest.mark.parametrize("n", [1, 6])
def test_the_reviewers_answer_page_query_budget_is_constant(
    client_for, question, lead_unit, opd_user, secretariat_user, n, django_assert_num_queries
):
    answer = _submitted(question, lead_unit, opd_user)
    services.answer_request_revision(answer=answer, user=secretariat_user, note="Kurang")
    for i in range(n):
        _link(Answer.objects.get(pk=answer.pk), opd_user, f"tambahan-{i}")
    services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    client = client_for(secretariat_user)
    client.get(_url("opd:answer", answer))  # warm the session
    # 1 session, 2 user with profile (role), 3 question with indicator, group and period, 4
    # its assignments with units, 5 the answer, 6 the period's extensions (the unit's deadline:
    # shown, and may it still edit; kept by the page cache in production), 7 evidence with
    # unit, creator and document, 8 their revisions, 9 comments,
    # 10 the question's options (the approval form; the answer form is not built for a
    # reviewer, who cannot edit), 11 the revision request with its reviewer, 12 the answer's
    # history with who did what (a reviewer's own units are not read: only a unit's staff
    # answer for a unit; the header names no reviewer of a resubmitted answer, that was the
    # previous round), 13 the period's returned questions (none here, so the question's
    # return is not read; kept by the page cache in production), 14-15 the
    # verification risk of the answer (opd/risk.py, from the evidence read at 7-8): the day
    # documents must hold, last year's period (none: nothing lost before)
    with django_assert_num_queries(15) as captured:
        html = client.get(_url("opd:answer", answer)).content.decode()
    assert html.count('data-testid="diff-added"') == n
    # What the reviewer's sections cost: the revision request and the history, one each.
    audit_reads = [q for q in captured.captured_queries if '"opd_auditevent"' in q["sql"]]
    assert len(audit_reads) == 2


# --- Readable audit values --------------------------------------------------------------------


def test_audit_values_are_read_as_people_write_them():
    with translation.override("id"):
        assert audit_value(None, kind="points") == "—"
        assert audit_value("4.50", kind="points") == "4,50"
        assert audit_value("1234.5", kind="claimed_points") == "1.234,50"
        assert audit_value("revision_requested", kind="status") == "Revisi diminta"
        assert audit_value("2026-04-03", kind="date") == "3 April 2026"
        assert audit_value("Perbup") == "Perbup"
    with translation.override("en"):
        assert audit_value("1234.5", kind="points") == "1,234.50"
        assert audit_value("approved", kind="status") == "Approved"


def _first_points_change(question, lead_unit, opd_user):
    answer = services.answer_open(question=question, unit=lead_unit)
    services.answer_save(answer=answer, user=opd_user, claimed_points="4.5", narrative="")
    return AuditEvent.objects.get(action=AuditEvent.Action.POINTS_CHANGE)


def test_none_to_points_reads_as_a_dash_and_a_decimal_comma(question, lead_unit, opd_user):
    event = _first_points_change(question, lead_unit, opd_user)
    with translation.override("id"):
        assert audit_summary(event) == "Nilai yang diklaim: — → 4,50"
    # An event written before values were formatted reads the same.
    old = AuditEvent.objects.create(
        action=AuditEvent.Action.POINTS_CHANGE,
        summary="Points claimed: None → 4.50",
        data={"field": "claimed_points", "old": None, "new": "4.50"},
    )
    with translation.override("id"):
        assert audit_summary(old) == "Nilai yang diklaim: — → 4,50"


def test_the_audit_page_its_csv_and_the_answer_history_read_alike(
    client_for, question, lead_unit, opd_user, secretariat_user
):
    event = _first_points_change(question, lead_unit, opd_user)
    client = client_for(secretariat_user)
    page = client.get(reverse("kla:audit-trail")).content.decode()
    assert "Nilai yang diklaim: — → 4,50" in page and "None" not in page
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("kla:audit-trail"), {"format": "csv"}).content.decode())
        )
    )
    assert any("Nilai yang diklaim: — → 4,50" in row for row in rows)
    answer_page = client.get(_url("opd:answer", event.answer)).content.decode()
    assert 'data-testid="answer-history"' in answer_page
    assert "Nilai yang diklaim: — → 4,50" in answer_page
    # The unit does not see the trail on its page.
    assert 'data-testid="answer-history"' not in (
        client_for(opd_user).get(_url("opd:answer", event.answer)).content.decode()
    )


def test_approval_extension_and_submission_read_with_indonesian_numbers_and_dates(
    period, question, lead_unit, opd_user, secretariat_user
):
    answer = _submitted(question, lead_unit, opd_user)
    services.answer_approve(
        answer=answer, user=secretariat_user, verified_points="4.5", reason="Foto kurang"
    )
    services.extension_grant(
        period=period, unit=lead_unit, until=D(2026, 4, 3), reason="Banjir", user=secretariat_user
    )
    with translation.override("id"):
        texts = {e.action: audit_summary(e) for e in AuditEvent.objects.all()}
    assert texts[AuditEvent.Action.ANSWER_SUBMIT] == "Dikirim dengan nilai 8,00"
    assert texts[AuditEvent.Action.ANSWER_APPROVE] == (
        "Disetujui dengan nilai 4,50 dari 8,00 yang diklaim: Foto kurang"
    )
    assert texts[AuditEvent.Action.EXTENSION_GRANT] == "Perpanjangan sampai 3 April 2026: Banjir"


def test_admin_changes_and_official_results_read_with_labels_and_numbers():
    admin = AuditEvent.objects.create(
        action=AuditEvent.Action.ADMIN_CHANGE,
        summary="change answer: 1 / 1 · Dinkes",
        data={
            "model": "opd.Answer",
            "fields": {"status": ["submitted", "approved"], "verified_points": ["", "7.5"]},
        },
    )
    official = AuditEvent.objects.create(
        action=AuditEvent.Action.PERIOD_CHANGE,
        summary="Official result of 2026: 588.00 Pratama",
        data={"official": {"final_score": [None, "588.00"], "entered_on": [None, "2026-04-14"]}},
    )
    with translation.override("id"):
        assert audit_summary(admin) == (
            "change answer: 1 / 1 · Dinkes (status: Dikirim → Disetujui; "
            "nilai terverifikasi: — → 7,50)"
        )
        text = audit_summary(official)
    assert "588,00" in text and "14 April 2026" in text and "None" not in text


# --- One wording for the review action --------------------------------------------------------


def test_a_revision_request_is_never_called_verified(
    client_for, question, lead_unit, opd_user, secretariat_user
):
    answer = _submitted(question, lead_unit, opd_user)
    services.answer_request_revision(answer=answer, user=secretariat_user, note="Lampirkan SK")
    for user in (opd_user, secretariat_user):
        html = client_for(user).get(_url("opd:answer", answer)).content.decode()
        assert "Diverifikasi" not in html and "diverifikasi" not in html
        assert "Revisi diminta" in html
    audit = client_for(secretariat_user).get(reverse("kla:audit-trail")).content.decode()
    assert "Diverifikasi" not in audit and "Revisi diminta" in audit


def test_the_review_action_is_tinjau_setujui_minta_revisi(
    client_for, question, lead_unit, opd_user, secretariat_user
):
    answer = _submitted(question, lead_unit, opd_user)
    client = client_for(secretariat_user)
    html = client.get(_url("opd:answer", answer)).content.decode()
    assert ">Tinjau</h2>" in html and "Tinjau jawaban ini" in html
    assert ">Setujui</button>" in html and ">Minta revisi</button>" in html
    # "Risiko verifikasi" names the province's and the ministry's verification, not ours.
    assert "Antrean tinjauan" in html and "verifikasi" not in html.lower().replace(
        "terverifikasi", ""
    ).replace("risiko verifikasi", "")
    queue = client.get(reverse("opd:review-queue")).content.decode()
    assert "Antrean tinjauan" in queue and "Antrean verifikasi" not in queue
    # The verified points keep their name (issue 13).
    home = client.get(reverse("kla:secretariat-home")).content.decode()
    assert "Terverifikasi sekretariat" in home


# --- Extensions from the unit's row and from the answer page ----------------------------------


def test_the_dashboard_row_offers_an_extension_for_its_unit(
    client_for, period, question, lead_unit, secretariat_user
):
    Extension.objects.create(period=period, unit=lead_unit, until=D(2026, 4, 5))
    html = client_for(secretariat_user).get(reverse("kla:secretariat-home")).content.decode()
    row = next(r for r in html.split('data-testid="unit-row"')[1:] if "Dinas Kesehatan" in r)
    assert reverse("kla:unit-extension", args=[2026, lead_unit.pk]) in row
    assert "5 Apr 2026" in row and "diperpanjang" in row


# transactional_db: the grant commits, so the cached dashboard's data version moves as in use.
def test_a_grant_shows_at_once_on_the_cached_dashboard(
    transactional_db, page_cache_on, client_for, period, question, lead_unit, secretariat_user
):
    client = client_for(secretariat_user)
    assert "3 Apr 2026" not in client.get(reverse("kla:secretariat-home")).content.decode()
    client.post(reverse("kla:unit-extension", args=[2026, lead_unit.pk]), {"until": "2026-04-03"})
    row = (
        client.get(reverse("kla:secretariat-home"))
        .content.decode()
        .split('data-testid="unit-row"')[1]
    )
    assert "3 Apr 2026" in row and "diperpanjang" in row


def test_the_unit_form_grants_through_the_service_and_confirms_the_new_date(
    client_for, period, question, lead_unit, secretariat_user
):
    url = reverse("kla:unit-extension", args=[2026, lead_unit.pk])
    client = client_for(secretariat_user)
    page = client.get(url).content.decode()
    assert "Perpanjangan untuk Dinas Kesehatan" in page
    assert "Dapat mengubah jawaban sampai 31 Maret 2026." in page
    response = client.post(url, {"until": "2026-04-03", "reason": "Banjir"}, follow=True)
    assert response.redirect_chain[0][0] == reverse("kla:secretariat-home") + "?year=2026#units"
    assert (
        "Dinas Kesehatan dapat mengubah jawaban sampai 3 April 2026 (sebelumnya: 31 Maret 2026)."
        in response.content.decode()
    )
    extension = Extension.objects.get()
    assert (extension.unit, extension.until, extension.granted_by) == (
        lead_unit,
        D(2026, 4, 3),
        secretariat_user,
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXTENSION_GRANT).count() == 1


def test_the_answer_page_grants_an_extension_and_comes_back(
    client_for, question, lead_unit, opd_user, secretariat_user
):
    answer = _submitted(question, lead_unit, opd_user)
    client = client_for(secretariat_user)
    html = client.get(_url("opd:answer", answer)).content.decode()
    action = reverse("kla:unit-extension", args=[2026, lead_unit.pk])
    assert f'action="{action}"' in html and 'data-testid="extension-form"' in html
    response = client.post(
        action, {"until": "2026-04-03", "next": _url("opd:answer", answer)}, follow=True
    )
    assert response.redirect_chain[0][0] == _url("opd:answer", answer)
    assert "sampai 3 April 2026" in response.content.decode()
    # Units are not offered it.
    assert 'data-testid="extension-form"' not in (
        client_for(opd_user).get(_url("opd:answer", answer)).content.decode()
    )


def test_a_refused_extension_says_why_and_grants_nothing(
    client_for, period, question, lead_unit, secretariat_user
):
    url = reverse("kla:unit-extension", args=[2026, lead_unit.pk])
    response = client_for(secretariat_user).post(url, {"until": "2026-03-01"})
    assert response.status_code == 409
    assert "31-03-2026" in response.content.decode()  # the service's reason, with the bound
    assert not Extension.objects.exists()


@pytest.mark.parametrize("elsewhere", ["https://evil.test/", "//evil.test/x", "javascript:x"])
def test_the_form_returns_only_to_this_site(
    client_for, period, question, lead_unit, secretariat_user, elsewhere
):
    url = reverse("kla:unit-extension", args=[2026, lead_unit.pk])
    response = client_for(secretariat_user).post(url, {"until": "2026-04-03", "next": elsewhere})
    assert response["Location"] == reverse("kla:secretariat-home") + "?year=2026#units"


def test_a_unit_without_questions_in_the_period_has_no_extension_page(
    client_for, period, question, other_unit, secretariat_user
):
    url = reverse("kla:unit-extension", args=[2026, other_unit.pk])
    assert client_for(secretariat_user).get(url).status_code == 404
