"""The official rank follows the official score on the period's bands. Pure: bands in as
(name, lower bound) pairs, no database, so the model's clean(), the service and the importer
say the same thing.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from core.formats import bound
from core.formats import points as points_text
from indicators.scoring import Band, rank_for


def _bands(bands) -> list[Band]:
    return [b if isinstance(b, Band) else Band(b[0], Decimal(b[1])) for b in bands]


def derived_rank(*, score: Decimal, bands) -> str:
    """The band the score falls in ("" below every band)."""
    return rank_for(Decimal(score), _bands(bands)) or ""


def rank_problem(*, score: Decimal, rank: str, bands) -> str | None:
    """Why `rank` cannot go with `score` on `bands`, in words; None when they agree (or when
    the score is missing: a rank alone, before the score is known, is not contradicted; but
    it must still be one of the bands)."""
    if not rank:
        return None
    bands = _bands(bands)
    if rank not in {b.name for b in bands}:
        return _("The rank must be one of the period's bands.")
    if score is None:
        return None
    follows = derived_rank(score=score, bands=bands)
    if follows == rank:
        return None
    lower = next(b.lower_bound for b in bands if b.name == rank)
    if follows:
        return _(
            "A final score of %(score)s is %(follows)s on this period's bands, not %(rank)s "
            "(%(rank)s starts at %(lower)s). Check the score or the rank."
        ) % {
            "score": points_text(score),
            "follows": follows,
            "rank": rank,
            "lower": bound(lower),
        }
    return _(
        "A final score of %(score)s is below every band of this period, so it has no rank, "
        "not %(rank)s (%(rank)s starts at %(lower)s)."
    ) % {"score": points_text(score), "rank": rank, "lower": bound(lower)}
