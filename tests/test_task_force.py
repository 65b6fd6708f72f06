"""The task force as the Bupati's decree sets it up: the secretariat keeps its decree and
members (services with their audit and refusals, the pages with POST-redirect-GET), and the
PDF report and the entry kit's signature page list them."""

import datetime
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from indicators.models import Period
from kla.reports.entry_kit import SIGNATURE_PAGE_NAME, write_entry_kit
from kla.reports.pdf import progress_report_html
from opd import access, services
from opd.models import (
    Answer,
    AuditEvent,
    Document,
    Evidence,
    EvidenceRevision,
    TaskForce,
    TaskForceMember,
)
from tests import factories
from tests.test_entry_kit import pdf_text

pytestmark = pytest.mark.django_db

Role, Origin = TaskForceMember.Role, TaskForceMember.Origin


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def group(question):
    return question.indicator.group


@pytest.fixture
def bappeda(db):
    return factories.UnitFactory(name="Bappeda Litbang", short_name="Bappeda")


def _decree(question, unit, *, kind=Document.Kind.SK) -> Document:
    answer = Answer.objects.create(question=question, unit=unit)
    evidence = Evidence.objects.create(answer=answer, unit=unit)
    revision = EvidenceRevision.objects.create(
        evidence=evidence,
        file="evidence/test/sk",
        original_name="sk.pdf",
        size=1,
        sha256="0" * 64,
        content_type="application/pdf",
    )
    return Document.objects.create(
        unit=unit,
        kind=kind,
        title="Pembentukan Gugus Tugas KLA",
        number="188.45/12/2026",
        issued_on=datetime.date(2026, 1, 5),
        revision=revision,
    )


def _full_task_force(period, group, bappeda, secretariat_user):
    add = services.task_force_member_add
    add(
        period=period,
        user=secretariat_user,
        role=Role.CHAIR,
        origin=Origin.AGENCY,
        name="Ir. H. Ketua Gugus",
        position="Kepala Bappeda",
        unit=bappeda,
    )
    add(
        period=period,
        user=secretariat_user,
        role=Role.SECRETARIAT,
        origin=Origin.AGENCY,
        name="Hj. Sekretaris Dinas",
        position="Kepala Dinas P3AP2KB",
        unit=secretariat_user.profile.units.get(),
    )
    add(
        period=period,
        user=secretariat_user,
        role=Role.COORDINATOR,
        origin=Origin.AGENCY,
        name="Kepala Bidang Sosbud",
        unit=bappeda,
        group=group,
    )
    add(
        period=period,
        user=secretariat_user,
        role=Role.MEMBER,
        origin=Origin.FORUM_ANAK,
        name="Ketua Forum Anak Daerah",
    )


# --- Services ---------------------------------------------------------------------------------


def test_members_are_added_changed_and_removed_with_the_audit_trail(
    period, group, bappeda, secretariat_user
):
    _full_task_force(period, group, bappeda, secretariat_user)
    task_force = TaskForce.objects.get(period=period)
    assert [m.role for m in task_force.members.order_by("order", "pk")] == [
        "chair",
        "secretariat",
        "coordinator",
        "member",
    ]
    events = AuditEvent.objects.filter(action=AuditEvent.Action.TASK_FORCE_CHANGE)
    assert events.count() == 4 and all(e.period == period for e in events)
    member = task_force.members.get(role=Role.MEMBER)
    services.task_force_member_update(
        member=member,
        user=secretariat_user,
        role=Role.MEMBER,
        origin=Origin.MEDIA,
        name="Pemimpin Redaksi",
        position="Radio Tungkal",
    )
    member.refresh_from_db()
    assert (member.origin, member.name) == ("media", "Pemimpin Redaksi")
    change = events.order_by("-pk").first()
    assert change.data["old"]["name"] == "Ketua Forum Anak Daerah"
    assert change.data["new"]["origin"] == "media"
    services.task_force_member_remove(member=member, user=secretariat_user)
    assert not TaskForceMember.objects.filter(pk=member.pk).exists()
    assert events.order_by("-pk").first().data["removed"]["name"] == "Pemimpin Redaksi"


