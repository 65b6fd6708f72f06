"""The server's side of the answer page without a connection: the JSON save that the autosave
and the device's queue use (opd/views/offline.py), the service worker's script, the headers
of the pages the worker keeps, and the answer header after a resubmission."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from opd import services
from opd.models import Answer, AuditEvent, Evidence
from opd.offline import question_stamp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _inside_window(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))


def _autosave(client, question, unit, **data):
    url = reverse("opd:answer-autosave", args=[question.pk, unit.pk])
    return client.post(url, data, HTTP_ACCEPT="application/json")


def _saved(question, unit, user, narrative="Versi kantor", points="6"):
    answer = services.answer_open(question=question, unit=unit)
    return services.answer_save(
        answer=answer, user=user, claimed_points=points, narrative=narrative
    )


def test_autosave_saves_the_draft_through_the_service(client, opd_user, question, lead_unit):
    client.force_login(opd_user)
    response = _autosave(
        client,
        question,
        lead_unit,
        claimed_points="7,5",
        narrative="Perbup 12/2025",
        data_values="2025: 87%",
        version="0",
    )
    assert response.status_code == 200
    body = response.json()
    answer = Answer.objects.get()
    assert body["ok"] is True and body["version"] == answer.version
    assert body["saved_at"] == timezone.localtime(answer.updated_at).strftime("%H.%M")
    assert (answer.narrative, str(answer.claimed_points)) == ("Perbup 12/2025", "7.50")
    assert answer.data_values == {"2025": "87%"}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ANSWER_SAVE).count() == 1
    # The next save carries the version the first one returned.
    again = _autosave(
        client,
        question,
        lead_unit,
        claimed_points="8",
        narrative="Perbup",
        version=str(body["version"]),
    )
    assert again.status_code == 200 and again.json()["version"] == body["version"] + 1


def test_a_newer_version_is_a_conflict_with_the_server_side(client, opd_user, question, lead_unit):
    answer = _saved(question, lead_unit, opd_user)
    client.force_login(opd_user)
    response = _autosave(
        client,
        question,
        lead_unit,
        claimed_points="9",
        narrative="Versi perangkat",
        version=str(answer.version - 1),
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale"
    assert body["current"]["narrative"] == "Versi kantor"
    assert body["current"]["points"] == "6,00"  # as the page writes points, in Indonesian
    assert body["current"]["version"] == answer.version
    answer.refresh_from_db()
    assert answer.narrative == "Versi kantor"  # nothing overwritten


def test_a_device_that_saw_no_answer_does_not_overwrite_one_written_meanwhile(
    client, opd_user, question, lead_unit
):
    _saved(question, lead_unit, opd_user)
    client.force_login(opd_user)
    response = _autosave(client, question, lead_unit, narrative="Versi perangkat", version="0")
    assert response.status_code == 409 and response.json()["code"] == "stale"
    assert Answer.objects.get().narrative == "Versi kantor"


def test_an_empty_answer_opened_meanwhile_is_no_conflict(client, opd_user, question, lead_unit):
    services.answer_open(question=question, unit=lead_unit)  # an upload made it, empty
    client.force_login(opd_user)
    response = _autosave(client, question, lead_unit, narrative="Versi perangkat", version="0")
    assert response.status_code == 200
    assert Answer.objects.get().narrative == "Versi perangkat"


def test_a_changed_question_is_refused_until_the_person_sends_anyway(
    client, opd_user, question, lead_unit
):
    stamp = question_stamp(question)
    question.text = "Apakah tersedia Perbup KLA yang sudah diundangkan?"
    question.save()
    assert question_stamp(question) != stamp
    client.force_login(opd_user)
    data = {"narrative": "Perbup 12/2025", "version": "0", "question_stamp": stamp}
    response = _autosave(client, question, lead_unit, **data)
    assert response.status_code == 409
    assert response.json()["code"] == "question_changed"
    assert response.json()["question"] == question.text
    assert not Answer.objects.exists()
    response = _autosave(client, question, lead_unit, force="1", **data)
    assert response.status_code == 200
    assert Answer.objects.get().narrative == "Perbup 12/2025"


def test_a_closed_window_is_refused_with_the_reason(
    client, opd_user, question, lead_unit, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 12, 1))
    client.force_login(opd_user)
    response = _autosave(client, question, lead_unit, narrative="Terlambat", version="0")
    assert response.status_code == 409
    assert response.json()["message"]
    assert not Answer.objects.filter(narrative="Terlambat").exists()


def test_who_may_not_write_gets_json_not_a_page(
    client, other_opd_user, support_user, question, lead_unit
):
    response = _autosave(client, question, lead_unit, narrative="x", version="0")
    assert response.status_code == 401 and response.json()["code"] == "login"
    for user, status in ((other_opd_user, 404), (support_user, 403)):
        client.force_login(user)
        response = _autosave(client, question, lead_unit, narrative="x", version="0")
        assert response.status_code == status and response.json()["code"] == "no_access"
    assert not Answer.objects.exists()


def test_wrong_points_are_refused_field_by_field(client, opd_user, question, lead_unit):
    client.force_login(opd_user)
    response = _autosave(client, question, lead_unit, claimed_points="99", version="0")
    assert response.status_code == 400
    assert "claimed_points" in response.json()["errors"]


def test_the_service_worker_is_served_under_opd_and_checked_each_time(client):
    response = client.get("/opd/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/opd/"
    assert "no-cache" in response["Cache-Control"]
    assert b"kla-pages" in b"".join(response.streaming_content)


def test_only_a_units_own_pages_are_marked_for_the_device(
    client, opd_user, secretariat_user, question, lead_unit
):
    client.force_login(opd_user)
    for url in (reverse("opd:workspace"), reverse("opd:answer", args=[question.pk, lead_unit.pk])):
        response = client.get(url)
        assert response["X-KLA-Offline"] == "keep"
        assert "private" in response["Cache-Control"]  # never in a shared cache
        assert 'data-sw="/opd/sw.js"' in response.content.decode()
    client.force_login(secretariat_user)
    response = client.get(reverse("opd:answer", args=[question.pk, lead_unit.pk]))
    assert "X-KLA-Offline" not in response
    assert "private" in response["Cache-Control"]
    assert "data-sw=" not in response.content.decode()


def test_after_resubmission_the_header_shows_the_current_state(
    client, opd_user, secretariat_user, question, lead_unit
):
    answer = _saved(question, lead_unit, opd_user)
    Evidence.objects.create(answer=answer, unit=lead_unit, kind="link", url="https://x.test/a")
    answer = services.answer_submit(answer=answer, user=opd_user)
    services.answer_request_revision(
        answer=answer, user=secretariat_user, note="Perbup belum ditandatangani"
    )
    client.force_login(opd_user)
    url = reverse("opd:answer", args=[question.pk, lead_unit.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="review-note"' in page and "belum ditandatangani" in page
    assert 'data-testid="reviewed-label"' in page
    answer.refresh_from_db()
    services.answer_submit(answer=answer, user=opd_user)
    page = client.get(url).content.decode()
    assert 'data-testid="review-note"' not in page
    assert 'data-testid="reviewed-label"' not in page
    assert "belum ditandatangani" not in page
