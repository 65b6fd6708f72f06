"""After the self-assessment: the stages of a year (returns, field verification, final), the
ministry's official points (typed or imported), and where points were lost."""

import base64
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from core.forms import DayInput
from indicators import official_import
from indicators import selectors as instrument
from indicators.models import Group, Indicator, OfficialPoints, Question
from kla import evaluation
from opd import access, risk, services
from opd.audit import client_ip

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_KEY = "official_points_import"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def _period(request, year):
    return access.period_for_user(request.user, year=year, periods=instrument.period_list())


class ReturnForm(forms.Form):
    question = forms.TypedChoiceField(label=gettext_lazy("Question returned"), coerce=int)
    note = forms.CharField(
        label=gettext_lazy("The province's note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    deadline = forms.DateField(label=gettext_lazy("Answer by"), widget=DayInput())

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = [
            (q.pk, f"{q.indicator.code}/{q.code} — {q.text[:90]}") for q in questions
        ]


class FieldVerificationForm(forms.Form):
    on = forms.DateField(
        label=gettext_lazy("Field verification on"),
        required=False,
        widget=DayInput(),
    )
    team = forms.CharField(
        label=gettext_lazy("Field verification team"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    findings = forms.CharField(
        label=gettext_lazy("Field verification findings"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=gettext_lazy("Reply to the province"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OfficialUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Workbook of official points (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx workbook."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload


def _questions(period):
    return list(
        Question.objects.filter(indicator__group__period=period)
        .select_related("indicator")
        .order_by("indicator__group__order", "indicator__order", "order", "pk")
    )


# --- The year's stages and returns --------------------------------------------------------------


def _render_evaluation(request, period, *, return_form=None, field_form=None, status=200):
    official = getattr(period, "official", None)
    return render(
        request,
        "kla/evaluation.html",
        {
            "period": period,
            "official": official,
            "returns": evaluation.returns_of(period=period),
            "return_form": return_form or ReturnForm(questions=_questions(period)),
            "field_form": field_form
            or FieldVerificationForm(
                initial={
                    "on": official.field_verification_on,
                    "team": official.field_verification_team,
                    "findings": official.field_verification_findings,
                }
                if official
                else None
            ),
            "reply_form": ReplyForm(),
        },
        status=status,
    )


@access.secretariat_required
@require_GET
def evaluation_page(request, year: int):
    return _render_evaluation(request, _period(request, year))


@access.secretariat_required
@require_POST
def return_record(request, year: int):
    period = _period(request, year)
    form = ReturnForm(request.POST, questions=_questions(period))
    if form.is_valid():
        question = get_object_or_404(
            Question, pk=form.cleaned_data["question"], indicator__group__period=period
        )
        try:
            services.provincial_return_record(
                question=question,
                user=request.user,
                note=form.cleaned_data["note"],
                deadline=form.cleaned_data["deadline"],
                ip=client_ip(request),
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Question %(code)s is returned to its units with the province's note.")
                % {"code": f"{question.indicator.code}/{question.code}"},
            )
            return redirect("kla:evaluation", year=year)
    messages.error(request, _("The return was not recorded: check the fields."))
    return _render_evaluation(request, period, return_form=form, status=400)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@access.login_required
def return_reply(request, pk: int):
    """The district's reply: the secretariat, or a member of an answering unit (from its
    answer page). Access first: others do not learn that the return exists."""
    provincial_return = access.return_for_user(request.user, return_id=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    period = provincial_return.question.indicator.group.period
    fallback = (
        reverse("kla:evaluation", args=[period.year])
        if access.is_secretariat(request.user)
        else reverse("opd:workspace")
    )
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the reply to the province."))
        return redirect(_back(request, fallback))
    try:
        services.provincial_return_reply(
            provincial_return=provincial_return,
            user=request.user,
            reply=form.cleaned_data["reply"],
            ip=client_ip(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The reply to the province is saved."))
    return redirect(_back(request, fallback))


@access.secretariat_required
@require_POST
def return_close(request, pk: int):
    provincial_return = access.return_for_user(request.user, return_id=pk)
    year = provincial_return.question.indicator.group.period.year
    try:
        services.provincial_return_close(
            provincial_return=provincial_return, user=request.user, ip=client_ip(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The return is closed: the question is closed again."))
    return redirect("kla:evaluation", year=year)


@access.secretariat_required
@require_POST
def field_verification(request, year: int):
    period = _period(request, year)
    form = FieldVerificationForm(request.POST)
    if form.is_valid():
        services.field_verification_record(
            period=period, user=request.user, ip=client_ip(request), **form.cleaned_data
        )
        messages.success(request, _("The field verification is saved."))
        return redirect("kla:evaluation", year=year)
    messages.error(request, _("The field verification was not saved: check the fields."))
    return _render_evaluation(request, period, field_form=form, status=400)


# --- Official points ----------------------------------------------------------------------------


def _official_rows(period):
    """Every question, indicator and group of the period with its official figure, for the
    typed form: (key, level, target, code, maximum, points, note). Four queries."""
    official = {
        (row.level, row.question_id or row.indicator_id or row.group_id): row
        for row in OfficialPoints.objects.filter(period=period).order_by()
    }
    groups = list(
        Group.objects.filter(period=period).prefetch_related("indicators").order_by("order", "pk")
    )
    indicators = list(
        Indicator.objects.filter(group__period=period).order_by("group__order", "order", "pk")
    )
    questions = _questions(period)
    rows = []

    def add(level, target, code, text, maximum):
        kept = official.get((level, target.pk))
        rows.append(
            {
                "key": f"{level}-{target.pk}",
                "level": level,
                "id": target.pk,
                "code": code,
                "text": text,
                "max": maximum,
                "points": kept.points if kept else None,
                "note": kept.note if kept else "",
                "typed": None,
            }
        )

    for q in questions:
        add("question", q, f"{q.indicator.code}/{q.code}", q.text, q.max_points)
    for i in indicators:
        add("indicator", i, i.code, i.name, i.max_points)
    for g in groups:
        total = sum((i.max_points for i in g.indicators.all()), Decimal("0.00"))
        add("group", g, g.name, "", total)
    return rows


def _render_official(request, period, *, problems=None, typed=None, mapping=None, status=200):
    rows = _official_rows(period)
    if typed is not None:  # shown again as typed, with the problems
        for row in rows:
            row["typed"], row["note"] = typed.get(row["key"], ("", row["note"]))
    return render(
        request,
        "kla/official_points.html",
        {
            "period": period,
            "rows": rows,
            "upload_form": OfficialUploadForm(),
            "problems": problems or [],
            "mapping": mapping,
            "fields": [
                ("code", _("Code of the question, indicator or group")),
                ("points", _("Official points")),
                ("note", _("Note (optional)")),
            ],
        },
        status=status,
    )


@access.secretariat_required
@require_http_methods(["GET", "POST"])
def official_points(request, year: int):
    """The ministry's points, typed: one field per question, indicator and group."""
    period = _period(request, year)
    if request.method == "GET":
        return _render_official(request, period)
    entries, problems, typed = [], [], {}
    for row in _official_rows(period):
        raw = request.POST.get(f"p-{row['key']}", "").strip()
        note = request.POST.get(f"n-{row['key']}", "").strip()
        typed[row["key"]] = (raw, note)
        if not raw:
            if row["points"] is not None:
                entries.append(services.OfficialEntry(row["level"], row["id"], None))
            continue
        try:
            points = official_import.parse_number(raw)
        except ValueError:
            problems.append(
                _("%(code)s: “%(value)s” is not a number.") % {"code": row["code"], "value": raw}
            )
            continue
        if points != points.quantize(Decimal("0.01")):
            problems.append(
                _("%(code)s: %(value)s has more than two decimals.")
                % {"code": row["code"], "value": raw}
            )
            continue
        entries.append(services.OfficialEntry(row["level"], row["id"], points, note))
    if not problems:
        try:
            changed = services.official_points_save(
                period=period, user=request.user, entries=entries, ip=client_ip(request)
            )
        except DomainError as error:
            problems.append(error.message)
        else:
            messages.success(request, _("%(n)s official figures saved.") % {"n": changed})
            return redirect("kla:official-points", year=year)
    messages.error(request, _("Nothing was saved: correct the figures below."))
    return _render_official(request, period, problems=problems, typed=typed, status=400)


def _import(request, period, data: bytes, mapping: dict):
    """Check the workbook with `mapping` and save it whole, or show every problem."""
    sheet = official_import.read_sheet(data)
    parsed = official_import.parse_rows(sheet, mapping, instrument.official_targets(period=period))
    if parsed.problems:
        messages.error(request, _("The file was refused whole: nothing was saved."))
        return _render_official(request, period, problems=parsed.problems, status=400)
    entries = [services.OfficialEntry(*entry) for entry in parsed.entries]
    try:
        changed = services.official_points_save(
            period=period, user=request.user, entries=entries, ip=client_ip(request)
        )
    except DomainError as error:
        return _render_official(request, period, problems=[error.message], status=400)
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        _("%(rows)s rows read, %(n)s official figures saved.")
        % {"rows": len(entries), "n": changed},
    )
    return redirect("kla:official-points", year=period.year)


@access.secretariat_required
@require_POST
def official_points_import(request, year: int):
    """Upload a workbook; when its headers are not recognised, ask which column is which (the
    file waits in the session meanwhile), then import it whole or not at all."""
    period = _period(request, year)
    if request.POST.get("action") == "map":
        staged = request.session.get(SESSION_KEY)
        if not isinstance(staged, dict) or staged.get("year") != year:
            messages.error(request, _("Nothing to import: upload the file again."))
            return redirect("kla:official-points", year=year)
        data = base64.b64decode(staged["data"])
        mapping = {}
        for name in official_import.FIELDS:
            value = request.POST.get(f"column-{name}", "")
            mapping[name] = int(value) if value.isdigit() else None
        if not official_import.mapping_complete(mapping):
            sheet = official_import.read_sheet(data)
            messages.error(request, _("Choose the column of the codes and of the points."))
            return _render_official(
                request, period, mapping={"headers": sheet.headers, "chosen": mapping}, status=400
            )
        return _import(request, period, data, mapping)
    form = OfficialUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = [m for errors in form.errors.values() for m in errors]
        return _render_official(request, period, problems=problems, status=400)
    data = form.cleaned_data["file"].read()
    try:
        sheet = official_import.read_sheet(data)
    except official_import.OfficialFileError as error:
        return _render_official(request, period, problems=[str(error)], status=400)
    mapping = official_import.guess_mapping(sheet.headers)
    if official_import.mapping_complete(mapping):
        return _import(request, period, data, mapping)
    request.session[SESSION_KEY] = {"year": year, "data": base64.b64encode(data).decode()}
    messages.info(request, _("Some columns were not recognised: say which column is which."))
    return _render_official(request, period, mapping={"headers": sheet.headers, "chosen": mapping})


@access.secretariat_required
@require_GET
def official_points_template(request, year: int):
    period = _period(request, year)
    rows = [(r["code"], r["text"], r["max"]) for r in _official_rows(period)]
    response = HttpResponse(official_import.template_workbook(rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="nilai-resmi-{year}.xlsx"'
    return response


# --- Where points were lost -----------------------------------------------------------------


@access.readers_required
@require_GET
def losses_page(request, year: int):
    period = _period(request, year)
    return render(
        request,
        "kla/losses.html",
        {
            "period": period,
            "years": evaluation.losses_by_year(up_to=period),
            "can_see_prediction": access.is_secretariat(request.user),
        },
    )


# --- How well the verification risk predicted a year's losses ----------------------------------


@access.secretariat_required
@require_GET
def risk_prediction(request, year: int):
    """Of a year with official points, what the risk rules flagged beside what was lost: of
    the points lost, how many were flagged; of the flagged, how many lost; per rule."""
    period = _period(request, year)
    has_official = risk.has_official_points(period)
    found = risk.prediction(period) if has_official else None
    rules = [
        {"record": r, "label": risk.RULE_LABELS[r.rule], "precision": _percent(r.precision)}
        for r in (found.rules if found else ())
    ]
    return render(
        request,
        "kla/risk_prediction.html",
        {
            "period": period,
            "prediction": found,
            "rules": rules,
            "caught": _percent(found.caught) if found else None,
            "precision": _percent(found.precision) if found else None,
        },
    )


def _percent(share: Decimal | None) -> Decimal | None:
    return None if share is None else share * 100
