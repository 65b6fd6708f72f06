"""Locked means locked for the Django admin too, and the admin's writes reach the audit trail."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from indicators.models import Period, Question, RankBand
from opd.models import Assignment, AuditEvent, Extension, Profile
from opd.services import period_lock
from tests import factories


@pytest.fixture
def locked_period(question, secretariat_user):
    period = question.indicator.group.period
    return period_lock(period=period, user=secretariat_user)


def _admin_change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


# --- The model refuses, whatever the route ---------------------------------------------------


def _edit_band(period):
    band = period.rank_bands.get(name="Madya")
    band.lower_bound = Decimal("550.00")
    band.save()


def _add_band(period):
    RankBand.objects.create(period=period, name="Extra", lower_bound=Decimal("450.00"))


def _delete_band(period):
    period.rank_bands.get(name="Madya").delete()


def _edit_question(period):
    q = Question.objects.get(indicator__group__period=period)
    q.max_points = Decimal("99.00")
    q.save()


def _edit_indicator(period):
    q = Question.objects.get(indicator__group__period=period)
    q.indicator.max_points = Decimal("1.00")
    q.indicator.save()


def _edit_group(period):
    group = period.groups.get()
    group.name = "Renamed"
    group.save()


def _edit_assignment(period):
    assignment = Assignment.objects.filter(question__indicator__group__period=period).first()
    assignment.delete()


def _edit_period(period):
    stale = Period.objects.get(pk=period.pk)
    stale.status = Period.Status.OPEN  # an object edited in memory cannot unlock the period
    stale.target_rank = "Nindya"
    stale.save()


def _delete_period(period):
    Period.objects.get(pk=period.pk).delete()


@pytest.mark.parametrize(
    "change",
    [
        _edit_band,
        _add_band,
        _delete_band,
        _edit_question,
        _edit_indicator,
        _edit_group,
        _edit_assignment,
        _edit_period,
        _delete_period,
    ],
)
def test_a_locked_period_refuses_every_model_write(locked_period, change):
    with pytest.raises(ValidationError, match="locked"):
        change(locked_period)


def test_a_question_cannot_move_into_a_locked_period(locked_period):
    open_question = factories.QuestionFactory(indicator__group__period__year=2031)
    open_question.indicator = Question.objects.get(indicator__group__period=locked_period).indicator
    with pytest.raises(ValidationError, match="locked"):
        open_question.save()


def test_an_open_period_still_changes(question):
    question.max_points = Decimal("7.50")
    question.save()
    band = question.indicator.group.period.rank_bands.get(name="Madya")
    band.lower_bound = Decimal("600.50")
    band.save()
    assert Question.objects.get(pk=question.pk).max_points == Decimal("7.50")


# --- The admin shows a locked period read-only ----------------------------------------------


def test_admin_shows_a_locked_period_read_only(client_for, admin_user, locked_period):
    client = client_for(admin_user)
    band = locked_period.rank_bands.get(name="Madya")
    page = client.get(_admin_change_url(locked_period))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # view-only: no save button
    # Posting anyway (the bands inline, the Madya bound as in the reported flip) is refused.
    posted = client.post(
        _admin_change_url(locked_period),
        {
            "year": locked_period.year,
            "window_opens": "2026-01-15",
            "window_closes": "2026-03-31",
            "rank_bands-TOTAL_FORMS": "1",
            "rank_bands-INITIAL_FORMS": "1",
            "rank_bands-0-id": band.pk,
            "rank_bands-0-period": locked_period.pk,
            "rank_bands-0-name": "Madya",
            "rank_bands-0-lower_bound": "550",
        },
    )
    assert posted.status_code == 403
    assert RankBand.objects.get(pk=band.pk).lower_bound == Decimal("601.00")
    for obj in (band, Question.objects.get(indicator__group__period=locked_period)):
        assert client.post(_admin_change_url(obj), {}).status_code == 403
    delete_url = reverse("admin:indicators_question_delete", args=[obj.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Question.objects.filter(pk=obj.pk).exists()


# --- The admin's writes reach the product's audit trail -------------------------------------


def test_an_admin_change_is_audited_with_old_and_new_values(client_for, admin_user, question):
    client = client_for(admin_user)
    response = client.post(
        _admin_change_url(question),
        {
            "indicator": question.indicator_id,
            "code": question.code,
            "text": question.text,
            "order": question.order,
            "max_points": "3.25",
            "evidence": question.evidence,
            "rows_filled_by": question.rows_filled_by,
            "options-TOTAL_FORMS": "0",
            "options-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action=AuditEvent.Action.ADMIN_CHANGE)
    assert event.actor == admin_user
    assert event.data["operation"] == "change"
    assert event.data["model"] == "indicators.Question"
    assert event.data["fields"]["max_points"] == [str(question.max_points), "3.25"]
    assert event.data["fields"].keys() == {"max_points"}


def test_an_admin_granting_superuser_is_audited(client_for, admin_user, opd_user):
    client = client_for(admin_user)
    page = client.get(_admin_change_url(opd_user))
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "username": opd_user.username,
            "is_superuser": "on",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-0-id": opd_user.profile.pk,
            "profile-0-user": opd_user.pk,
            "profile-0-role": Profile.Role.OPD,
            "profile-0-units": [u.pk for u in opd_user.profile.units.all()],
        }
    )
    data.pop("groups", None), data.pop("user_permissions", None), data.pop("last_login", None)
    data.pop("date_joined", None), data.pop("password", None)
    response = client.post(_admin_change_url(opd_user), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action=AuditEvent.Action.ADMIN_CHANGE)
    assert event.data["fields"]["is_superuser"] == ["False", "True"]
    assert event.summary.startswith("change")


def test_an_admin_deletion_is_audited(client_for, admin_user, question, lead_unit):
    extension = Extension.objects.create(
        period=question.indicator.group.period,
        unit=lead_unit,
        until=datetime.date(2026, 4, 10),
        granted_by=admin_user,
    )
    client = client_for(admin_user)
    url = reverse("admin:opd_extension_delete", args=[extension.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Extension.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.ADMIN_CHANGE)
    assert (event.data["operation"], event.data["model"]) == ("delete", "opd.Extension")
