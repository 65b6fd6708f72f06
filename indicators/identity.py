"""Which question of this year is which question of last year: by identity, never by code.

A question code is a place in the year's instrument, not the question: when the ministry's
juknis changes, "1 / 2" of one year may ask something else than "1 / 2" of the year before
(with the real 2024 instrument as the year after the demo's, all twelve answers carried by
code landed on another question). Two questions are the same question when

- their texts are the same once normalised (`text_key`: case, accents, spacing, punctuation
  ignored, a few common abbreviations written out), and the secretariat has not rejected
  the pair; or
- the secretariat confirmed the pair on the review page (kla: period question pairs), where
  look-alikes (same code, or similar text) are listed with both texts side by side.

Everything else is a new question: nothing is carried to it. When several questions of one
year share a text, only those in the indicator of the same code pair by text; the rest wait
for the secretariat. The writes (confirm, reject) are opd.services.question_pair_decide.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from indicators.models import Period, Question, QuestionPair

# Spellings instruments and districts use for the same words (tokens after casefolding).
ABBREVIATIONS = {
    "yg": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "utk": "untuk",
    "tdk": "tidak",
    "dlm": "dalam",
    "thn": "tahun",
    "th": "tahun",
    "tsb": "tersebut",
    "kab": "kabupaten",
    "kec": "kecamatan",
    "kel": "kelurahan",
    "pemda": "pemerintah daerah",
    "pemkab": "pemerintah kabupaten",
    "no": "nomor",
    "nmr": "nomor",
    "dll": "dan lain lain",
    "dsb": "dan sebagainya",
    "kla": "kabupaten kota layak anak",
}
_NOT_WORD = re.compile(r"[^a-z0-9]+")

# A look-alike worth showing: at least this share of words in common (Jaccard on word sets).
SIMILAR = 0.5
CANDIDATES_PER_QUESTION = 3


def text_key(text: str) -> str:
    """The comparable form of a question's text: "Apakah  tersedia Perda KLA?" and "apakah
    tersedia perda Kabupaten/Kota Layak Anak" agree."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = _NOT_WORD.sub(" ", ascii_text.casefold()).split()
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def similarity(a: str, b: str) -> float:
    """Share of words two keys have in common (0 to 1)."""
    left, right = set(a.split()), set(b.split())
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def previous_period(period: Period) -> Period | None:
    """The year carry-over and the identity look back to: the latest earlier period that was
    opened (a prepared one never had answers)."""
    return (
        Period.objects.filter(year__lt=period.year)
        .exclude(status=Period.Status.PREPARED)
        .order_by("-year")
        .first()
    )


def _questions(period: Period) -> list[Question]:
    return list(
        Question.objects.filter(indicator__group__period=period)
        .select_related("indicator__group")
        .order_by("indicator__group__order", "indicator__order", "order", "pk")
    )


def text_pairs(new: list, old: list) -> dict[int, int]:
    """new pk -> old pk for questions of the same text key (pure: objects with pk, text and
    indicator.code). A text shared by several questions on either side pairs only within the
    indicator of the same code, and only where that leaves one on each side."""
    by_key: dict[str, tuple[list, list]] = {}
    for side, questions in ((0, new), (1, old)):
        for q in questions:
            by_key.setdefault(text_key(q.text), ([], []))[side].append(q)
    pairs = {}
    for key, (news, olds) in by_key.items():
        if not key or not news or not olds:
            continue
        if len(news) == 1 and len(olds) == 1:
            pairs[news[0].pk] = olds[0].pk
            continue
        for q in news:
            same_place = [o for o in olds if o.indicator.code == q.indicator.code]
            rivals = [n for n in news if n.indicator.code == q.indicator.code]
            if len(same_place) == 1 and len(rivals) == 1:
                pairs[q.pk] = same_place[0].pk
    return pairs


