"""Notices in the product, and a ready WhatsApp message to a unit's contact person."""

import datetime
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from opd import services
from opd.models import Answer, Notice
from opd.notices import whatsapp_number
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


@pytest.fixture
def submitted(question, lead_unit):
    answer = services.answer_open(question=question, unit=lead_unit)
    Answer.objects.filter(pk=answer.pk).update(status="submitted", claimed_points=Decimal("8"))
    answer.refresh_from_db()
    return answer


@pytest.mark.parametrize(
    ("phone", "number"),
    [
        ("0812-3456-7890", "6281234567890"),
        ("+62 812 3456 7890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("021 123", ""),
        ("", ""),
        ("+1 555 0100", ""),
    ],
)
def test_whatsapp_numbers(phone, number):
    assert whatsapp_number(phone) == number


def test_a_revision_request_reaches_the_unit_in_the_product(
    submitted, opd_user, other_opd_user, secretariat_user, client_for
):
    colleague = factories.UserFactory(username="opd2", units=[submitted.unit])
    services.answer_request_revision(answer=submitted, user=secretariat_user, note="Lampirkan SK")
    assert sorted(Notice.objects.values_list("user__username", flat=True)) == ["opd", "opd2"]
    client = client_for(opd_user)
    page = client.get(reverse("opd:workspace")).content.decode()
    assert 'data-testid="nav-notices"' in page and ">1<" in page  # the unread count
    notices = client.get(reverse("opd:notices")).content.decode()
    assert "Lampirkan SK" in notices and "Revisi diminta" in notices
    assert client.post(reverse("opd:notices")).status_code == 302
    opd_user.profile.refresh_from_db()
    colleague.profile.refresh_from_db()
    assert (opd_user.profile.unread_notices, colleague.profile.unread_notices) == (0, 1)
    assert not Notice.objects.filter(user=opd_user, read_at__isnull=True).exists()
    # Another unit's people are told nothing.
    assert client_for(other_opd_user).get(reverse("opd:notices")).context["notices"] == []


def test_an_approval_with_fewer_points_is_a_notice_with_its_reason(
    submitted, opd_user, secretariat_user
):
    services.answer_approve(
        answer=submitted, user=secretariat_user, verified_points="6", reason="Foto kurang"
    )
    notice = Notice.objects.get()
    assert (notice.kind, notice.note) == (Notice.Kind.APPROVED_FEWER, "Foto kurang")


def test_the_secretariat_gets_a_ready_whatsapp_message(
    submitted, opd_user, secretariat_user, client_for
):
    opd_user.first_name = "Budi"
    opd_user.save()
    opd_user.profile.phone = "0812 3456 7890"
    opd_user.profile.save()
    services.answer_request_revision(answer=submitted, user=secretariat_user, note="Lampirkan SK.")
    page = client_for(secretariat_user).get(
        reverse("opd:answer", args=[submitted.question_id, submitted.unit_id])
    )
    [link] = page.context["whatsapp_links"]
    assert link["name"] == "Budi" and link["url"].startswith("https://wa.me/6281234567890?text=")
    text = unquote(link["url"].split("text=", 1)[1])
    assert text.startswith("Yth. Budi") and "Lampirkan SK." in text
    assert "/opd/jawaban/" in text and 'data-testid="whatsapp-links"' in page.content.decode()
    # Units do not see it.
    unit_page = client_for(opd_user).get(
        reverse("opd:answer", args=[submitted.question_id, submitted.unit_id])
    )
    assert unit_page.context["whatsapp_links"] == []
