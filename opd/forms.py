"""Shapes of input on the answer pages. Business rules live in opd/services.py."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core import formats as fmt
from core.forms import DayInput
from opd.models import Answer, Document, LoweredReason
from opd.selectors import WORKSPACE_STATUSES


def _option_label(option) -> str:
    return f"{option.label} ({fmt.points(option.points)})"


class VersionedForm(forms.Form):
    """Carries the answer version the page showed, so a stale form is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class PointsField(forms.DecimalField):
    """Points as Indonesians and English speakers type them: "6,5" and "6.5" are both 6.50.

    Shown in the page's language (6,50 in Indonesian). A point with a comma after it is a
    thousands separator ("1.000,5"); otherwise either mark is the decimal one.
    """

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(" ", "")
            if "," in value:
                value = value.replace(".", "").replace(",", ".")
        return super().to_python(value)


def _points_field(label, *, maximum: Decimal, required: bool) -> PointsField:
    return PointsField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_value=maximum,
        max_digits=7,
        decimal_places=2,
        localize=True,
        # A text box: a number box refuses the comma on many phones.
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("From 0 to %(max)s, two decimals at most (6,5 or 6.5).")
        % {"max": fmt.points(maximum)},  # 10,00 in Indonesian, as the page shows it
    )


TABLE_FORM_ID = "table-form"


def question_options(question) -> list:
    """The question's options in its own order: read with the question where the answer page
    keeps it (opd.access), else one query without the model's ordering through indicator and
    group."""
    kept = getattr(question, "ordered_options", None)
    return list(kept) if kept is not None else list(question.options.order_by("order", "pk"))


def option_field(options: list, *, label, widget, blank: str | None = None):
    """A choice among options already read, cleaned to the option itself: a model choice
    field would read them again when the page renders its choices."""
    by_pk = {option.pk: option for option in options}
    choices = [(pk, _option_label(option)) for pk, option in by_pk.items()]
    return forms.TypedChoiceField(
        label=label,
        required=False,
        widget=widget,
        choices=[("", blank), *choices] if blank is not None else choices,
        coerce=lambda value: by_pk[int(value)],
        empty_value=None,
    )


class TableRowsForm(forms.Form):
    """The rows of a per-unit question's table the reader may fill: per row an option (or,
    without options, points) and the answer version the page showed. Empty rows are left.
    Its inputs name their form (TABLE_FORM_ID) so each row can hold its own upload forms
    without nesting forms."""

    def __init__(self, *args, table, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = [row for row in table.rows if row.may_fill]
        for row in self.rows:
            key = row.unit.pk
            if table.options:
                # The options the table already read, not queried again for every row.
                field = option_field(
                    table.options,
                    label=row.unit.name,
                    widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                )
                initial = row.answer.option_id if row.answer else None
            else:
                field = _points_field(
                    row.unit.name, maximum=table.question.max_points, required=False
                )
                initial = row.answer.claimed_points if row.answer else None
            field.widget.attrs["form"] = TABLE_FORM_ID
            self.fields[f"row-{key}"] = field
            self.initial[f"row-{key}"] = initial
            self.fields[f"version-{key}"] = forms.IntegerField(
                widget=forms.HiddenInput(attrs={"form": TABLE_FORM_ID}),
                required=False,
                min_value=0,
            )
            self.initial[f"version-{key}"] = row.answer.version if row.answer else None
        self.submit = False

    def row_values(self) -> list[tuple]:
        """(row, value, version) of every row given a value: an option or points."""
        found = []
        for row in self.rows:
            value = self.cleaned_data.get(f"row-{row.unit.pk}")
            if value not in (None, ""):
                found.append((row, value, self.cleaned_data.get(f"version-{row.unit.pk}")))
        return found

    def fields_by_unit(self) -> dict[int, tuple]:
        """Unit id -> (its value field, its version field), bound, for the template."""
        return {
            row.unit.pk: (self[f"row-{row.unit.pk}"], self[f"version-{row.unit.pk}"])
            for row in self.rows
        }


class AnswerForm(VersionedForm):
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the unit did, with numbers for the last two years where asked."),
    )
    data_values = forms.CharField(
        label=_("Data values"),
        required=False,
        max_length=5000,
        # No placeholder: grey sample values were taken for the unit's own data.
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. One per line, as label: value (for example “2025: 87%”)."),
    )

    def __init__(self, *args, question, **kwargs):
        super().__init__(*args, **kwargs)
        options = question_options(question)
        if options:
            # The unit picks what it has; the points follow the option, never typed.
            self.fields["option"] = option_field(
                options, label=_("What does your unit have?"), widget=forms.RadioSelect
            )
            first = "option"
        else:
            self.fields["claimed_points"] = _points_field(
                _("Points claimed"), maximum=question.max_points, required=False
            )
            first = "claimed_points"
        self.order_fields([first, "narrative", "data_values", "version"])

    def clean_data_values(self) -> dict:
        values = {}
        for number, line in enumerate(self.cleaned_data["data_values"].splitlines(), start=1):
            if not line.strip():
                continue
            label, sep, value = line.partition(":")
            if not sep or not label.strip():
                raise forms.ValidationError(
                    _("Line %(n)s: write it as label: value.") % {"n": number}
                )
            values[label.strip()[:100]] = value.strip()[:500]
        return values

    @staticmethod
    def initial_for(answer: Answer | None) -> dict:
        if answer is None:
            return {"version": 0}
        return {
            "claimed_points": answer.claimed_points,
            "option": answer.option_id,
            "narrative": answer.narrative,
            "data_values": "\n".join(f"{k}: {v}" for k, v in answer.data_values.items()),
            "version": answer.version,
        }


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG photo, DOCX, XLSX, ODT or ODS; at most %(mb)s MB.")
        % {"mb": settings.EVIDENCE_MAX_UPLOAD_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,.odt,.ods"}
        ),
    )
    title = forms.CharField(label=_("Description"), required=False, max_length=255)


