from collections import defaultdict

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from core import page_cache
from indicators.models import Question
from opd.models import Answer, Comment, Evidence, EvidenceRevision, Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="opd_profile_for_user")
def ensure_profile(sender, instance, created, raw=False, **kwargs):
    """Every user has a profile, however the user was made (admin, createsuperuser, import)."""
    if raw or not created:
        return
    role = Profile.Role.ADMIN if instance.is_superuser else Profile.Role.OPD
    Profile.objects.get_or_create(user=instance, defaults={"role": role})


# --- What a change of an answer, its evidence or comments touches in the page cache -----------
# Rows are ("pair", (question_id, unit_id), flag), ("answer", id, flag) or ("evidence", id,
# flag); flag "figures" also raises the period's score, "progress" the units' progress,
# "queue" the review queue's figures.


def _progress(figures: tuple) -> tuple:
    """What unit completion reads of an answer's FIGURES (kla.selectors.unit_completion):
    whether it claims points at all, and its state."""
    claimed, _verified, status, _submitted = figures
    return claimed is not None, status


def _answer(answer: Answer, created_or_deleted: bool):
    figures, read = answer.figures(), getattr(answer, "figures_read", None)
    known = not created_or_deleted and figures is not None and read is not None
    answer.figures_read = figures  # the next save of this instance compares with this one
    pair = (answer.question_id, answer.unit_id)
    rows = [("pair", pair, "" if known and figures == read else "figures")]
    # Other points claimed on an answer that claimed some leave the units' progress be: the
    # commonest save of the March rush then recounts no unit on the dashboards.
    if not known or _progress(figures) != _progress(read):
        rows.append(("pair", pair, "progress"))
    # State and submission time (FIGURES' last two): a change of points alone leaves the
    # queue's size and age be.
    if not known or figures[2:] != read[2:]:
        rows.append(("pair", pair, "queue"))
    return rows


page_cache.scope_changes_of(Answer, _answer)
# Evidence added or removed changes "with evidence"; a new revision or a comment only the pages.
page_cache.scope_changes_of(Evidence, lambda e, _new: [("answer", e.answer_id, "progress")])
page_cache.scope_changes_of(Comment, lambda c, _new: [("answer", c.answer_id, "")])
page_cache.scope_changes_of(EvidenceRevision, lambda r, _new: [("evidence", r.evidence_id, "")])


def _row_scopes(rows: set[tuple]) -> set:
    """The scopes of changed answer-level rows, after the commit, in at most three queries:
    the answer's period, its unit and every unit its question is assigned to (the lead, the
    supporting and coordinating units see the answer in their workspaces) with their parents.
    "all" for a row gone meanwhile. The period's score is raised with a note of the question
    (score:<id>, question id), so the score derives only that question's indicator again."""
    pairs, answers, evidence = defaultdict(set), defaultdict(set), defaultdict(set)
    for kind, key, flag in rows:
        {"pair": pairs, "answer": answers, "evidence": evidence}[kind][key].add(flag)
    if evidence:
        found = Evidence.objects.filter(pk__in=evidence).values_list("pk", "answer_id")
        for pk, answer_id in found:
            answers[answer_id] |= evidence.pop(pk)
    if answers:
        for pk, question_id, unit_id in Answer.objects.filter(pk__in=answers).values_list(
            "pk", "question_id", "unit_id"
        ):
            pairs[(question_id, unit_id)] |= answers.pop(pk)
    periods, assigned = {}, defaultdict(set)
    # A unit's parent too: a kecamatan fills its desa's rows (opd.access.row_writer_unit_ids).
    for question_id, period_id, unit_id, parent_id in Question.objects.filter(
        pk__in={question_id for question_id, _unit in pairs}
    ).values_list(
        "pk", "indicator__group__period_id", "assignments__unit_id", "assignments__unit__parent_id"
    ):
        periods[question_id] = period_id
        assigned[question_id] |= {unit_id, parent_id}
    if evidence or answers or not periods.keys() >= {q for q, _unit in pairs}:
        return {page_cache.GLOBAL}
    scopes = set()
    for (question_id, unit_id), flags in pairs.items():
        period = periods[question_id]
        units = (assigned[question_id] - {None}) | {unit_id}
        scopes |= {
            page_cache.period_scope(period),
            page_cache.answers_scope(unit_id),
            *map(page_cache.unit_scope, units),
        }
        if "figures" in flags:
            scopes.add((page_cache.score_scope(period), question_id))
        if "progress" in flags:
            scopes.add(page_cache.progress_scope(period))
        if "queue" in flags:
            scopes.add(page_cache.queue_scope(period))
    return scopes


page_cache.resolve_rows_with(_row_scopes)
