"""The rows of a per-unit table (a question every kecamatan or desa answers), saved or
approved many at once."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import Question
from opd.audit import points_text
from opd.models import Answer
from opd.services.answers import answer_open, answer_save, answer_submit
from opd.services.review import answer_approve


@dataclass
class TableSaveReport:
    """One outcome per row, so the page says each once: a row submitted is not also
    "saved", and a row kept as a draft because it could not be submitted is not "saved"
    either (it is `held`, with the reason)."""

    saved: list[str] = field(default_factory=list)  # rows written, left as drafts as asked
    submitted: list[str] = field(default_factory=list)  # rows submitted (written first if changed)
    approved: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # "<unit>: <why>": asked to submit, kept as draft
    problems: list[str] = field(default_factory=list)  # "<unit>: <why>", one per refused row


def table_rows_save(
    *,
    question: Question,
    user,
    values: list[tuple],
    submit: bool = False,
    submit_unit_ids: frozenset[int] = frozenset(),
    ip: str | None = None,
) -> TableSaveReport:
    """Write several rows of a per-unit question's table at once: `values` holds (unit,
    option or points, version shown) per row. Each row goes through answer_save (and, asked
    to submit, answer_submit) in its own transaction, so a refused row leaves the others
    saved and the report says which and why (each service is atomic and locks its row).
    `submit` submits every row given; `submit_unit_ids` only those rows (a row's own
    button on the table page)."""
    report = TableSaveReport()
    with_options = question.options.exists()
    for unit, value, version in values:
        try:
            answer = answer_open(question=question, unit=unit)
            if with_options:
                unchanged = answer.option_id == getattr(value, "pk", None)
            else:
                unchanged = answer.claimed_points == value
            written = not unchanged or answer.proposed
            if written:
                answer = answer_save(
                    answer=answer,
                    user=user,
                    narrative=answer.narrative,
                    data_values=answer.data_values,
                    expected_version=version,
                    ip=ip,
                    option=value if with_options else None,
                    claimed_points=None if with_options else value,
                )
        except DomainError as error:
            report.problems.append(f"{unit.short_name}: {error.message}")
            continue
        wanted = submit or unit.pk in submit_unit_ids
        if not (wanted and answer.status in Answer.EDITABLE):
            if written:
                report.saved.append(unit.short_name)
            continue
        # Submitting is a step of its own: a row refused here (a "yes" without evidence)
        # stays saved as a draft, and is reported once, as held, with the reason.
        try:
            answer_submit(answer=answer, user=user, ip=ip)
        except DomainError as error:
            report.held.append(_held(unit, answer, error))
        else:
            report.submitted.append(unit.short_name)
    return report


def _held(unit, answer: Answer, error: DomainError) -> str:
    if error.code == "no_evidence":
        chosen = answer.option.label if answer.option else points_text(answer.claimed_points)
        return _(
            "%(unit)s: “%(answer)s” needs evidence. The row is kept as a draft: upload the "
            "evidence on the row, then submit it."
        ) % {"unit": unit.short_name, "answer": chosen}
    why = {"unit": unit.short_name, "why": error.message}
    return _("%(unit)s: kept as a draft, not submitted: %(why)s") % why


def table_rows_approve(*, question: Question, user, ip: str | None = None) -> TableSaveReport:
    """Approve at once every row of a table that waits for review, as its unit answered (the
    option it chose, or its points): thirteen kecamatan saying "Ya" with their evidence need
    not be opened one by one. A row the reviewer would lower is decided on its own page. A
    row another reviewer is on is left to them (claims are never taken from their holder);
    each approval is answer_approve, atomic and audited, so a refused row leaves the others."""
    report = TableSaveReport()
    waiting = (
        Answer.objects.filter(question=question, status=Answer.Status.SUBMITTED)
        .select_related("unit", "review_claimed_by")
        .order_by("unit__name")
    )
    for answer in waiting:
        holder = answer.claim_holder()
        if holder is not None and holder != user:
            report.problems.append(
                _("%(unit)s: %(who)s is reviewing it")
                % {
                    "unit": answer.unit.short_name,
                    "who": holder.get_full_name() or holder.get_username(),
                }
            )
            continue
        try:
            answer_approve(answer=answer, user=user, ip=ip)
        except DomainError as error:
            report.problems.append(f"{answer.unit.short_name}: {error.message}")
        else:
            report.approved.append(answer.unit.short_name)
    return report
