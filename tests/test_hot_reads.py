"""The reads every request makes, written out in SQL or kept per process (kla/sessions.py,
kla/auth.py, kla/static_storage.py, core.page_cache.versions): the same answers as Django's
own reads, on PostgreSQL and on SQLite, in one query each."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import page_cache
from core.models import DataVersion
from kla.auth import UserBackend
from kla.sessions import SessionStore
from kla.static_storage import StaticStorage
from opd.models import Answer, Profile
from tests import factories

User = get_user_model()


def _fields(user) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


# --- The signed-in user -----------------------------------------------------------------------


def test_the_user_is_read_with_their_profile_in_one_query(admin_user):
    admin_user.last_login = timezone.now()
    admin_user.save(update_fields=["last_login"])
    with CaptureQueriesContext(connection) as queries:
        user = UserBackend().get_user(admin_user.pk)
        role, profile_user = user.profile.role, user.profile.user
    assert len(queries) == 1
    assert role == Profile.Role.ADMIN and profile_user is user
    # Every field as Django's own read gives it, types included (SQLite's dates and booleans)
    expected = ModelBackend().get_user(admin_user.pk)
    assert _fields(user) == _fields(expected)
    assert {type(value) for value in _fields(user).values()} == {
        type(value) for value in _fields(expected).values()
    }
    assert user.is_superuser is True and isinstance(user.last_login, datetime.datetime)
    profile = Profile.objects.get(user=admin_user)
    assert [getattr(user.profile, f.attname) for f in Profile._meta.concrete_fields] == [
        getattr(profile, f.attname) for f in Profile._meta.concrete_fields
    ]
    assert not [name for name in vars(user) if name.startswith("profile")]  # joined columns: gone


@pytest.mark.parametrize(
    ("change", "found"),
    [
        ("nothing", True),
        ("deactivated", False),  # as ModelBackend: an inactive account is nobody
        ("deleted", False),
    ],
)
def test_who_is_signed_in_follows_the_account(opd_user, change, found):
    if change == "deactivated":
        User.objects.filter(pk=opd_user.pk).update(is_active=False)
    elif change == "deleted":
        opd_user.delete()
    assert (UserBackend().get_user(opd_user.pk) is not None) is found


def test_a_user_without_a_profile_has_none_and_no_query_asks_for_it(opd_user):
    Profile.objects.filter(user=opd_user).delete()
    user = UserBackend().get_user(opd_user.pk)
    with CaptureQueriesContext(connection) as queries:
        assert getattr(user, "profile", None) is None
    assert len(queries) == 0


def test_a_request_reads_session_user_and_profile_in_two_queries(client, opd_user):
    client.force_login(opd_user)
    assert client.session["_auth_user_backend"] == "kla.auth.UserBackend"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("opd:notices"))
    assert response.status_code == 200
    tables = [q["sql"] for q in queries.captured_queries]
    assert "django_session" in tables[0] and "opd_profile" in tables[1]
    assert not any(sql.startswith('SELECT "opd_profile"') for sql in tables)


def test_signing_in_with_a_password_uses_the_backend_and_keeps_the_session(client, opd_user):
    response = client.post(
        reverse("login"), {"username": "opd", "password": factories.PASSWORD}, follow=True
    )
    assert response.context["user"] == opd_user
    assert client.session["_auth_user_backend"] == "kla.auth.UserBackend"
    assert client.get(reverse("opd:workspace")).status_code == 200


# --- The session ------------------------------------------------------------------------------


def test_a_session_reads_what_djangos_store_reads(db):
    django_store = DjangoSessionStore()
    django_store["answer"] = {"draft": "Ada perda KLA", "points": "1.234,56"}
    django_store.create()
    django_store.save()
    with CaptureQueriesContext(connection) as queries:
        store = SessionStore(django_store.session_key)
        data = dict(store.items())
    assert data == dict(DjangoSessionStore(django_store.session_key).items())
    assert data["answer"]["points"] == "1.234,56"
    assert len(queries) == 1


@pytest.mark.parametrize(
    ("case", "session_key"),
    [
        ("expired", "expired-session-key-0123456789ab"),
        ("unknown", "no-such-session-key-0123456789ab"),
        ("none", None),
    ],
)
def test_an_expired_or_unknown_session_is_empty_and_its_key_forgotten(db, case, session_key):
    Session.objects.create(
        session_key="expired-session-key-0123456789ab",
        session_data=DjangoSessionStore().encode({"_auth_user_id": "1"}),
        expire_date=timezone.now() - datetime.timedelta(seconds=1),
    )
    store = SessionStore(session_key)
    assert dict(store.items()) == {}
    assert store.session_key is None


def test_an_expired_session_signs_the_visitor_out(client, opd_user):
    client.force_login(opd_user)
    assert client.get(reverse("opd:workspace")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = client.get(reverse("opd:workspace"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- Static addresses -------------------------------------------------------------------------


def test_a_static_address_is_worked_out_once_and_a_missing_file_still_refused(tmp_path):
    storage = StaticStorage(location=str(tmp_path), base_url="/static/")
    storage.hashed_files = {"css/site.css": "css/site.0123abcd.css"}
    first = storage.url("css/site.css")
    assert first == "/static/css/site.0123abcd.css"
    storage.hashed_files = {"css/site.css": "css/site.changed.css"}
    assert storage.url("css/site.css") is first  # kept: the manifest does not change under it
    assert storage.url("css/site.css", force=True) == "/static/css/site.changed.css"
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")


# --- The page cache's numbers -----------------------------------------------------------------


def test_the_numbers_read_by_name_by_prefix_and_district_wide(db):
    """versions() written out in SQL: listed scopes, more than 20 of a kind read by prefix, and
    the district-wide read (every scope but the units'), each as the rows say."""
    page_cache.versions()  # "all" exists
    units = [page_cache.unit_scope(pk) for pk in range(1, 26)]
    raised = {*units[:3], "answers:1", "score:7", "queue:7", "snapshots"}
    page_cache._raise(raised)
    rows = dict(DataVersion.objects.values_list("scope", "value"))

    def expected(scopes):
        return {scope: rows.get(scope, 0) for scope in {"all", *scopes}}

    assert page_cache.versions(["score:7", "score:8"]) == expected(["score:7", "score:8"])
    with CaptureQueriesContext(connection) as queries:
        many = page_cache.versions([*units, "score:7"])
    assert len(queries) == 1 and "LIKE" in queries[0]["sql"]
    assert many == expected([*units, "score:7"])
    wide = page_cache.versions(["unit:2"], district_wide=True)
    assert wide == {
        **{s: v for s, v in rows.items() if not s.startswith(("unit:", "answers:"))},
        "unit:2": rows["unit:2"],
    }
    assert {"score:7", "queue:7", "snapshots"} <= wide.keys() and "unit:1" not in wide


# --- The answer, with the people its page names -----------------------------------------------


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        # the reviewer of a decision, to the unit
        (Answer.Status.APPROVED, "Approved"),
        (Answer.Status.REVISION_REQUESTED, "Revision requested"),
        # a colleague reviewing it now, to another reviewer
        (Answer.Status.SUBMITTED, "has been reviewing this answer since"),
    ],
)
def test_the_answer_page_names_its_people_without_reading_them_apart(
    client_for, opd_user, secretariat_user, colleague, question, lead_unit, status, shown
):
    now = timezone.now()
    Answer.objects.create(
        question=question,
        unit=lead_unit,
        status=status,
        claimed_points=Decimal("2.00"),
        verified_points=Decimal("2.00") if status == Answer.Status.APPROVED else None,
        submitted_at=now,
        reviewed_at=now if status != Answer.Status.SUBMITTED else None,
        reviewed_by=colleague if status != Answer.Status.SUBMITTED else None,
        review_claimed_by=colleague if status == Answer.Status.SUBMITTED else None,
        review_claimed_at=now if status == Answer.Status.SUBMITTED else None,
    )
    reader = secretariat_user if status == Answer.Status.SUBMITTED else opd_user
    client = client_for(reader)
    client.cookies["django_language"] = "en"
    url = reverse("opd:answer", args=[question.pk, lead_unit.pk])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    assert shown in html and "Sari" in html  # the colleague's name
    users_read = [q["sql"] for q in queries if q["sql"].startswith('SELECT "auth_user"')]
    assert users_read == []


def test_a_new_password_signs_the_accounts_other_sessions_out(opd_user):
    """Django checks each session against the password the user row holds: the written-out
    read must bring that column, or a stolen session would outlive a password change."""
    from django.test import Client

    phone, stolen = Client(), Client()
    for client in (phone, stolen):
        client.force_login(opd_user)
        assert client.get(reverse("opd:workspace")).status_code == 200
    new = "Sebuah-kata-sandi-baru-2027"
    response = phone.post(
        reverse("password_change"),
        {"old_password": factories.PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert phone.get(reverse("opd:workspace")).status_code == 200  # kept signed in
    response = stolen.get(reverse("opd:workspace"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
