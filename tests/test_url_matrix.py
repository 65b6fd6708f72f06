"""Every URL of the project, for every persona and method, has an expected outcome.

A new URL pattern without an entry here fails `test_every_url_has_an_entry`: access rules
are decided when a page is added, not discovered later. Objects are addressed across units
on purpose: guessing another unit's ids must give 404.

Outcomes: a status code, "login" (302 to the login page) or "ok" (the view ran for this user:
200, a redirect elsewhere than login, or 400/409 for the empty form the matrix sends).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from opd.models import Answer, Comment, Evidence, EvidenceRevision, ResumableUpload
from tests import factories, samples

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "opd", "other_opd", "support", "secretariat", "executive", "admin"]
SHORT = {"L": "login", "O": "ok"}


def outcomes(spec: str) -> dict[str, object]:
    """'L O 404 O O 403 O' -> expected outcome per persona, in PERSONAS order."""
    tokens = spec.split()
    assert len(tokens) == len(PERSONAS), spec
    return {p: SHORT[t] if t in SHORT else int(t) for p, t in zip(PERSONAS, tokens, strict=True)}


@dataclass
class Route:
    args: object = None  # callable(world) -> list of URL args
    get: str = ""
    post: str = ""
    query: str = ""
    data: dict = field(default_factory=dict)


# Shorthands for common shapes.
SECRETARIAT_PAGE = "L 403 403 403 O 403 O"
READERS_PAGE = "L 403 403 403 O O O"
ONLY_POST = "405 405 405 405 405 405 405"
# A GET of an answer's POST-only action goes back to the answer page (after a login whose
# `next` was the action): the redirect itself says nothing, the answer page checks access.
BACK_TO_ANSWER = "O O O O O O O"
PUBLIC = "200 200 200 200 200 200 200"
ONLY_GET = ONLY_POST
# Access is checked before the method: outsiders never learn which methods a page takes.
SECRETARIAT_WRONG_METHOD = "L 403 403 403 405 403 405"
READERS_WRONG_METHOD = "L 403 403 403 405 405 405"
ANSWER_UNIT_ONLY = "L O 404 403 403 403 403"  # members of the answering unit
ANSWER_UNITS = "L O 404 O 403 403 403"  # the answering unit and its supporters
ANY_LOGGED_IN_GET = "L O O O O O O"

A = lambda w: [w["question"].pk, w["lead_unit"].pk]  # noqa: E731 - the answer's address
EV = lambda w: [w["evidence"].pk]  # noqa: E731
REV = lambda w: [w["revision"].pk]  # noqa: E731
Y = lambda w: [w["period"].year]  # noqa: E731
T = lambda w: [w["table_question"].pk]  # noqa: E731

ROUTES: dict[str, Route] = {
    "kla:home": Route(get="L O O O O O O", post="L O O O O O O"),
    "login": Route(get=PUBLIC, post=PUBLIC),
    "logout": Route(get=ONLY_POST, post="L L L L L L L"),
    "password_change": Route(get=ANY_LOGGED_IN_GET, post=ANY_LOGGED_IN_GET),
    "password_change_done": Route(get=ANY_LOGGED_IN_GET, post="L 405 405 405 405 405 405"),
    "password_reset": Route(get=PUBLIC, post=PUBLIC),
    "password_reset_done": Route(get=PUBLIC, post=ONLY_POST),
    # A proposed address's links: no login, the key is the proof; an unknown key shows 404
    # and its POST changes nothing (back to the login page, or home when logged in).
    "email-change-confirm": Route(
        args=lambda w: ["bad-key"], get="404 404 404 404 404 404 404", post="L O O O O O O"
    ),
    "email-change-cancel": Route(
        args=lambda w: ["bad-key"], get="404 404 404 404 404 404 404", post="L O O O O O O"
    ),
    "password_reset_confirm": Route(
        args=lambda w: ["MQ", "bad-token"],
        get=PUBLIC,
        post=PUBLIC,
    ),
    "password_reset_complete": Route(get=PUBLIC, post=ONLY_POST),
    "set_language": Route(get="O O O O O O O", post="O O O O O O O", data={"language": "en"}),
    "kla:secretariat-home": Route(get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "kla:executive-home": Route(get=READERS_PAGE, post=READERS_WRONG_METHOD),
    "kla:executive-print": Route(get=READERS_PAGE, post=READERS_WRONG_METHOD),
    "kla:executive-units": Route(get=READERS_PAGE, post=READERS_WRONG_METHOD),
    "kla:period-detail": Route(args=Y, get=READERS_PAGE, post=READERS_WRONG_METHOD),
    "opd:workspace": Route(get="L O O O 403 403 403", post="L 405 405 405 403 403 403"),
    "opd:answer": Route(args=A, get="L O 404 O O O O", post=ONLY_POST),
    "opd:answer-save": Route(args=A, get=BACK_TO_ANSWER, post=ANSWER_UNIT_ONLY),
    # The autosave and the device's queue read JSON, never a login page: 401 for a visitor.
    "opd:answer-autosave": Route(args=A, get=ONLY_POST, post="401 O 404 403 403 403 403"),
    # The service worker's script is public code, like any static file.
    "opd:service-worker": Route(get=PUBLIC, post=ONLY_POST),
    "opd:answer-submit": Route(args=A, get=ANSWER_UNIT_ONLY, post=ANSWER_UNIT_ONLY),
    "opd:evidence-upload": Route(args=A, get=BACK_TO_ANSWER, post=ANSWER_UNITS),
    "opd:evidence-link": Route(args=A, get=BACK_TO_ANSWER, post=ANSWER_UNITS),
    # Resumable uploads answer scripts: 401 instead of a login redirect, access before the
    # method, then the protocol (412: the matrix sends no Tus-Resumable header).
    "opd:tus-endpoint": Route(
        args=A, get="401 405 404 405 403 403 403", post="401 412 404 412 403 403 403"
    ),
    # An upload is its creator's alone: everybody else, even a unit that may attach to the
    # same answer, gets 404. GET is the outcome as JSON; POST is not a tus method.
    "opd:tus-upload": Route(
        args=lambda w: [w["upload"].pk],
        get="401 200 404 404 404 404 404",
        post="401 405 404 404 404 404 404",
    ),
    "opd:comment-add": Route(args=A, get=BACK_TO_ANSWER, post="L O 404 O O 403 O"),
    "opd:answer-approve": Route(args=A, get=BACK_TO_ANSWER, post=SECRETARIAT_PAGE),
    "opd:answer-request-revision": Route(args=A, get=BACK_TO_ANSWER, post=SECRETARIAT_PAGE),
    "opd:answer-reopen": Route(args=A, get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    "opd:answer-claim": Route(args=A, get=BACK_TO_ANSWER, post=SECRETARIAT_PAGE),
    "opd:answer-release": Route(args=A, get=BACK_TO_ANSWER, post=SECRETARIAT_PAGE),
    "opd:evidence-replace": Route(args=EV, get=ONLY_POST, post=ANSWER_UNITS),
    "opd:evidence-remove": Route(args=EV, get=ANSWER_UNITS, post=ANSWER_UNITS),
    "opd:revision-download": Route(args=REV, get="L O 404 O O O O", post=ONLY_POST),
    "opd:revision-preview": Route(args=REV, get="L O 404 O O O O", post=ONLY_POST),
    "opd:review-queue": Route(get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "opd:notices": Route(get="L O O O O O O", post="L O O O O O O"),
    "kla:period-edit": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    "kla:period-lock": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    "kla:period-carry-over": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    "kla:period-question-pairs": Route(
        args=Y, get=SECRETARIAT_PAGE, post="L 403 403 403 404 403 404"
    ),
    "kla:period-official": Route(args=Y, get=SECRETARIAT_WRONG_METHOD, post=SECRETARIAT_PAGE),
    "kla:evaluation": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "kla:return-record": Route(args=Y, get=SECRETARIAT_WRONG_METHOD, post=SECRETARIAT_PAGE),
    # The reply: the secretariat or the answering unit; others (supporters too) get 404.
    "kla:return-reply": Route(
        args=lambda w: [w["provincial_return"].pk],
        get="L 405 404 404 405 404 405",
        post="L O 404 404 O 404 O",
        data={"reply": "Sudah dilengkapi"},
    ),
    "kla:return-close": Route(
        args=lambda w: [w["provincial_return"].pk],
        get=SECRETARIAT_WRONG_METHOD,
        post=SECRETARIAT_PAGE,
    ),
    "kla:field-verification": Route(args=Y, get=SECRETARIAT_WRONG_METHOD, post=SECRETARIAT_PAGE),
    "kla:official-points": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    "kla:official-points-import": Route(
        args=Y, get=SECRETARIAT_WRONG_METHOD, post=SECRETARIAT_PAGE
    ),
    "kla:official-points-template": Route(
        args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD
    ),
    "kla:losses": Route(args=Y, get=READERS_PAGE, post=READERS_WRONG_METHOD),
    "kla:risk-prediction": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "kla:period-scoring": Route(args=Y, get=SECRETARIAT_WRONG_METHOD, post=SECRETARIAT_PAGE),
    "kla:period-status": Route(
        args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE, query="?to=closed"
    ),
    "kla:reports": Route(get=READERS_PAGE, post=READERS_WRONG_METHOD),
    "kla:report-xlsx": Route(args=Y, get=READERS_PAGE, post=READERS_WRONG_METHOD),
    "kla:report-pdf": Route(args=Y, get=READERS_PAGE, post=READERS_WRONG_METHOD),
    # Evidence files are the secretariat's: the Bupati reads scores, not documents.
    "kla:report-bundle": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "kla:report-entry-workbook": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "kla:report-entry-kit": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "kla:audit-trail": Route(get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "kla:extensions": Route(get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    # One unit's extension, from its dashboard row or its answer page.
    "kla:unit-extension": Route(
        args=lambda w: [w["period"].year, w["lead_unit"].pk],
        get=SECRETARIAT_PAGE,
        post=SECRETARIAT_PAGE,
    ),
    "kla:whatsapp-summary": Route(get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    # The API answers in JSON: 401 instead of a login redirect.
    "kla:api-score": Route(args=Y, get="401 403 403 403 200 200 200", post=ONLY_POST),
    "kla:api-openapi": Route(get="401 200 200 200 200 200 200", post=ONLY_POST),
    "kla:instrument-import": Route(get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    "kla:instrument-import-confirm": Route(get=SECRETARIAT_WRONG_METHOD, post=SECRETARIAT_PAGE),
    "kla:instrument-import-template": Route(get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "kla:people-import": Route(get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    "kla:people-import-confirm": Route(get=SECRETARIAT_WRONG_METHOD, post=SECRETARIAT_PAGE),
    "kla:people-import-template": Route(get=SECRETARIAT_PAGE, post=SECRETARIAT_WRONG_METHOD),
    "healthz": Route(get=PUBLIC, post=ONLY_POST),
    # A table of a per-unit question: the opd persona's unit has a row, the supporting
    # persona's coordinates (reads, does not fill), the secretariat and the Bupati read.
    "opd:question-table": Route(args=T, get="L O 404 O O O O", post=ONLY_POST),
    "opd:question-table-save": Route(args=T, get=ONLY_GET, post="L O 404 403 403 403 403"),
    # Approving a table's waiting rows at once: the secretariat's.
    "opd:question-table-approve": Route(args=T, get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    # The document library: everyone logged in sees the documents they may use.
    "opd:documents": Route(get="L O O O O O O", post="405 405 405 405 405 405 405"),
    # Registering a stored file: whoever works on its answer, or the secretariat (for its
    # own unit); the Bupati reads. An outsider does not learn the file exists.
    "opd:document-register": Route(args=REV, get="L O 404 O O 403 O", post="L O 404 O O 403 O"),
    "opd:document-attach": Route(args=A, get=ONLY_GET, post="L O 404 O 403 403 403"),
    # A cluster's page: its coordinator (the coordinator persona below), the secretariat and
    # the Bupati; every other unit's staff, even the cluster's answering units, get 404.
    "opd:cluster": Route(
        args=lambda w: [w["question"].indicator.group_id],
        get="L 404 404 404 O O O",
        post="L 404 404 404 405 405 405",
    ),
    # Returning or checking an answer: the cluster's coordinator only (below); whoever reads
    # the answer otherwise gets 403, whoever does not 404.
    "opd:answer-coordinator-return": Route(
        args=A, get=BACK_TO_ANSWER, post="L 403 404 403 403 403 403"
    ),
    "opd:answer-coordinator-check": Route(
        args=A, get=BACK_TO_ANSWER, post="L 403 404 403 403 403 403"
    ),
    # The task force as the decree sets it up: the secretariat's to keep.
    "kla:task-force": Route(args=Y, get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE),
    "kla:task-force-decree": Route(args=Y, get=SECRETARIAT_WRONG_METHOD, post=SECRETARIAT_PAGE),
    "kla:task-force-member": Route(
        args=lambda w: [w["task_force_member"].pk], get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE
    ),
    "kla:task-force-member-remove": Route(
        args=lambda w: [w["task_force_member"].pk], get=SECRETARIAT_PAGE, post=SECRETARIAT_PAGE
    ),
}

# The cluster coordinator persona (tests/conftest.py `coordinator_user`: its unit coordinates
# the group of the world's question and answers nothing of it) fares as `other_opd`, a unit
# with nothing to do with the answer, except on these routes: (GET, POST). It reads the
# cluster's answers, files and table (O instead of 404), so a write it may not make is 403.
COORDINATOR = {
    "opd:answer": ("O", "405"),
    "opd:answer-save": ("O", "403"),
    "opd:answer-autosave": ("405", "403"),
    "opd:answer-submit": ("403", "403"),
    "opd:evidence-upload": ("O", "403"),
    "opd:evidence-link": ("O", "403"),
    "opd:tus-endpoint": ("403", "403"),
    "opd:comment-add": ("O", "403"),
    "opd:evidence-replace": ("405", "403"),
    "opd:evidence-remove": ("403", "403"),
    "opd:revision-download": ("O", "405"),
    "opd:revision-preview": ("O", "405"),
    "opd:question-table": ("O", "405"),
    "opd:question-table-save": ("405", "403"),
    "opd:document-register": ("403", "403"),
    "opd:document-attach": ("405", "403"),
    "opd:cluster": ("O", "405"),
    "opd:answer-coordinator-return": ("O", "O"),
    "opd:answer-coordinator-check": ("O", "O"),
}

# The Django admin guards itself (staff only); its index stands for all of its pages.
ADMIN_INDEX = Route(get="302 302 302 302 302 302 200")


def _named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _named_patterns(pattern, full)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, pattern


def test_every_url_has_an_entry():
    missing = sorted(
        str(name)
        for name, _pattern in _named_patterns()
        if not str(name).startswith("admin:") and name not in ROUTES
    )
    assert missing == [], f"URL patterns without an access entry: {missing}"


def test_coordinator_exceptions_name_known_routes():
    assert set(COORDINATOR) <= set(ROUTES)


@pytest.fixture
def world(period, question, lead_unit, support_unit, opd_user, monkeypatch):
    """A submitted answer of the lead unit with a stored file, inside the window."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2026, 2, 10))
    answer = Answer.objects.create(
        question=question,
        unit=lead_unit,
        status=Answer.Status.SUBMITTED,
        claimed_points=Decimal("5"),
        submitted_at=timezone.now(),
        submitted_by=opd_user,
    )
    evidence = Evidence.objects.create(answer=answer, unit=lead_unit, created_by=opd_user)
    content = samples.pdf_bytes()
    name = default_storage.save("evidence/test/matrix", ContentFile(content))
    import hashlib

    revision = EvidenceRevision.objects.create(
        evidence=evidence,
        file=name,
        original_name="perbup.pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_type="application/pdf",
        uploaded_by=opd_user,
    )
    Comment.objects.create(answer=answer, author=opd_user, body="halo")
    upload = ResumableUpload.objects.create(
        user=opd_user,
        question=question,
        unit=lead_unit,
        filename="perbup.pdf",
        length=1000,
        expires_at=timezone.now() + datetime.timedelta(hours=24),
    )
    table_question = factories.QuestionFactory(indicator=question.indicator, every_kecamatan=True)
    factories.AssignmentFactory(question=table_question, unit=lead_unit, role="per_unit")
    factories.AssignmentFactory(question=table_question, unit=support_unit, role="coordinator")
    from opd.models import ProvincialReturn

    provincial_return = ProvincialReturn.objects.create(
        question=question, note="Dokumen belum ditandatangani", deadline=datetime.date(2026, 4, 20)
    )
    task_force_member = factories.task_force_member(
        period=period, role="chair", name="Kepala Bappeda", origin="agency"
    )
    return {
        "task_force_member": task_force_member,
        "provincial_return": provincial_return,
        "upload": upload,
        "table_question": table_question,
        "period": period,
        "question": question,
        "lead_unit": lead_unit,
        "answer": answer,
        "evidence": evidence,
        "revision": revision,
        "support_unit": support_unit,
    }


