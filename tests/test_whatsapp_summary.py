"""The WhatsApp summary for the task force's group: its exact text, and the page that offers
it to the secretariat (copy button, wa.me share link)."""

import datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from kla.whatsapp import whatsapp_summary
from opd.models import Answer, Assignment, Extension
from tests import factories

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 2, 10)  # 26 of the window's 75 days gone: 35%


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture
def world(period, lead_unit, support_unit, other_unit, settings):
    """Dinkes answered both its questions (one approved at 7.5, one waiting for review);
    Dinsos has a draft of its one question and an extension; Disdik has a later one."""
    settings.KLA_BASE_URL = "https://kla.example.test"
    indicator = factories.IndicatorFactory(group__period=period)
    answers = [
        (lead_unit, "approved", "8.00", "7.50"),
        (lead_unit, "submitted", "5.00", None),
        (support_unit, "draft", "3.00", None),
        (other_unit, None, None, None),
    ]
    for unit, status, claimed, verified in answers:
        question = factories.QuestionFactory(indicator=indicator)
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
        if status:
            Answer.objects.create(
                question=question,
                unit=unit,
                status=status,
                claimed_points=Decimal(claimed),
                verified_points=Decimal(verified) if verified else None,
                submitted_at=timezone.now() if status != "draft" else None,
            )
    Extension.objects.create(period=period, unit=support_unit, until=D(2026, 4, 3))
    Extension.objects.create(period=period, unit=other_unit, until=D(2026, 4, 10))
    return period


EXPECTED = """\
*Kemajuan KLA 2026 · Kabupaten Tanjung Jabung Barat*
per 10 Februari 2026

Terverifikasi: 7,50 poin (belum berperingkat)
Potensi: 12,50 poin (belum berperingkat)
Target Madya (mulai 601,00): masih kurang 593,50 poin terverifikasi
Menunggu tinjauan: 1 jawaban

*Status per perangkat daerah* (dikirim/ditugaskan, disetujui)
• Dinsos: 0/1 dikirim, 0 disetujui — tertinggal
• Disdik: 0/1 dikirim, 0 disetujui — tertinggal
• Dinkes: 2/2 dikirim, 1 disetujui

• Penilaian mandiri ditutup: 31 Maret 2026 (49 hari lagi)
• Perpanjangan: Dinsos sampai 3 April 2026; Disdik sampai 10 April 2026
• Input ke aplikasi kementerian: 15 April 2026

Rincian: https://kla.example.test/"""


def test_the_exact_text(world):
    assert whatsapp_summary(period=world) == EXPECTED


def test_the_text_is_indonesian_whatever_the_readers_language(world):
    # The tests run in English outside requests (conftest): the group's language is Indonesian.
    assert whatsapp_summary(period=world).startswith("*Kemajuan KLA 2026")


def test_a_long_list_of_extensions_is_counted_and_a_reached_target_said(world, settings):
    for i in range(6):
        unit = factories.UnitFactory(name=f"Kecamatan {i}", short_name=f"Kec{i}")
        Extension.objects.create(period=world, unit=unit, until=D(2026, 4, 1))
    world.target_rank = ""
    world.save(update_fields=["target_rank"])
    text = whatsapp_summary(period=world)
    extensions = [line for line in text.splitlines() if line.startswith("• Perpanjangan:")]
    assert extensions == [
        "• Perpanjangan: Kec0 sampai 1 April 2026; Kec1 sampai 1 April 2026; "
        "Kec2 sampai 1 April 2026; 5 lainnya"
    ]
    assert "Target" not in text


def test_a_long_list_of_agencies_fits_two_phone_screens(world):
    """37 agencies (the demo's 24 and 13 kecamatan): at most 20 lines, those behind first,
    the rest counted, the link still at the end."""
    indicator = factories.IndicatorFactory(group__period=world)
    for i in range(34):
        unit = factories.UnitFactory(name=f"Unit {i:02}", short_name=f"U{i:02}")
        question = factories.QuestionFactory(indicator=indicator)
        factories.AssignmentFactory(question=question, unit=unit, role=Assignment.Role.LEAD)
        if i < 20:  # the first twenty submitted: on schedule; the other fourteen behind
            Answer.objects.create(
                question=question,
                unit=unit,
                status="submitted",
                claimed_points=Decimal("1"),
                submitted_at=timezone.now(),
            )
    lines = whatsapp_summary(period=world).splitlines()
    assert len(lines) <= 20
    agencies = [line for line in lines if line.startswith("• ") and " dikirim, " in line]
    # Only units behind are listed (16 of them behind: Dinsos, Disdik and U20-U33).
    assert agencies and all(line.endswith("— tertinggal") for line in agencies)
    shown = len(agencies)
    assert f"• dan {37 - shown} unit lainnya ({16 - shown} di antaranya tertinggal)" in lines
    assert lines[-1] == "Rincian: https://kla.example.test/"
    assert len(lines) == 20  # the room left was used


def test_after_the_window_the_deadline_says_closed(world, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 4, 5))
    text = whatsapp_summary(period=world)
    assert "• Penilaian mandiri ditutup: 31 Maret 2026 (sudah ditutup)" in text
    # An extension that has ended is no longer a deadline.
    assert "Dinsos sampai" not in text and "• Perpanjangan: Disdik sampai 10 April 2026" in text


def test_the_page_offers_the_text_a_copy_button_and_a_share_link(
    client_for, secretariat_user, world
):
    response = client_for(secretariat_user).get(reverse("kla:whatsapp-summary"))
    html = response.content.decode()
    assert response.context["text"] == EXPECTED
    assert 'data-testid="copy-button"' in html and "/static/js/copy.js" in html
    assert "<script>" not in html  # the policy forbids inline scripts
    assert f'href="https://wa.me/?text={quote(EXPECTED)}"' in html


def test_the_dashboard_links_to_it(client_for, secretariat_user, world):
    html = client_for(secretariat_user).get(reverse("kla:secretariat-home")).content.decode()
    assert reverse("kla:whatsapp-summary") + "?year=2026" in html
    assert "Ringkasan WhatsApp" in html


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 302),
        ("opd", 403),
        ("support", 403),
        ("executive", 403),
        ("secretariat", 200),
        ("admin", 200),
    ],
)
def test_only_the_secretariat_reads_it(client_for, personas, world, persona, status):
    assert client_for(personas[persona]).get(reverse("kla:whatsapp-summary")).status_code == status


def test_development_without_base_url_links_to_the_address_being_served(
    client_for, secretariat_user, world, settings
):
    # DEBUG=1 without KLA_BASE_URL (settings.py): the link leads back to where the page came
    # from, not to the 127.0.0.1:8000 default. Production always uses KLA_BASE_URL.
    settings.KLA_BASE_URL = "http://127.0.0.1:8000"
    settings.KLA_BASE_URL_FROM_REQUEST = True
    settings.ALLOWED_HOSTS = ["kla.lan"]
    page = client_for(secretariat_user).get(
        reverse("kla:whatsapp-summary"), HTTP_HOST="kla.lan:8080"
    )
    assert page.status_code == 200
    assert "Rincian: http://kla.lan:8080/" in page.content.decode()
    settings.KLA_BASE_URL_FROM_REQUEST = False
    page = client_for(secretariat_user).get(
        reverse("kla:whatsapp-summary"), HTTP_HOST="kla.lan:8080"
    )
    assert "Rincian: http://127.0.0.1:8000/" in page.content.decode()
    assert "kla.lan" not in page.content.decode()
