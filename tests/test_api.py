"""The read API: who may read the score, token authentication, GET only, query budget."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kla.models import ApiToken
from opd.scoring import score_period

pytestmark = pytest.mark.django_db


def test_score_matrix(client_for, personas, period, question):
    url = reverse("api-score", args=[period.year])
    expected = dict(
        anonymous=401,
        opd=403,
        other_opd=403,
        support=403,
        secretariat=200,
        executive=200,
        admin=200,
    )
    for persona, status in expected.items():
        response = client_for(personas[persona]).get(url)
        assert response.status_code == status, persona
        assert "detail" in response.json() or response.json()["period"] == period.year
        assert client_for(personas[persona]).post(url).status_code == 405


def test_score_document_equals_the_service(client_for, executive_user, period, question):
    doc = client_for(executive_user).get(reverse("api-score", args=[period.year])).json()
    score = score_period(period=period)
    assert (
        doc["verified"] == f"{score.verified:.2f}"
        and doc["max_points"] == f"{score.max_points:.2f}"
    )
    assert doc["target"] == "Madya" and doc["rank"]["verified"] is None
    assert client_for(executive_user).get(reverse("api-score", args=[1999])).status_code == 404


def test_token_auth(client, executive_user, period, opd_user):
    out = StringIO()
    call_command(
        "kla_api_token", "--user", executive_user.username, "--name", "Provinsi Jambi", stdout=out
    )
    key = out.getvalue().strip().splitlines()[-1]
    url = reverse("api-score", args=[period.year])
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    token = ApiToken.objects.get()
    assert token.last_used_at is not None and key not in token.key_hash
    assert client.get(url, HTTP_AUTHORIZATION="Token wrong").status_code == 401
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    bad, opd_key = ApiToken.issue(user=opd_user, name="x")
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {opd_key}").status_code == 403


def test_openapi_schema(client_for, executive_user, client):
    assert client.get(reverse("api-openapi")).status_code == 401
    schema = client_for(executive_user).get(reverse("api-openapi")).json()
    assert schema["openapi"] == "3.1.0" and "/api/v1/periods/{year}/score/" in schema["paths"]
    json.dumps(schema)


@pytest.mark.parametrize("extra_questions", [0, 20])
def test_api_query_budget(
    client_for, executive_user, period, question, extra_questions, django_assert_num_queries
):
    from tests import factories

    for _ in range(extra_questions):
        factories.QuestionFactory(indicator=question.indicator)
    client = client_for(executive_user)
    # 1 session, 2 user, 3 profile, 4 period, 5-10 the score (groups, indicators, questions,
    # the units answering per unit, answers, bands)
    with django_assert_num_queries(10):
        assert client.get(reverse("api-score", args=[period.year])).status_code == 200
