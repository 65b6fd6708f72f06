"""Who answers is one stored statement (Assignment.role), kept in step by opd/assignments.py."""

import pytest
from django.urls import reverse

from indicators.models import Period
from opd import services
from opd.assignments import (
    question_assignments_sync,
    unit_assignments_sync,
    wanted_roles,
)
from opd.models import Answer, Assignment, Unit
from tests import factories

LEAD, SUPPORT = Assignment.Role.LEAD, Assignment.Role.SUPPORT
PER_UNIT, COORDINATOR = Assignment.Role.PER_UNIT, Assignment.Role.COORDINATOR


@pytest.fixture
def units(db):
    return {
        "dinkes": factories.UnitFactory(short_name="Dinkes", kind=Unit.Kind.DINAS),
        "dinsos": factories.UnitFactory(short_name="Dinsos", kind=Unit.Kind.DINAS),
        "kec1": factories.UnitFactory(short_name="Kec1", kind=Unit.Kind.KECAMATAN),
        "kec2": factories.UnitFactory(short_name="Kec2", kind=Unit.Kind.KECAMATAN),
        "desa1": factories.UnitFactory(short_name="Desa1", kind=Unit.Kind.DESA),
    }


@pytest.mark.parametrize(
    ("flags", "listed", "expected"),
    [
        # An ordinary question: the first listed unit leads, the others support.
        ({}, ["dinkes", "dinsos"], {"dinkes": LEAD, "dinsos": SUPPORT}),
        ({}, [], {}),
        # Every kecamatan answers for itself; the listed agencies coordinate.
        (
            {"every_kecamatan": True},
            ["dinkes"],
            {"dinkes": COORDINATOR, "kec1": PER_UNIT, "kec2": PER_UNIT},
        ),
        ({"every_kecamatan": True}, [], {"kec1": PER_UNIT, "kec2": PER_UNIT}),
        ({"every_desa": True}, ["dinsos"], {"dinsos": COORDINATOR, "desa1": PER_UNIT}),
        (
            {"every_kecamatan": True, "every_desa": True},
            [],
            {"kec1": PER_UNIT, "kec2": PER_UNIT, "desa1": PER_UNIT},
        ),
        # A kecamatan listed by name on a question it answers anyway answers, not coordinates.
        ({"every_kecamatan": True}, ["kec1"], {"kec1": PER_UNIT, "kec2": PER_UNIT}),
        # On an ordinary question a kecamatan may lead like any agency.
        ({}, ["kec1", "dinkes"], {"kec1": LEAD, "dinkes": SUPPORT}),
    ],
)
def test_the_rule_of_who_answers(period, units, flags, listed, expected):
    question = factories.QuestionFactory(indicator__group__period=period, **flags)
    by_kind = {
        Unit.Kind.KECAMATAN: [units["kec1"], units["kec2"]],
        Unit.Kind.DESA: [units["desa1"]],
    }
    wanted = wanted_roles(
        question=question, listed=[units[n] for n in listed], units_by_kind=by_kind
    )
    names = {u.pk: n for n, u in units.items()}
    assert {names[pk]: role for pk, role in wanted.items()} == expected


def _roles(question) -> dict[str, str]:
    return {a.unit.short_name: a.role for a in question.assignments.select_related("unit")}


def test_a_kecamatan_added_later_answers_the_open_periods_questions(units):
    open_period = factories.PeriodFactory(year=2031)
    locked_period = factories.PeriodFactory(year=2030)
    open_q = factories.QuestionFactory(indicator__group__period=open_period, every_kecamatan=True)
    locked_q = factories.QuestionFactory(
        indicator__group__period=locked_period, every_kecamatan=True
    )
    Period.objects.filter(pk=locked_period.pk).update(status=Period.Status.LOCKED)
    ordinary = factories.QuestionFactory(indicator__group__period=open_period)
    new = factories.UnitFactory(short_name="Kec Baru", kind=Unit.Kind.KECAMATAN)
    report = unit_assignments_sync(unit=new)
    assert report.changed == 1
    assert _roles(open_q) == {"Kec Baru": PER_UNIT}
    assert _roles(locked_q) == {} and _roles(ordinary) == {}  # a locked year does not change
    assert unit_assignments_sync(unit=new).changed == 0  # idempotent


