"""The machine-readable score of a period: one builder for `kla_score --json` (and the API)."""

from indicators.models import Period
from indicators.scoring import PeriodScore
from opd.scoring import score_period


def _s(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def score_document(*, period: Period, score: PeriodScore | None = None) -> dict:
    score = score or score_period(period=period)
    codes = {i.id: i.code for g in score.groups for i in g.indicators}
    return {
        "period": period.year,
        "max_points": _s(score.max_points),
        "claimed": _s(score.claimed),
        "verified": _s(score.verified),
        "potential": _s(score.potential),
        "rank": {
            "verified": score.rank_verified,
            "claimed": score.rank_claimed,
            "potential": score.rank_potential,
        },
        "target": score.target,
        "gap_to_target": _s(score.gap_to_target),
        "groups": [
            {
                "name": g.name, "max_points": _s(g.max_points), "claimed": _s(g.points.claimed),
                "verified": _s(g.points.verified), "potential": _s(g.points.potential),
                "indicators": [
                    {"code": i.code, "name": i.name, "max_points": _s(i.max_points),
                     "claimed": _s(i.points.claimed), "verified": _s(i.points.verified),
                     "potential": _s(i.points.potential)}
                    for i in g.indicators
                ],
            }
            for g in score.groups
        ],
        "gaps": [
            {"indicator": codes.get(q.indicator_id), "question": q.code,
             "max_points": _s(q.max_points), "verified": _s(q.points.verified),
             "missing": _s(q.missing)}
            for q in score.gaps
        ],
    }  # fmt: skip
