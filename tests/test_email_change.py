"""An account's address changes only when the new address confirms it (opd/email_changes.py).

The takeover this stops: the secretariat (or anybody who may type an account's address)
points the Bupati's account at a mailbox it reads, asks for a password reset and logs in as
the Bupati. Replayed here end to end through the people import and the password reset form.
"""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from opd.email_changes import email_change_request
from opd.models import AuditEvent, EmailChange
from tests.test_import_people import _row, _upload

pytestmark = pytest.mark.django_db
User = get_user_model()
ATTACKER = "penyerang@example.net"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """`run_on_commit(f, ...)`: call f and send the mail it queues for after the commit."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


def _mails():
    """The mails sent so far, by recipient; the outbox is emptied."""
    sent = {m.to[0]: m for m in mail.outbox}
    mail.outbox.clear()
    return sent


def _link(message, kind: str) -> str:
    """The path of the konfirmasi or batal link in a mail."""
    link = re.search(rf"https?://\S+?(/akun/email/[^/\s]+/{kind}/)", message.body)
    return link.group(1)


def _reset_links_sent_to(client, address, run_on_commit) -> list[list[str]]:
    mail.outbox.clear()
    run_on_commit(client.post, reverse("password_reset"), {"email": address})
    return [m.to for m in mail.outbox if "/akun/reset/" in m.body]


@pytest.fixture
def en(client_for, settings):
    def login(user):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return login


def test_the_takeover_through_the_people_import_is_stopped(
    en, client, secretariat_user, executive_user, tmp_path, run_on_commit
):
    bupati_mail = executive_user.email
    attacker = en(secretariat_user)
    row = _row(
        executive_user,
        email=ATTACKER,
        name=executive_user.get_full_name(),
        role=executive_user.profile.role,
        unit="Sekretariat Daerah",
    )
    _upload(attacker, tmp_path, [row])
    response = run_on_commit(attacker.post, reverse("kla:people-import-confirm"))
    assert response.status_code == 302
    executive_user.refresh_from_db()
    assert executive_user.email == bupati_mail  # nothing changed on the account
    sent = _mails()
    assert set(sent) == {bupati_mail, ATTACKER}  # the Bupati is told at once

    # The attacker asks for a reset at the address it reads: no link comes to it. A reset
    # for the Bupati's account still goes to the Bupati's own mailbox.
    client.logout()
    assert _reset_links_sent_to(client, ATTACKER, run_on_commit) == []
    assert _reset_links_sent_to(client, bupati_mail, run_on_commit) == [[bupati_mail]]

    # The Bupati cancels; the link in the attacker's mailbox then does nothing.
    cancel, confirm = _link(sent[bupati_mail], "batal"), _link(sent[ATTACKER], "konfirmasi")
    assert client.get(cancel).status_code == 200  # a page that asks: GET changes nothing
    assert EmailChange.objects.get(user=executive_user).is_pending()
    client.post(cancel)
    assert client.get(confirm).status_code == 404
    client.post(confirm)
    executive_user.refresh_from_db()
    assert executive_user.email == bupati_mail
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EMAIL_CHANGE_CANCEL).count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EMAIL_CHANGE_CONFIRM).exists()


def test_the_owner_of_the_new_address_confirms_it(
    client, opd_user, secretariat_user, run_on_commit
):
    old = opd_user.email
    run_on_commit(
        email_change_request,
        user=opd_user,
        new_email="opd.baru@example.go.id",
        actor=secretariat_user,
    )
    sent = _mails()
    assert set(sent) == {old, "opd.baru@example.go.id"}
    confirm = _link(sent["opd.baru@example.go.id"], "konfirmasi")
    page = client.get(confirm)
    assert page.status_code == 200 and "opd.baru@example.go.id" in page.content.decode()
    opd_user.refresh_from_db()
    assert opd_user.email == old  # a mail scanner opening the link changes nothing

    assert run_on_commit(client.post, confirm).status_code == 302
    opd_user.refresh_from_db()
    assert opd_user.email == "opd.baru@example.go.id"
    assert list(_mails()) == [old]  # the old address hears that it changed
    assert client.get(confirm).status_code == 404  # used once
    event = AuditEvent.objects.get(action=AuditEvent.Action.EMAIL_CHANGE_CONFIRM)
    assert event.data == {"username": "opd", "old": old, "new": "opd.baru@example.go.id"}
    # Resets now go to the confirmed address.
    assert _reset_links_sent_to(client, "opd.baru@example.go.id", run_on_commit) == [
        ["opd.baru@example.go.id"]
    ]


def test_a_link_older_than_seven_days_is_refused_in_indonesian(
    client, opd_user, secretariat_user, run_on_commit
):
    run_on_commit(
        email_change_request,
        user=opd_user,
        new_email="opd.baru@example.go.id",
        actor=secretariat_user,
    )
    confirm = _link(_mails()["opd.baru@example.go.id"], "konfirmasi")
    EmailChange.objects.filter(user=opd_user).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    response = client.post(confirm, follow=True)
    assert "tidak berlaku lagi" in response.content.decode()
    opd_user.refresh_from_db()
    assert opd_user.email != "opd.baru@example.go.id"


def test_an_address_waiting_for_one_account_is_not_proposed_for_another(
    opd_user, support_user, secretariat_user
):
    email_change_request(user=opd_user, new_email="bersama@example.go.id", actor=secretariat_user)
    with pytest.raises(DomainError) as refused:
        email_change_request(user=support_user, new_email="bersama@example.go.id", actor=None)
    assert refused.value.code == "email_taken"


def test_the_admin_only_proposes_a_new_address(client, admin_user, executive_user):
    old = executive_user.email
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[executive_user.pk])
    profile = executive_user.profile
    response = client.post(
        url,
        {
            "username": executive_user.username,
            "email": ATTACKER,
            "first_name": "",
            "last_name": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "00:00:00",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": profile.pk,
            "profile-0-user": executive_user.pk,
            "profile-0-role": profile.role,
        },
    )
    assert response.status_code == 302
    executive_user.refresh_from_db()
    assert executive_user.email == old
    assert EmailChange.objects.get(user=executive_user).new_email == ATTACKER