def test_the_coordinators_row_opens_the_cluster_and_removing_it_closes_it(
    period, group, bappeda, secretariat_user
):
    staff = factories.UserFactory(username="staf-bappeda", role="opd", units=[bappeda])
    member = services.task_force_member_add(
        period=period,
        user=secretariat_user,
        role=Role.COORDINATOR,
        origin=Origin.AGENCY,
        name="Kepala Bappeda",
        unit=bappeda,
        group=group,
    )
    assert access.coordinated_group_ids(staff) == {group.pk}
    services.task_force_member_remove(member=member, user=secretariat_user)
    staff = type(staff).objects.get(pk=staff.pk)  # a new request: nothing cached on the user
    assert access.coordinated_group_ids(staff) == set()


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"role": Role.COORDINATOR, "group": None}, "coordinator"),
        ({"role": Role.MEMBER, "group": "group"}, "group"),
        ({"role": Role.MEMBER, "group": None, "unit": None}, "no_unit"),
        ({"name": "  "}, "no_name"),
        ({"role": "boss"}, "choice"),
    ],
)
def test_a_member_the_decree_cannot_name_is_refused(
    period, group, bappeda, secretariat_user, values, code
):
    fields = {
        "role": Role.COORDINATOR,
        "origin": Origin.AGENCY,
        "name": "Kepala Bappeda",
        "unit": bappeda,
        "group": group,
    }
    fields.update({k: group if v == "group" else v for k, v in values.items()})
    with pytest.raises(DomainError) as refused:
        services.task_force_member_add(period=period, user=secretariat_user, **fields)
    assert refused.value.code == code
    assert not TaskForceMember.objects.exists() and not AuditEvent.objects.exists()


def test_one_chair_one_coordinator_per_cluster_and_clusters_of_the_year(
    period, group, bappeda, other_unit, secretariat_user
):
    _full_task_force(period, group, bappeda, secretariat_user)
    add = services.task_force_member_add
    with pytest.raises(DomainError) as refused:
        add(
            period=period,
            user=secretariat_user,
            role=Role.CHAIR,
            origin=Origin.AGENCY,
            name="Wakil",
            unit=bappeda,
        )
    assert refused.value.code == "chair_taken"
    with pytest.raises(DomainError) as refused:
        add(
            period=period,
            user=secretariat_user,
            role=Role.COORDINATOR,
            origin=Origin.AGENCY,
            name="Kadis",
            unit=other_unit,
            group=group,
        )
    assert refused.value.code == "coordinator_taken"
    next_year = factories.GroupFactory(period=factories.PeriodFactory(year=2027))
    with pytest.raises(DomainError) as refused:
        add(
            period=period,
            user=secretariat_user,
            role=Role.COORDINATOR,
            origin=Origin.AGENCY,
            name="Kadis",
            unit=other_unit,
            group=next_year,
        )
    assert refused.value.code == "group_period"


def test_the_decree_is_a_registered_sk(period, question, lead_unit, secretariat_user):
    sk = _decree(question, lead_unit)
    task_force = services.task_force_decree_set(period=period, user=secretariat_user, decree=sk)
    assert task_force.decree == sk
    event = AuditEvent.objects.get(action=AuditEvent.Action.TASK_FORCE_CHANGE)
    assert "188.45/12/2026" in event.data["decree"]["new"]
    perda = _decree(question, factories.UnitFactory(), kind=Document.Kind.PERDA)
    with pytest.raises(DomainError) as refused:
        services.task_force_decree_set(period=period, user=secretariat_user, decree=perda)
    assert refused.value.code == "not_sk"
    assert TaskForce.objects.get(period=period).decree == sk


def test_a_locked_year_keeps_its_task_force(period, group, bappeda, secretariat_user):
    _full_task_force(period, group, bappeda, secretariat_user)
    Period.objects.filter(pk=period.pk).update(status=Period.Status.LOCKED)
    period.refresh_from_db()
    member = TaskForceMember.objects.get(role=Role.MEMBER)
    with pytest.raises(DomainError) as refused:
        services.task_force_member_remove(member=member, user=secretariat_user)
    assert refused.value.code == "locked"
    with pytest.raises(DomainError):
        services.task_force_member_add(
            period=period, user=secretariat_user, role=Role.MEMBER, origin=Origin.MEDIA, name="X"
        )


# --- Pages ------------------------------------------------------------------------------------