def test_a_unit_that_stops_being_a_kecamatan_keeps_only_what_it_answered(period, units):
    kec1, kec2 = units["kec1"], units["kec2"]
    answered = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    untouched = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    for question in (answered, untouched):
        for unit in (kec1, kec2):
            factories.AssignmentFactory(question=question, unit=unit, role=PER_UNIT)
    services.answer_open(question=answered, unit=kec1)
    kec1.is_active = False
    kec1.save()
    unit_assignments_sync(unit=kec1)
    assert _roles(answered) == {"Kec1": PER_UNIT, "Kec2": PER_UNIT}  # its answer still counts
    assert _roles(untouched) == {"Kec2": PER_UNIT}


def test_changing_a_questions_flags_moves_who_answers(period, units):
    question = factories.QuestionFactory(indicator__group__period=period)
    factories.AssignmentFactory(question=question, unit=units["dinkes"], role=LEAD)
    factories.AssignmentFactory(question=question, unit=units["dinsos"], role=SUPPORT)
    question.every_kecamatan = True
    question.save()
    question_assignments_sync(question=question)
    assert _roles(question) == {
        "Dinkes": COORDINATOR,
        "Dinsos": COORDINATOR,
        "Kec1": PER_UNIT,
        "Kec2": PER_UNIT,
    }
    services.answer_open(question=question, unit=units["kec2"])
    question.every_kecamatan = False
    question.save()
    question_assignments_sync(question=question)
    # Back to ordinary: Dinkes (first by name) leads again; Kec2 answered and keeps its row.
    assert _roles(question) == {"Dinkes": LEAD, "Dinsos": SUPPORT, "Kec2": PER_UNIT}


def test_the_admin_adding_a_kecamatan_assigns_it(client_for, admin_user, period):
    question = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    response = client_for(admin_user).post(
        reverse("admin:opd_unit_add"),
        {
            "name": "Kecamatan Seberang Kota",
            "short_name": "Kec. Seberang Kota",
            "kind": Unit.Kind.KECAMATAN,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert _roles(question) == {"Kec. Seberang Kota": PER_UNIT}


def test_every_reader_follows_the_stored_roles(period, units, client_for):
    """A kecamatan assigned as coordinator (say, by hand) coordinates: it gives no answer of
    its own, whatever its kind says, in access, scoring and the workspace."""
    from opd.scoring import score_period
    from opd.selectors import workspace_rows

    question = factories.QuestionFactory(indicator__group__period=period, every_kecamatan=True)
    factories.AssignmentFactory(question=question, unit=units["kec1"], role=COORDINATOR)
    factories.AssignmentFactory(question=question, unit=units["kec2"], role=PER_UNIT)
    camat = factories.UserFactory(username="camat1", units=[units["kec1"]])
    client = client_for(camat)
    assert (
        client.get(reverse("opd:answer", args=[question.pk, units["kec1"].pk])).status_code == 404
    )
    assert (
        client.get(reverse("opd:answer", args=[question.pk, units["kec2"].pk])).status_code == 200
    )
    [row] = workspace_rows(period=period, unit_ids={units["kec1"].pk})
    assert row.answering_unit_id is None
    Answer.objects.create(
        question=question,
        unit=units["kec2"],
        status="approved",
        claimed_points=question.max_points,
        verified_points=question.max_points,
    )
    assert score_period(period=period).verified == question.max_points  # mean over one unit


def test_the_admin_only_shows_assignments(client, admin_user, question):
    """Assignments change through opd/assignments.py only: the admin may not add, change or
    delete one by hand (a second lead, a kecamatan left out of a table)."""
    from opd.models import Assignment

    client.force_login(admin_user)
    assignment = Assignment.objects.filter(question=question).first()
    assert client.get("/admin/opd/assignment/").status_code == 200
    assert client.get("/admin/opd/assignment/add/").status_code == 403
    change = client.get(f"/admin/opd/assignment/{assignment.pk}/change/")
    assert change.status_code == 200 and b'name="_save"' not in change.content
    response = client.post(
        f"/admin/opd/assignment/{assignment.pk}/change/",
        {"question": question.pk, "unit": assignment.unit_id, "role": "support"},
    )
    assert response.status_code == 403
    assert (
        client.post(f"/admin/opd/assignment/{assignment.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Assignment.objects.get(pk=assignment.pk).role == assignment.role
