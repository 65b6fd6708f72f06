"""The rows of a per-unit table (a question every kecamatan or desa answers), saved or
approved many at once."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import Question
from opd.models import Answer
from opd.services._common import EDITABLE
from opd.services.answers import answer_open, answer_save, answer_submit
from opd.services.review import answer_approve


@dataclass
class TableSaveReport:
    saved: list[str] = field(default_factory=list)  # the units whose rows were written
    submitted: list[str] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "<unit>: <why>", one per refused row


def table_rows_save(
    *,
    question: Question,
    user,
    values: list[tuple],
    submit: bool = False,
    ip: str | None = None,
) -> TableSaveReport:
    """Write several rows of a per-unit question's table at once: `values` holds (unit,
    option or points, version shown) per row. Each row goes through answer_save (and, asked
    to submit, answer_submit) in its own transaction, so a refused row leaves the others
    saved and the report says which and why (each service is atomic and locks its row)."""
    report = TableSaveReport()
    with_options = question.options.exists()
    for unit, value, version in values:
        try:
            answer = answer_open(question=question, unit=unit)
            if with_options:
                unchanged = answer.option_id == getattr(value, "pk", None)
            else:
                unchanged = answer.claimed_points == value
            if not unchanged or answer.proposed:
                answer = answer_save(
                    answer=answer, user=user, narrative=answer.narrative,
                    data_values=answer.data_values, expected_version=version, ip=ip,
                    option=value if with_options else None,
                    claimed_points=None if with_options else value,
                )  # fmt: skip
                report.saved.append(unit.short_name)
            # Submitting is a step of its own: a row refused here (a "yes" without evidence)
            # stays saved as a draft.
            if submit and answer.status in EDITABLE:
                answer_submit(answer=answer, user=user, ip=ip)
                report.submitted.append(unit.short_name)
        except DomainError as error:
            report.problems.append(f"{unit.short_name}: {error.message}")
    return report


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
                % {"unit": answer.unit.short_name,
                   "who": holder.get_full_name() or holder.get_username()}
            )  # fmt: skip
            continue
        try:
            answer_approve(answer=answer, user=user, ip=ip)
        except DomainError as error:
            report.problems.append(f"{answer.unit.short_name}: {error.message}")
        else:
            report.approved.append(answer.unit.short_name)
    return report