def test_the_secretariat_adds_edits_and_removes_with_post_redirect_get(
    period, group, bappeda, secretariat_user, client_for
):
    client = client_for(secretariat_user)
    url = reverse("kla:task-force", args=[period.year])
    response = client.post(
        url,
        {
            "role": Role.COORDINATOR,
            "origin": Origin.AGENCY,
            "name": "Kepala Bappeda",
            "position": "Kepala",
            "unit": bappeda.pk,
            "group": group.pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    member = TaskForceMember.objects.get()
    page = client.get(url).content.decode()
    assert page.count('data-testid="task-force-member"') == 1 and "Kepala Bappeda" in page
    # A refused member: the form again with the reason, 409, nothing written.
    refused = client.post(
        url, {"role": Role.COORDINATOR, "origin": Origin.AGENCY, "name": "Lagi", "unit": bappeda.pk}
    )
    assert refused.status_code == 409 and TaskForceMember.objects.count() == 1
    edit = reverse("kla:task-force-member", args=[member.pk])
    assert "Kepala Bappeda" in client.get(edit).content.decode()
    response = client.post(
        edit,
        {
            "role": Role.COORDINATOR,
            "origin": Origin.AGENCY,
            "name": "Kepala Bappeda Baru",
            "unit": bappeda.pk,
            "group": group.pk,
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    remove = reverse("kla:task-force-member-remove", args=[member.pk])
    confirm = client.get(remove)
    assert confirm.status_code == 200 and "Kepala Bappeda Baru" in confirm.content.decode()
    assert TaskForceMember.objects.exists()  # a GET removes nothing
    assert client.post(remove)["Location"] == url
    assert not TaskForceMember.objects.exists()


def test_the_decree_form_links_a_registered_sk(
    period, question, lead_unit, secretariat_user, client_for
):
    sk = _decree(question, lead_unit)
    client = client_for(secretariat_user)
    response = client.post(reverse("kla:task-force-decree", args=[period.year]), {"decree": sk.pk})
    assert response.status_code == 302
    assert TaskForce.objects.get(period=period).decree == sk
    assert (
        "188.45/12/2026"
        in client.get(reverse("kla:task-force", args=[period.year])).content.decode()
    )


@pytest.mark.parametrize("n", [2, 9])
def test_task_force_page_query_budget(
    period, group, bappeda, secretariat_user, n, client_for, django_assert_num_queries
):
    _full_task_force(period, group, bappeda, secretariat_user)
    for i in range(n):
        services.task_force_member_add(
            period=period,
            user=secretariat_user,
            role=Role.MEMBER,
            origin=Origin.AGENCY,
            name=f"Anggota {i}",
            unit=factories.UnitFactory(),
        )
    client = client_for(secretariat_user)
    # 1 session, 2 user with profile, 3 the period, 4 the task force with its decree, 5 its
    # members with units and clusters, 6 the decree choices (registered SKs), 7 the units and
    # 8 the clusters of the form's choices
    with django_assert_num_queries(8):
        response = client.get(reverse("kla:task-force", args=[period.year]))
    assert response.content.decode().count('data-testid="task-force-member"') == 4 + n


# --- Reports ----------------------------------------------------------------------------------


def test_the_pdf_report_lists_the_task_force(
    period, question, group, bappeda, lead_unit, secretariat_user
):
    _full_task_force(period, group, bappeda, secretariat_user)
    services.task_force_decree_set(
        period=period, user=secretariat_user, decree=_decree(question, lead_unit)
    )
    html = progress_report_html(period=period, language="id")
    section = html.split('data-testid="task-force"', 1)[1]
    assert "188.45/12/2026" in section and "5 Januari 2026" in section
    for name in ("Ir. H. Ketua Gugus", "Hj. Sekretaris Dinas", "Ketua Forum Anak Daerah"):
        assert name in section
    assert group.name in section and "Forum Anak" in section


def test_the_entry_kits_signature_page_names_the_chair_and_the_secretariat(
    period, question, group, bappeda, lead_unit, secretariat_user, tmp_path
):
    out = io.BytesIO()
    write_entry_kit(period=period, sink=out)
    empty = pdf_text(zipfile.ZipFile(out).read(SIGNATURE_PAGE_NAME), tmp_path)
    assert "Ketua Gugus Tugas KLA" in empty and "(......" in empty  # dotted lines to sign on
    _full_task_force(period, group, bappeda, secretariat_user)
    services.task_force_decree_set(
        period=period, user=secretariat_user, decree=_decree(question, lead_unit)
    )
    out = io.BytesIO()
    write_entry_kit(period=period, sink=out)
    text = pdf_text(zipfile.ZipFile(out).read(SIGNATURE_PAGE_NAME), tmp_path)
    assert "188.45/12/2026" in text
    assert "Ir. H. Ketua Gugus" in text and "Hj. Sekretaris Dinas" in text
    assert "Ketua Forum Anak Daerah" in text and "(......" not in text
