"""The answer pages without a connection: the service worker's script, the JSON save that the
autosave and the device's queue use, and the cache headers of the pages the worker keeps.

The save goes through services.answer_save as the form's does (opd/offline.py); what it
answers is JSON the page script reads (assets/js/offline.js), never a redirect.
"""

from functools import wraps

from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from opd import access, offline
from opd.audit import client_ip
from opd.forms import AnswerForm
from opd.services import StaleAnswer

WORKER = "build/offline-sw.js"


# The service worker keeps a page only when the server marks it so: a unit's own workspace and
# answer pages, never a page the secretariat or the Bupati opened under /opd/.
KEEP_HEADER = "X-KLA-Offline"


def private_page(view):
    """A person's own page: never kept by a shared cache (a proxy), revalidated by the
    browser. For a unit's member the service worker keeps its own copy for offline use, per
    address; the page script empties it at logout and when another person logs in here."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        if response.status_code == 200 and access.is_opd(request.user):
            response[KEEP_HEADER] = "keep"
        return response

    return wrapper


@require_GET
@never_cache
def service_worker(request):
    """The worker's script, built by esbuild into static/build/ (npm run build), served under
    /opd/ so that its default scope is /opd/: the workspace and the answer pages, nothing of
    the secretariat's or the login page. Checked for a new version at every page load."""
    path = finders.find(WORKER)
    if not path:
        raise Http404
    response = FileResponse(open(path, "rb"), content_type="text/javascript")  # noqa: SIM115
    response["Service-Worker-Allowed"] = "/opd/"
    return response


def _refused(code: str, message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"ok": False, "code": code, "message": message, **extra}, status=status)


@require_POST
def answer_autosave(request, question_id: int, unit_id: int):
    """Save the answer's draft from the page's script; JSON in every case.

    401 the session ended, 403/404 the user may no longer write this answer, 400 a field is
    wrong, 409 something changed meanwhile (the answer: `current` has the server's side; the
    question: `question` has its text; the window or the answer's state: `message`).
    """
    if not request.user.is_authenticated:
        return _refused("login", _("Your session ended: log in again to send this."), 401)
    try:
        acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
        access.require(acc.can_edit)
    except (Http404, PermissionDenied) as error:
        # 404 as the page answers: another unit must not learn that the answer exists.
        status = 404 if isinstance(error, Http404) else 403
        return _refused("no_access", _("You may no longer change this answer."), status)
    form = AnswerForm(request.POST, question=acc.question)
    if not form.is_valid():
        errors = {name: " ".join(e) for name, e in form.errors.items()}
        message = _("The answer was not saved: correct the marked fields.")
        return _refused("invalid", message, 400, errors=errors)
    try:
        answer = offline.queued_answer_save(
            acc=acc,
            user=request.user,
            cleaned=form.cleaned_data,
            expected_version=form.cleaned_data.get("version"),
            stamp=request.POST.get("question_stamp", ""),
            force=request.POST.get("force") == "1",
            ip=client_ip(request),
        )
    except offline.QuestionChanged:
        message = _("The secretariat changed this question after you wrote this answer.")
        return _refused(
            "question_changed",
            message,
            409,
            question=acc.question.text,
            stamp=offline.question_stamp(acc.question),
        )
    except StaleAnswer as error:
        acc = access.answer_access(request.user, question_id=question_id, unit_id=unit_id)
        return _refused("stale", error.message, 409, current=offline.answer_values(acc.answer))
    except DomainError as error:
        return _refused(error.code or "refused", error.message, 409)
    return JsonResponse(
        {"ok": True, "version": answer.version, "saved_at": offline.saved_at(answer)}
    )
