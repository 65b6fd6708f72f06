"""The read-only API: a period's score, and the OpenAPI schema that describes it.

Authentication: the session (a logged-in secretariat, admin or executive), or
`Authorization: Token <key>` with a per-user token (`manage.py kla_api_token`).
"""

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from indicators.models import OfficialPoints, OfficialResult, Period
from indicators.score_document import official_document, score_document
from kla import evaluation
from kla.models import ApiToken, hash_key
from opd import access, risk
from opd.scoring import score_period


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _api_user(request):
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        token = (
            ApiToken.objects.select_related("user__profile")
            .filter(key_hash=hash_key(header[6:].strip()), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        token.last_used_at = timezone.now()
        token.save(update_fields=["last_used_at"])
        return token.user
    return request.user if request.user.is_authenticated else None


@require_GET
def period_score(request, year: int):
    user = _api_user(request)
    if user is None:
        return _error(401, "Authentication required: session or 'Authorization: Token <key>'.")
    if not access.can_read_everything(user):
        return _error(403, "Only the secretariat and the executive may read scores.")
    period = Period.objects.filter(year=year).first()
    if period is None or not access.period_visible(user, period):
        return _error(404, f"No period {year}.")
    score = score_period(period=period)
    document = score_document(period=period, score=score, official=_official(period, score))
    # Beside the one serializer (indicators/score_document.py, below opd in the layers): the
    # verification risk is read by opd/risk.py.
    document["risk"] = _risk(period)
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})


def _official(period: Period, score) -> dict | None:
    """The ministry's figures of the period, or None: two queries when it has given none."""
    result = OfficialResult.objects.filter(period=period).first()
    rows = list(OfficialPoints.objects.filter(period=period).order_by())
    if result is None and not rows:
        return None
    final = result.final_score if result else None
    losses = evaluation.losses_of(period=period, score=score, official_rows=rows, final=final)
    return official_document(result=result, losses=losses)


def _risk(period: Period) -> dict:
    """The verification risk: points at risk and each flagged answer with its reasons."""
    rows = risk.flagged_rows(period)
    return {
        "points_at_risk": f"{sum((r['points_at_risk'] for r in rows), risk.ZERO):.2f}",
        "answers": [
            {
                "question": row["question"],
                "unit": row["unit"],
                "level": row["level"],
                "rules": row["rules"],
                "reasons": row["reasons"],
                "points_at_risk": f"{row['points_at_risk']:.2f}",
            }
            for row in rows
        ],
    }


POINTS = {"type": "string", "pattern": r"^\d+\.\d{2}$", "example": "591.34"}
RANK = {"type": ["string", "null"], "example": "Madya"}
TEXT = {"type": "string"}
NULLABLE_POINTS = {**POINTS, "type": ["string", "null"]}
STAGES = [stage.value for stage in OfficialResult.Stage]
POINTS_SET = {
    "max_points": POINTS,
    "claimed": POINTS,
    "verified": POINTS,
    "potential": POINTS,
    "submitted": POINTS,
}


def _closed(**properties) -> dict:
    # Every field required and no other allowed: the schema test fails on a dropped, added
    # or mistyped field, so this document cannot drift from the response.
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _list(name: str) -> dict:
    return {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}}


SCHEMA = {
    "openapi": "3.1.0",
    "info": {
        "title": "KLA dashboard API",
        "version": "1",
        "description": "Read-only scores of a district's KLA evaluation. Points are strings "
        "with two decimals; ranks are the period's bands, half-open on the total.",
    },
    "paths": {
        "/api/v1/periods/{year}/score/": {
            "get": {
                "summary": "The score of one period",
                "parameters": [
                    {
                        "name": "year",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "example": 2026},
                    }
                ],
                "security": [{"session": []}, {"token": []}],
                "responses": {
                    "200": {
                        "description": "The score",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Score"}}
                        },
                    },
                    "401": {"$ref": "#/components/responses/Error"},
                    "403": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"},
                    "405": {"description": "Only GET is allowed"},
                },
            }
        }
    },
    "components": {
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            "token": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "Token <key>, made with manage.py kla_api_token",
            },
        },
        "responses": {
            "Error": {
                "description": "An error",
                "content": {"application/json": {"schema": _closed(detail=TEXT)}},
            },
        },
        "schemas": {
            "Indicator": _closed(code=TEXT, name=TEXT, **POINTS_SET),
            "Group": _closed(name=TEXT, **POINTS_SET, indicators=_list("Indicator")),
            "Band": _closed(name=TEXT, lower_bound=POINTS),
            "Gap": _closed(
                group=TEXT,
                indicator=TEXT,
                question=TEXT,
                max_points=POINTS,
                verified=POINTS,
                missing=POINTS,
            ),
            "Loss": _closed(name=TEXT, official=NULLABLE_POINTS, lost=NULLABLE_POINTS),
            "QuestionLoss": _closed(
                name=TEXT, official=NULLABLE_POINTS, lost=NULLABLE_POINTS, note=TEXT
            ),
            "Official": _closed(
                final_score=NULLABLE_POINTS,
                final_rank=RANK,
                stage={"type": ["string", "null"], "enum": [*STAGES, None]},
                field_verification_on={"type": ["string", "null"], "format": "date"},
                total=NULLABLE_POINTS,
                lost=NULLABLE_POINTS,
                groups=_list("Loss"),
                indicators=_list("Loss"),
                questions=_list("QuestionLoss"),
            ),
            "RiskAnswer": _closed(
                question=TEXT,
                unit=TEXT,
                level={"type": "string", "enum": ["low", "medium", "high", "none"]},
                rules={"type": "array", "items": TEXT},
                reasons={"type": "array", "items": TEXT},
                points_at_risk=POINTS,
            ),
            "Risk": _closed(points_at_risk=POINTS, answers=_list("RiskAnswer")),
            "Score": _closed(
                period={"type": "integer", "example": 2026},
                **POINTS_SET,
                rank=_closed(verified=RANK, claimed=RANK, potential=RANK),
                target=RANK,
                gap_to_target={**POINTS, "type": ["string", "null"]},
                bands=_list("Band"),
                groups=_list("Group"),
                gaps=_list("Gap"),
                official={
                    "oneOf": [{"$ref": "#/components/schemas/Official"}, {"type": "null"}],
                    "description": "The ministry's figures: final score and rank, the stage "
                    "of the evaluation, official points and what was lost; null until any.",
                },
                risk={
                    "$ref": "#/components/schemas/Risk",
                    "description": "Verification risk: the claimed points of high-risk "
                    "answers, and each answer the rules flag with its reasons (in the "
                    "server's language), the riskiest first.",
                },
            ),
        },
    },
}


@require_GET
def openapi(request):
    if _api_user(request) is None:
        return _error(401, "Authentication required.")
    return JsonResponse(SCHEMA)
