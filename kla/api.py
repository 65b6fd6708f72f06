"""The read-only API: a period's score, and the OpenAPI schema that describes it.

Authentication: the session (a logged-in secretariat, admin or executive), or
`Authorization: Token <key>` with a per-user token (`manage.py kla_api_token`).
"""

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from indicators.models import Period
from kla import access
from kla.models import ApiToken, hash_key
from kla.score_document import score_document


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
    if period is None:
        return _error(404, f"No period {year}.")
    return JsonResponse(score_document(period=period), json_dumps_params={"ensure_ascii": False})


POINTS = {"type": "string", "pattern": r"^\d+\.\d{2}$", "example": "591.34"}
RANK = {"type": ["string", "null"], "example": "Madya"}
POINTS_SET = {"max_points": POINTS, "claimed": POINTS, "verified": POINTS, "potential": POINTS}
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
                "parameters": [{"name": "year", "in": "path", "required": True,
                                "schema": {"type": "integer", "example": 2026}}],
                "security": [{"session": []}, {"token": []}],
                "responses": {
                    "200": {"description": "The score",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Score"}}}},
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
            "token": {"type": "apiKey", "in": "header", "name": "Authorization",
                      "description": "Token <key>, made with manage.py kla_api_token"},
        },
        "responses": {
            "Error": {"description": "An error", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}}}},
        },
        "schemas": {
            "Indicator": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}, **POINTS_SET}},
            "Group": {"type": "object", "properties": {"name": {"type": "string"}, **POINTS_SET,
                      "indicators": {"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}}}},
            "Gap": {"type": "object", "properties": {"indicator": {"type": "string"}, "question": {"type": "string"},
                    "max_points": POINTS, "verified": POINTS, "missing": POINTS}},
            "Score": {
                "type": "object",
                "required": ["period", "max_points", "claimed", "verified", "potential", "rank", "target", "gap_to_target", "groups"],
                "properties": {
                    "period": {"type": "integer", "example": 2026}, **POINTS_SET,
                    "rank": {"type": "object", "properties": {"verified": RANK, "claimed": RANK, "potential": RANK}},
                    "target": RANK, "gap_to_target": {**POINTS, "type": ["string", "null"]},
                    "groups": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
                    "gaps": {"type": "array", "items": {"$ref": "#/components/schemas/Gap"}},
                },
            },
        },
    },
}  # fmt: skip


@require_GET
def openapi(request):
    if _api_user(request) is None:
        return _error(401, "Authentication required.")
    return JsonResponse(SCHEMA)