def _identity(
    new: list, old: list, decisions: list[QuestionPair]
) -> tuple[dict[int, int], dict[int, int]]:
    """(identity new pk -> old pk, the text pairs before the secretariat's decisions)."""
    by_text = text_pairs(new, old)
    identity = dict(by_text)
    for pair in decisions:
        if pair.confirmed:
            identity[pair.new_question_id] = pair.old_question_id
        elif identity.get(pair.new_question_id) == pair.old_question_id:
            del identity[pair.new_question_id]
    return identity, by_text


def _decisions(new: list, old: list) -> list[QuestionPair]:
    old_ids = {q.pk for q in old}
    return [
        p
        for p in QuestionPair.objects.filter(new_question__in=[q.pk for q in new])
        if p.old_question_id in old_ids
    ]


def previous_question_ids(period: Period) -> dict[int, int]:
    """This year's question id -> last year's question id (previous_period), for every
    question that is the same question: same text (not rejected) or a confirmed pair.
    Questions missing here are new: nothing is carried to them. Three queries."""
    source = previous_period(period)
    if source is None:
        return {}
    new, old = _questions(period), _questions(source)
    return _identity(new, old, _decisions(new, old))[0]


@dataclass
class Candidate:
    old: Question
    same_code: bool
    similarity: float

    @property
    def percent(self) -> int:
        return round(100 * self.similarity)


@dataclass
class OpenQuestion:
    """A question of this year with no identity yet, and last year's look-alikes."""

    question: Question
    candidates: list[Candidate]


@dataclass
class PairReview:
    period: Period
    source: Period | None
    questions: int = 0
    same_text: int = 0
    confirmed: list = field(default_factory=list)  # [(new, old)] confirmed pairs
    rejected: list = field(default_factory=list)  # [(new, old)] rejected pairs
    open: list[OpenQuestion] = field(default_factory=list)  # with candidates to decide
    new_questions: int = 0  # no identity and no look-alike: a new question

    @property
    def carried(self) -> int:
        """Questions that receive last year's answers."""
        return self.same_text + len(self.confirmed)


def pair_review(period: Period) -> PairReview:
    """What the review page shows: how many questions are last year's by text, the pairs
    decided, and for every other question last year's look-alikes (same indicator and
    question code, or similar text), best first. Four queries."""
    review = PairReview(period=period, source=previous_period(period))
    new = _questions(period)
    review.questions = len(new)
    if review.source is None:
        review.new_questions = len(new)
        return review
    old = _questions(review.source)
    decisions = _decisions(new, old)
    identity, by_text = _identity(new, old, decisions)
    new_by_pk, old_by_pk = {q.pk: q for q in new}, {q.pk: q for q in old}
    decided: dict[int, set[int]] = {}
    for pair in decisions:
        decided.setdefault(pair.new_question_id, set()).add(pair.old_question_id)
        both = (new_by_pk[pair.new_question_id], old_by_pk[pair.old_question_id])
        (review.confirmed if pair.confirmed else review.rejected).append(both)
    review.same_text = sum(
        1 for n, o in by_text.items() if identity.get(n) == o and o not in decided.get(n, ())
    )
    taken = set(identity.values())
    keys = {q.pk: text_key(q.text) for q in (*new, *old)}
    for q in new:
        if q.pk in identity:
            continue
        found = []
        for o in old:
            if o.pk in taken or o.pk in decided.get(q.pk, ()):
                continue
            same_code = (o.indicator.code, o.code) == (q.indicator.code, q.code)
            score = similarity(keys[q.pk], keys[o.pk])
            if same_code or score >= SIMILAR:
                found.append(Candidate(old=o, same_code=same_code, similarity=score))
        found.sort(key=lambda c: (-c.similarity, not c.same_code))
        best = found[:CANDIDATES_PER_QUESTION]
        best += [c for c in found[CANDIDATES_PER_QUESTION:] if c.same_code]
        if best:
            review.open.append(OpenQuestion(question=q, candidates=best))
        else:
            review.new_questions += 1
    return review
