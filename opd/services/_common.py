"""What the services of the answer's life share: the row lock, the version and lock checks,
points parsing, and the score snapshots they queue."""

from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from indicators.models import AnswerOption, Period, Question
from opd.models import Answer, Assignment

TWO_PLACES = Decimal("0.01")


class StaleAnswer(DomainError):
    """Someone changed the answer after the user opened it; nothing was overwritten."""


class IllegalTransition(DomainError):
    pass


def answering_unit_ids(*, question: Question) -> set[int]:
    """Units that give their own answer to the question (the lead, or each per-unit unit)."""
    return set(
        Assignment.objects.answering().filter(question=question).values_list("unit_id", flat=True)
    )


def _period_of(answer: Answer) -> Period:
    return answer.question.indicator.group.period


def _lock(answer: Answer) -> Answer:
    """Re-read the answer under a row lock, with what the checks need."""
    return (
        Answer.objects.select_for_update(of=("self",))
        .select_related(
            "question__indicator__group__period", "unit", "reviewed_by", "review_claimed_by"
        )
        .get(pk=answer.pk)
    )


def _check_version(answer: Answer, expected_version: int | None) -> None:
    if expected_version is not None and answer.version != expected_version:
        who = answer.reviewed_by or answer.submitted_by
        raise StaleAnswer(
            _(
                "This answer was changed by %(who)s at %(when)s after you opened it "
                "(it is now: %(status)s). Nothing was saved; look at the current version."
            )
            % {
                "who": who.get_full_name() or who.get_username() if who else _("someone"),
                "when": timezone.localtime(answer.updated_at).strftime("%d-%m-%Y %H:%M"),
                "status": answer.get_status_display(),
            },
            code="stale",
        )


def _check_not_locked(period: Period) -> None:
    if period.is_locked:
        raise DomainError(
            _("Period %(year)s is locked: nothing can be changed any more.")
            % {"year": period.year},
            code="locked",
        )


def clean_points(value, *, maximum: Decimal, field_label: str) -> Decimal:
    """Parse points: a number with at most two decimals in [0, maximum]."""
    try:
        points = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("%(field)s must be a number.") % {"field": field_label}, code="nan"
        ) from None
    if not points.is_finite():
        raise DomainError(_("%(field)s must be a number.") % {"field": field_label}, code="nan")
    if points < 0:
        raise DomainError(
            _("%(field)s cannot be negative.") % {"field": field_label}, code="negative"
        )
    if points > maximum:
        raise DomainError(
            _("%(field)s cannot exceed the question's maximum of %(max)s.")
            % {"field": field_label, "max": maximum},
            code="over_max",
        )
    if points != points.quantize(TWO_PLACES):
        raise DomainError(
            _("%(field)s can have at most two decimals.") % {"field": field_label},
            code="precision",
        )
    return points.quantize(TWO_PLACES)


def _touch(answer: Answer, fields: list[str]) -> None:
    answer.version += 1
    answer.updated_at = timezone.now()
    answer.save(update_fields=[*fields, "version", "updated_at"])


def _label(option: AnswerOption | None) -> str | None:
    return option.label if option is not None else None


def _s(value) -> str | None:
    return None if value is None else str(value)


def _after_verified_change(period: Period) -> None:
    from opd import scoring  # the score service; imported late to keep this module light

    hook = getattr(scoring, "snapshot_after_verified_change", None)
    if hook is not None:
        hook(period=period)


def _milestone(period: Period, reason: str) -> None:
    from opd import scoring

    take = getattr(scoring, "snapshot_take", None)
    if take is not None:
        take(period=period, reason=reason)
