"""A cluster coordinator (a unit the task force's decree names over a group) reads every answer
of its cluster, returns a submitted one to its unit with a note or marks it checked, before the
secretariat; and nothing of another cluster."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from indicators.models import Period
from opd import services
from opd.models import Answer, AuditEvent, Evidence, Notice, Profile
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _inside_window(period, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _submitted(question, unit, user, points="8"):
    answer = Answer.objects.create(
        question=question,
        unit=unit,
        status=Answer.Status.SUBMITTED,
        claimed_points=D(points),
        submitted_at=timezone.now(),
        submitted_by=user,
    )
    Evidence.objects.create(
        answer=answer, unit=unit, kind=Evidence.Kind.LINK, url="https://jdih.example/sk"
    )
    return answer


@pytest.fixture
def answer(question, lead_unit, opd_user):
    return _submitted(question, lead_unit, opd_user)


@pytest.fixture
def other_cluster_answer(period, other_unit, other_opd_user):
    """An answer of another group of the same year, which the coordinator does not coordinate."""
    question = factories.QuestionFactory(indicator__group__period=period)
    factories.AssignmentFactory(question=question, unit=other_unit, role="lead")
    return _submitted(question, other_unit, other_opd_user)


# --- Services ---------------------------------------------------------------------------------


def test_return_sends_the_answer_back_with_the_note_notice_and_mail(
    answer, coordinator_user, opd_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        returned = services.answer_coordinator_return(
            answer=answer, user=coordinator_user, note="SK belum ditandatangani Bupati"
        )
    assert returned.status == Answer.Status.REVISION_REQUESTED
    assert returned.review_note == "SK belum ditandatangani Bupati"
    assert returned.returned_by_coordinator.short_name == "Bappeda"
    event = AuditEvent.objects.get(action=AuditEvent.Action.COORDINATOR_RETURN)
    assert event.actor == coordinator_user and event.answer_id == answer.pk
    assert event.data == {"coordinator": "Bappeda"}
    notice = Notice.objects.get(user=opd_user)
    assert notice.kind == Notice.Kind.COORDINATOR_RETURNED and "ditandatangani" in notice.note
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [opd_user.email]
    assert "SK belum ditandatangani Bupati" in mail.outbox[0].body
    assert "Badan Perencanaan Pembangunan Daerah" in mail.outbox[0].body  # who asks


def test_mail_waits_for_the_commit(answer, coordinator_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.answer_coordinator_return(answer=answer, user=coordinator_user, note="Kurang")
    assert mail.outbox == [] and len(callbacks) == 1


def test_the_unit_resubmits_and_the_secretariat_decides_as_usual(
    answer, coordinator_user, opd_user, secretariat_user
):
    services.answer_coordinator_return(answer=answer, user=coordinator_user, note="Kurang foto")
    answer = services.answer_submit(answer=answer, user=opd_user)
    assert answer.status == Answer.Status.SUBMITTED
    approved = services.answer_approve(answer=answer, user=secretariat_user)
    assert approved.status == Answer.Status.APPROVED and approved.returned_by_coordinator is None


def test_check_marks_the_answer_and_the_units_change_clears_it(
    answer, coordinator_user, opd_user, secretariat_user
):
    version = answer.version
    checked = services.answer_coordinator_check(
        answer=answer, user=coordinator_user, expected_version=version
    )
    assert checked.coordinator_checked and checked.coordinator_checked_by == coordinator_user
    assert checked.status == Answer.Status.SUBMITTED
    assert checked.version == version  # a reviewer's open form stays good
    assert AuditEvent.objects.filter(action=AuditEvent.Action.COORDINATOR_CHECK).count() == 1
    with pytest.raises(DomainError) as refused:
        services.answer_coordinator_check(answer=answer, user=coordinator_user)
    assert refused.value.code == "already_checked"
    # The secretariat asks for a revision: the unit's change clears the mark.
    services.answer_request_revision(answer=checked, user=secretariat_user, note="Ulangi")
    assert Answer.objects.get(pk=answer.pk).coordinator_checked  # still the checked answer
    services.answer_save(answer=answer, user=opd_user, claimed_points="7", narrative="Baru")
    assert not Answer.objects.get(pk=answer.pk).coordinator_checked


def test_submitting_again_clears_the_mark(answer, coordinator_user, opd_user):
    services.answer_coordinator_check(answer=answer, user=coordinator_user)
    Answer.objects.filter(pk=answer.pk).update(status=Answer.Status.REVISION_REQUESTED)
    services.answer_submit(answer=Answer.objects.get(pk=answer.pk), user=opd_user)
    assert not Answer.objects.get(pk=answer.pk).coordinator_checked


@pytest.mark.parametrize("status", ["draft", "revision_requested", "approved"])
def test_only_a_submitted_answer_is_returned_or_checked(answer, coordinator_user, status):
    Answer.objects.filter(pk=answer.pk).update(status=status, verified_points=D("8"))
    for act in (services.answer_coordinator_check, services.answer_coordinator_return):
        with pytest.raises(DomainError) as refused:
            act(
                answer=answer,
                user=coordinator_user,
                **({"note": "x"} if "return" in act.__name__ else {}),
            )
        assert refused.value.code == "not_submitted"
    assert Answer.objects.get(pk=answer.pk).status == status
    assert not AuditEvent.objects.exists()


def test_a_return_needs_a_note(answer, coordinator_user):
    with pytest.raises(DomainError) as refused:
        services.answer_coordinator_return(answer=answer, user=coordinator_user, note="  ")
    assert refused.value.code == "no_note"
    assert Answer.objects.get(pk=answer.pk).status == Answer.Status.SUBMITTED


def test_not_under_a_reviewers_hands(answer, coordinator_user, secretariat_user):
    services.answer_claim(answer=answer, user=secretariat_user)
    with pytest.raises(DomainError) as refused:
        services.answer_coordinator_return(answer=answer, user=coordinator_user, note="Kurang")
    assert refused.value.code == "claimed"


def test_a_stale_form_is_refused(answer, coordinator_user):
    with pytest.raises(DomainError) as refused:
        services.answer_coordinator_return(
            answer=answer, user=coordinator_user, note="Kurang", expected_version=answer.version + 1
        )
    assert refused.value.code == "stale"


def test_a_locked_period_refuses(answer, coordinator_user, period):
    Period.objects.filter(pk=period.pk).update(status=Period.Status.LOCKED)
    with pytest.raises(DomainError) as refused:
        services.answer_coordinator_check(answer=answer, user=coordinator_user)
    assert refused.value.code == "locked"


def test_only_the_coordinator_of_the_answers_group(
    answer, other_cluster_answer, coordinator_user, secretariat_user, support_user
):
    for user, target in [
        (coordinator_user, other_cluster_answer),  # another cluster
        (secretariat_user, answer),  # the secretariat reviews; it does not coordinate
        (support_user, answer),
    ]:
        with pytest.raises(DomainError) as refused:
            services.answer_coordinator_check(answer=target, user=user)
        assert refused.value.code == "not_coordinator", user


def test_a_coordinator_does_not_judge_its_own_units_answer(
    question, coordinator_unit, coordinator_user
):
    own_question = factories.QuestionFactory(indicator=question.indicator)
    factories.AssignmentFactory(question=own_question, unit=coordinator_unit, role="lead")
    own = _submitted(own_question, coordinator_unit, coordinator_user)
    with pytest.raises(DomainError) as refused:
        services.answer_coordinator_return(answer=own, user=coordinator_user, note="Kurang")
    assert refused.value.code == "not_coordinator"


# --- Pages and access -----------------------------------------------------------------------


def test_coordinator_reads_and_returns_its_clusters_answers_and_nothing_else(
    answer, other_cluster_answer, coordinator_user, opd_user, client_for
):
    client = client_for(coordinator_user)
    own_url = reverse("opd:answer", args=[answer.question_id, answer.unit_id])
    page = client.get(own_url)
    assert page.status_code == 200 and 'data-testid="coordinator-panel"' in page.content.decode()
    # Another group's answer: 404 to read, 404 to return or check.
    other = [other_cluster_answer.question_id, other_cluster_answer.unit_id]
    assert client.get(reverse("opd:answer", args=other)).status_code == 404
    for name in ("opd:answer-coordinator-return", "opd:answer-coordinator-check"):
        response = client.post(reverse(name, args=other), {"note": "x"})
        assert response.status_code == 404, name
    assert (
        client.get(
            reverse("opd:cluster", args=[other_cluster_answer.question.indicator.group_id])
        ).status_code
        == 404
    )
    # Writes of the unit on its own cluster's answer: 403 (it reads, it does not write).
    own = [answer.question_id, answer.unit_id]
    assert client.post(reverse("opd:answer-save", args=own), {}).status_code == 403
    assert client.post(reverse("opd:comment-add", args=own), {"body": "x"}).status_code == 403
    # Its own cluster's answer: returned with the note, which the unit then reads.
    response = client.post(
        reverse("opd:answer-coordinator-return", args=own),
        {"note": "Lampirkan SK yang ditandatangani", "version": answer.version},
    )
    assert response.status_code == 302 and response["Location"] == own_url
    assert Answer.objects.get(pk=answer.pk).status == Answer.Status.REVISION_REQUESTED
    unit_page = client_for(opd_user).get(own_url).content.decode()
    assert "Lampirkan SK yang ditandatangani" in unit_page
    assert 'data-testid="coordinator-returned"' in unit_page and "Bappeda" in unit_page
    assert other_cluster_answer.status == Answer.Status.SUBMITTED


def test_a_coordinator_who_leaves_the_decree_reads_nothing_more(
    answer, coordinator_user, client_for
):
    from opd.models import TaskForceMember

    url = reverse("opd:answer", args=[answer.question_id, answer.unit_id])
    assert client_for(coordinator_user).get(url).status_code == 200
    TaskForceMember.objects.filter(role="coordinator").delete()
    assert client_for(coordinator_user).get(url).status_code == 404


def test_a_prepared_years_cluster_is_hidden(lead_unit, coordinator_unit, client_for):
    prepared = factories.PeriodFactory(year=2041, status=Period.Status.PREPARED)
    group = factories.GroupFactory(period=prepared)
    factories.cluster_coordinator(group=group, unit=coordinator_unit)
    user = factories.UserFactory(
        username="koor-2041", role=Profile.Role.OPD, units=[coordinator_unit]
    )
    assert client_for(user).get(reverse("opd:cluster", args=[group.pk])).status_code == 404


def test_cluster_page_shows_progress_per_unit_and_filters(
    answer, question, coordinator_user, support_unit, client_for
):
    services.answer_coordinator_check(answer=answer, user=coordinator_user)
    draft_question = factories.QuestionFactory(indicator=question.indicator)
    factories.AssignmentFactory(question=draft_question, unit=support_unit, role="lead")
    url = reverse("opd:cluster", args=[question.indicator.group_id])
    client = client_for(coordinator_user)
    html = client.get(url).content.decode()
    assert html.count('data-testid="cluster-row"') == 2
    assert "Dinkes" in html and "Dinsos" in html
    checked = client.get(url, {"status": "checked"}).content.decode()
    assert (
        checked.count('data-testid="cluster-row"') == 1 and 'data-testid="checked-badge"' in checked
    )
    not_started = client.get(url, {"status": "not_started"}).content.decode()
    assert not_started.count('data-testid="cluster-row"') == 1 and "Dinsos" in not_started
    by_unit = client.get(url, {"unit": answer.unit_id}).content.decode()
    assert by_unit.count('data-testid="cluster-row"') == 1


@pytest.mark.parametrize("n", [3, 12])
def test_cluster_page_query_budget(
    question, coordinator_user, lead_unit, opd_user, n, client_for, django_assert_num_queries
):
    for i in range(n):
        q = factories.QuestionFactory(indicator=question.indicator)
        unit = factories.UnitFactory(name=f"Dinas Budget {i}", short_name=f"DB{i}")
        factories.AssignmentFactory(question=q, unit=unit, role="lead")
        if i % 2:
            _submitted(q, unit, opd_user)
    client = client_for(coordinator_user)
    # 1 session, 2 user with profile, 3 the group with its period, 4 the groups the user
    # coordinates, 5 the cluster's answering assignments with questions and units, 6 its
    # answers
    with django_assert_num_queries(6):
        response = client.get(reverse("opd:cluster", args=[question.indicator.group_id]))
    assert response.content.decode().count('data-testid="cluster-row"') == n + 1


def test_queue_shows_and_filters_what_the_coordinator_checked(
    answer, question, coordinator_user, secretariat_user, support_unit, opd_user, client_for
):
    second = factories.QuestionFactory(indicator=question.indicator)
    factories.AssignmentFactory(question=second, unit=support_unit, role="lead")
    _submitted(second, support_unit, opd_user)
    services.answer_coordinator_check(answer=answer, user=coordinator_user)
    client = client_for(secretariat_user)
    url = reverse("opd:review-queue")
    html = client.get(url).content.decode()
    assert html.count('data-testid="queue-row"') == 2
    assert html.count('data-testid="coordinator-checked-badge"') == 1
    only = client.get(url, {"status": "submitted", "checked": "1"}).content.decode()
    assert only.count('data-testid="queue-row"') == 1 and "Dinkes" in only
    unchecked = client.get(url, {"status": "submitted", "checked": "0"}).content.decode()
    assert unchecked.count('data-testid="queue-row"') == 1 and "Dinsos" in unchecked


def test_the_bupati_sees_each_cluster_with_its_coordinator(
    answer, question, coordinator_user, executive_user, client_for
):
    html = client_for(executive_user).get(reverse("kla:executive-home")).content.decode()
    assert 'data-testid="clusters-progress"' in html
    section = html.split('data-testid="clusters-progress"', 1)[1]
    row = section.split(question.indicator.group.name, 1)[1].split("</tr>", 1)[0]
    assert "Bappeda" in row and "1 / 1" in row
    printed = client_for(executive_user).get(reverse("kla:executive-print")).content.decode()
    assert 'data-testid="clusters-progress"' not in printed  # the A4 page stays one page


def test_the_coordinators_workspace_leads_to_its_cluster_and_no_one_elses(
    client_for, coordinator_user, opd_user, question
):
    """The way in: a coordinator's unit sees its cluster on its workspace; a unit that
    coordinates nothing sees no such line."""
    cluster = reverse("opd:cluster", args=[question.indicator.group.pk])
    html = client_for(coordinator_user).get(reverse("opd:workspace")).content.decode()
    assert 'data-testid="workspace-clusters"' in html and cluster in html
    html = client_for(opd_user).get(reverse("opd:workspace")).content.decode()
    assert 'data-testid="workspace-clusters"' not in html and cluster not in html