def _mismatch(response, expected, label) -> str | None:
    status = response.status_code
    login = status == 302 and response["Location"].startswith(reverse("login"))
    if expected == "login":
        ok = login
    elif expected == "ok":
        ok = status in (200, 302, 400, 409) and not login
    else:
        ok = status == expected
    return (
        None if ok else f"{label}: expected {expected}, got {status} {response.get('Location', '')}"
    )


def _expected(name: str, method: str, spec: str) -> dict[str, object]:
    """Every persona's outcome, the cluster coordinator's included (COORDINATOR)."""
    expected = outcomes(spec)
    if name in COORDINATOR:
        token = COORDINATOR[name][0 if method == "get" else 1]
        expected["coordinator"] = SHORT[token] if token in SHORT else int(token)
    else:
        expected["coordinator"] = expected["other_opd"]
    return expected


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_url_matrix(name, world, personas, coordinator_user, client):
    personas = {**personas, "coordinator": coordinator_user}
    route = ROUTES[name]
    args = route.args(world) if route.args else []
    url = reverse(name, args=args) + route.query
    problems = []
    for method in ("get", "post"):
        spec = getattr(route, method)
        assert spec, f"{name}: no expectation for {method.upper()}"
        for persona, expected in _expected(name, method, spec).items():
            client.logout()
            if personas[persona] is not None:
                client.force_login(personas[persona])
            # Each request runs in a savepoint rolled back afterwards, so one persona's
            # successful POST does not change what the next persona finds.
            with transaction.atomic():
                response = getattr(client, method)(url, route.data)
                transaction.set_rollback(True)
            problems.append(_mismatch(response, expected, f"{method.upper()} {url} as {persona}"))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


def test_admin_is_for_admins_only(personas, client):
    for persona, expected in outcomes(ADMIN_INDEX.get).items():
        client.logout()
        if personas[persona] is not None:
            client.force_login(personas[persona])
        assert _mismatch(client.get(reverse("admin:index")), expected, persona) is None
