"""The read API: who may read the score, token authentication, GET only, query budget; its
response against the published OpenAPI schema; one score document for API, snapshots, reports."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from indicators.models import ScoreSnapshot
from kla.models import ApiToken
from kla.reports.points import report_score
from kla.selectors import trend_points
from opd.scoring import score_period, snapshot_take
from tests import factories
from tests.test_dashboards import _build

pytestmark = pytest.mark.django_db


def test_score_matrix(client_for, personas, period, question):
    url = reverse("kla:api-score", args=[period.year])
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
    doc = client_for(executive_user).get(reverse("kla:api-score", args=[period.year])).json()
    score = score_period(period=period)
    assert (
        doc["verified"] == f"{score.verified:.2f}"
        and doc["max_points"] == f"{score.max_points:.2f}"
    )
    assert doc["target"] == "Madya" and doc["rank"]["verified"] is None
    assert client_for(executive_user).get(reverse("kla:api-score", args=[1999])).status_code == 404


def test_token_auth(client, executive_user, period, opd_user):
    out = StringIO()
    call_command(
        "kla_api_token", "--user", executive_user.username, "--name", "Provinsi Jambi", stdout=out
    )
    key = out.getvalue().strip().splitlines()[-1]
    url = reverse("kla:api-score", args=[period.year])
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
    assert client.get(reverse("kla:api-openapi")).status_code == 401
    schema = client_for(executive_user).get(reverse("kla:api-openapi")).json()
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
    # 1 session, 2 user with profile, 3 period, 4-8 the score (groups with their indicators,
    # the units answering per unit, questions, bands, answers), 9 the official result, 10 the
    # official points (none: nothing more is read), 11 the verification risk's answering units,
    # 12 the day documents must hold (kept until anything district-wide changes in
    # production), 13-16 the period's question ids from the score's instrument and 17-18 its
    # question texts and option labels (all kept in production, read again here: the page
    # cache is off), 19 those units' answers (none: no evidence read, nothing flagged)
    with django_assert_num_queries(19):
        assert client.get(reverse("kla:api-score", args=[period.year])).status_code == 200


SCORE = "/paths/~1api~1v1~1periods~1{year}~1score~1/get/responses/200/content/application~1json"
ERROR = "/components/responses/Error/content/application~1json"


def _validator(client, pointer: str) -> Draft202012Validator:
    """The schema at `pointer` in the OpenAPI document the API serves, $refs resolved."""
    openapi = client.get(reverse("kla:api-openapi")).json()
    for component in openapi["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)
    registry = Registry().with_resource("openapi.json", DRAFT202012.create_resource(openapi))
    return Draft202012Validator({"$ref": f"openapi.json#{pointer}/schema"}, registry=registry)


def test_responses_match_the_published_schema(client_for, executive_user, period):
    _build(period, 6)  # approved, submitted and draft answers, and a per-unit question
    empty = factories.PeriodFactory(year=2030, target_rank="")
    client = client_for(executive_user)
    full = client.get(reverse("kla:api-score", args=[period.year])).json()
    bare = client.get(reverse("kla:api-score", args=[empty.year])).json()
    _validator(client, SCORE).validate(full)
    _validator(client, SCORE).validate(bare)
    assert full["gaps"] and full["gap_to_target"] and bare["groups"] == bare["gaps"] == []
    assert bare["gap_to_target"] is None
    _validator(client, ERROR).validate(client.get(reverse("kla:api-score", args=[1999])).json())


def test_the_schema_refuses_a_dropped_added_or_mistyped_field(client_for, executive_user, period):
    _build(period, 6)
    client = client_for(executive_user)
    doc = client.get(reverse("kla:api-score", args=[period.year])).json()
    group, gap = doc["groups"][0], doc["gaps"][0]
    wrong = [{k: v for k, v in doc.items() if k != key} for key in doc]
    wrong += [{**doc, "groups": [{k: v for k, v in group.items() if k != key}]} for key in group]
    wrong += [
        {**doc, "verified": float(doc["verified"])},
        {**doc, "period": str(doc["period"])},
        {**doc, "rank": {**doc["rank"], "verified": 3}},
        {**doc, "gaps": [{**gap, "x": 1}]},
        {**doc, "gaps": [{**gap, "missing": "1.5"}]},
    ]
    validator = _validator(client, SCORE)
    assert validator.is_valid(doc) and not any(validator.is_valid(d) for d in wrong)


def test_api_command_snapshot_and_reports_read_one_document(client_for, executive_user, period):
    _build(period, 6)
    # A snapshot stored before the document, when its detail held only these keys.
    old = {
        "name": "K",
        "claimed": "5.00",
        "verified": "4.00",
        "potential": "4.00",
        "indicators": [{"code": "1", "claimed": "5.00", "verified": "4.00"}],
    }
    ScoreSnapshot.objects.create(
        period=period,
        taken_at=timezone.now() - datetime.timedelta(days=1),
        reason="manual",
        claimed=5,
        verified=4,
        potential=4,
        detail={"groups": [old]},
    )
    served = client_for(executive_user).get(reverse("kla:api-score", args=[period.year])).json()
    # The API adds the ministry's figures beside the document (none yet); the rest is the one
    # document the command, the snapshot and the reports read.
    assert served.pop("official") is None
    assert served.pop("risk")["answers"]  # beside the document: no evidence in this test
    out = StringIO()
    call_command("kla_score", "--period", str(period.year), "--json", stdout=out)
    snapshot = snapshot_take(period=period, reason=ScoreSnapshot.Reason.MANUAL)
    snapshot.refresh_from_db()
    assert served == json.loads(out.getvalue()) == snapshot.detail
    assert served == report_score(period=period).document
    assert [v for _day, v in trend_points(period=period)["within"]] == [4, snapshot.verified]
    # The document keeps every key of the old detail: a reader of either shape reads both.
    group = snapshot.detail["groups"][0]
    assert (
        old.keys() <= group.keys() and old["indicators"][0].keys() <= group["indicators"][0].keys()
    )
