"""The score of a period as one document: the API serves it, `kla_score --json` prints it, a
snapshot stores it and the reports read it. The only serialiser of the engine's result, and,
for the API, of the ministry's official figures beside it.

Points are strings with two decimals, never floats. A snapshot stored before this document
kept only groups (name, claimed, verified, potential) and their indicators (code, claimed,
verified): the document keeps those keys, so either shape reads the same way.
"""

from indicators.losses import Losses
from indicators.models import Period
from indicators.scoring import PeriodScore


def _s(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def official_document(*, result, losses: Losses | None) -> dict | None:
    """The ministry's figures beside the internal ones: the final score and rank, the stage,
    and the official points and what was lost per group, indicator and question (None when
    the ministry has given nothing yet)."""
    if result is None and (losses is None or not losses.has_official):
        return None
    day = result.field_verification_on if result else None
    return {
        "final_score": _s(result.final_score) if result else None,
        "final_rank": (result.final_rank or None) if result else None,
        "stage": result.stage if result else None,
        "field_verification_on": day.isoformat() if day else None,
        "total": _s(losses.total.official) if losses else None,
        "lost": _s(losses.total.lost) if losses else None,
        "groups": [_loss(row) for row in losses.groups] if losses else [],
        "indicators": [_loss(row) for row in losses.indicators] if losses else [],
        "questions": [{**_loss(row), "note": row.note} for row in losses.questions]
        if losses
        else [],
    }


def _loss(row) -> dict:
    return {"name": row.label, "official": _s(row.official), "lost": _s(row.lost)}


_LEFT_OUT = object()


def score_document(*, period: Period, score: PeriodScore, official=_LEFT_OUT) -> dict:
    """The document; `official` (official_document's, or None) is added under "official"
    when given, as the API gives it (snapshots and charts leave it out)."""
    document = _document(period=period, score=score)
    if official is not _LEFT_OUT:
        document["official"] = official
    return document


def _document(*, period: Period, score: PeriodScore) -> dict:
    # Indicator codes are unique only within their group: a gap names both.
    where = {i.id: (g.name, i.code) for g in score.groups for i in g.indicators}
    return {
        "period": period.year,
        "max_points": _s(score.max_points),
        "claimed": _s(score.claimed),
        "verified": _s(score.verified),
        "potential": _s(score.potential),
        "submitted": _s(score.submitted),
        "rank": {
            "verified": score.rank_verified,
            "claimed": score.rank_claimed,
            "potential": score.rank_potential,
        },
        "target": score.target,
        "gap_to_target": _s(score.gap_to_target),
        "bands": [{"name": b.name, "lower_bound": _s(b.lower_bound)} for b in score.bands],
        "groups": [
            {
                "name": g.name,
                "max_points": _s(g.max_points),
                "claimed": _s(g.points.claimed),
                "verified": _s(g.points.verified),
                "potential": _s(g.points.potential),
                "submitted": _s(g.points.submitted),
                "indicators": [
                    {
                        "code": i.code,
                        "name": i.name,
                        "max_points": _s(i.max_points),
                        "claimed": _s(i.points.claimed),
                        "verified": _s(i.points.verified),
                        "potential": _s(i.points.potential),
                        "submitted": _s(i.points.submitted),
                    }
                    for i in g.indicators
                ],
            }
            for g in score.groups
        ],
        "gaps": [
            {
                "group": where[q.indicator_id][0],
                "indicator": where[q.indicator_id][1],
                "question": q.code,
                "max_points": _s(q.max_points),
                "verified": _s(q.points.verified),
                "missing": _s(q.missing),
            }
            for q in score.gaps
        ],
    }