class EvidenceLinkForm(forms.Form):
    # Not marked required: the link is an alternative to a file, and a starred field read as
    # if every answer needed one. An empty submission is still refused, in clean_url.
    url = forms.URLField(
        label=_("Link"),
        max_length=1000,
        assume_scheme="https",
        required=False,
        help_text=_("A public page, e.g. the regulation in JDIH."),
    )
    title = forms.CharField(label=_("Description"), required=False, max_length=255)

    def clean_url(self) -> str:
        if not self.cleaned_data["url"]:
            raise forms.ValidationError(_("Enter the address of the page."))
        return self.cleaned_data["url"]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ApproveForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason (required when verifying fewer points)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, question, **kwargs):
        super().__init__(*args, **kwargs)
        options = question_options(question)
        if options:
            self.fields["verified_option"] = option_field(
                options,
                label=_("Verified option (leave it for the unit's choice)"),
                widget=forms.Select,
                blank="---------",
            )
            self.fields["lowered_because"] = forms.ChoiceField(
                label=_("Why a lower option"),
                required=False,
                choices=[("", "—"), *LoweredReason.choices],
            )
            self.order_fields(["verified_option", "lowered_because", "reason", "version"])
            self.fields["reason"].label = _("Note for the unit (required for “other”)")
        else:
            self.fields["verified_points"] = _points_field(
                _("Verified points"), maximum=question.max_points, required=False
            )
            self.order_fields(["verified_points", "reason", "version"])


class RevisionForm(VersionedForm):
    note = forms.CharField(
        label=_("What must the unit change?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class WorkspaceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))]
        + [
            (s, label)
            for s, label in zip(
                WORKSPACE_STATUSES, [_("Not started"), *Answer.Status.labels], strict=True
            )
        ],
    )


class QueueFilterForm(forms.Form):
    """Filters of the review queue. Choices are plain tuples given by the view, so the
    template renders its selects without a query or Django's per-option widget templates."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Answer.Status.choices]
    )
    group = forms.TypedChoiceField(label=_("Group"), required=False, coerce=int, empty_value=None)
    indicator = forms.TypedChoiceField(
        label=_("Indicator"), required=False, coerce=int, empty_value=None
    )
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    checked = forms.TypedChoiceField(
        label=_("Cluster coordinator"),
        required=False,
        choices=[
            ("", _("All")),
            ("1", _("Checked by coordinator")),
            ("0", _("Not checked by coordinator")),
        ],
        coerce=lambda value: value == "1",
        empty_value=None,
    )
    # The verification risk (opd/risk.py): answers of one level, the riskiest first.
    risk = forms.ChoiceField(
        label=_("Verification risk"),
        required=False,
        choices=[
            ("", _("All")),
            ("high", _("high")),
            ("medium", _("medium")),
            ("low", _("low")),
            ("none", _("none")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("", _("Oldest submission first")), ("risk", _("Highest risk first"))],
    )

    def __init__(self, *args, groups, indicators, units, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["group"].choices = everything + [(str(pk), n) for pk, n in groups]
        self.fields["indicator"].choices = everything + [(str(pk), n) for pk, n in indicators]
        self.fields["unit"].choices = everything + [(str(pk), n) for pk, n in units]


class DocumentRegisterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Document.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=255)
    number = forms.CharField(
        label=_("Number"),
        max_length=100,
        required=False,
        help_text=_("For example “5 Tahun 2019”."),
    )
    issued_on = forms.DateField(label=_("Date"), required=False, widget=DayInput())
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DayInput(),
        help_text=_("Leave empty if it does not expire (a Perda, for example)."),
    )
    renews = forms.ModelChoiceField(
        label=_("Renews"),
        queryset=Document.objects.none(),
        required=False,
        help_text=_(
            "If this is the new version of a registered document (a renewed SK), choose it: "
            "every question that uses the old one will use this one; the old one stays in the "
            "history."
        ),
    )

    def __init__(self, *args, renewable=None, **kwargs):
        super().__init__(*args, **kwargs)
        if renewable is None:
            del self.fields["renews"]
        else:
            self.fields["renews"].queryset = renewable


class DocumentAttachForm(forms.Form):
    document = forms.ModelChoiceField(label=_("Registered document"), queryset=None)

    def __init__(self, *args, documents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = documents


class CoordinatorReturnForm(VersionedForm):
    note = forms.CharField(
        label=_("What must the unit change before the secretariat reviews it?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClusterFilterForm(forms.Form):
    """Filters of a cluster coordinator's page: a state (or "checked by the coordinator") and
    a unit; choices are plain tuples given by the view."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, states, units, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["status"].choices = (
            everything + list(states) + [("checked", _("Checked by the coordinator"))]
        )
        self.fields["unit"].choices = everything + [(str(pk), n) for pk, n in units]
