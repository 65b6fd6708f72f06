"""The answer's life. Every change of an answer goes through one of these services, one module
per topic: answers (a unit's draft and submission), rows (a per-unit table's rows at once),
review (the secretariat's claim, revision request, approval, reopening, comments), extensions,
periods (window, moves, official result), coordination (a cluster coordinator's return
and check), task_force (the decree and its members), evaluation (the province's returns, field
verification, official points). Callers import them from here.

    draft --submit--> submitted --approve--> approved --reopen--> submitted
                          |
                          +--request_revision(note)--> revision_requested --submit--> submitted
                          +--coordinator_return(note)--^   (the cluster's coordinator, first)
                          +--coordinator_check: a mark; the unit's next save or submit clears it

Each service locks the answer row, checks the state, the period and the window, writes the
audit trail and queues mail and score snapshots for after the commit.
"""

from opd.services._common import (
    IllegalTransition,
    StaleAnswer,
    answering_unit_ids,
    clean_points,
)
from opd.services.answers import answer_open, answer_save, answer_submit
from opd.services.coordination import answer_coordinator_check, answer_coordinator_return
from opd.services.evaluation import (
    OfficialEntry,
    field_verification_record,
    official_points_save,
    provincial_return_close,
    provincial_return_record,
    provincial_return_reply,
)
from opd.services.extensions import extension_grant
from opd.services.pairs import question_pair_decide
from opd.services.periods import (
    official_result_record,
    period_lock,
    period_move,
    period_move_message,
    period_scoring_set,
    period_update_window,
)
from opd.services.review import (
    ClaimedByOther,
    answer_approve,
    answer_claim,
    answer_release,
    answer_reopen,
    answer_request_revision,
    comment_add,
)
from opd.services.rows import TableSaveReport, table_rows_approve, table_rows_save
from opd.services.task_force import (
    task_force_decree_set,
    task_force_member_add,
    task_force_member_remove,
    task_force_member_update,
)

__all__ = [
    "ClaimedByOther",
    "OfficialEntry",
    "IllegalTransition",
    "StaleAnswer",
    "TableSaveReport",
    "answer_approve",
    "answer_claim",
    "answer_coordinator_check",
    "answer_coordinator_return",
    "answer_open",
    "answer_release",
    "answer_reopen",
    "answer_request_revision",
    "answer_save",
    "answer_submit",
    "answering_unit_ids",
    "clean_points",
    "comment_add",
    "extension_grant",
    "field_verification_record",
    "official_points_save",
    "official_result_record",
    "period_lock",
    "period_move",
    "period_move_message",
    "period_scoring_set",
    "period_update_window",
    "provincial_return_close",
    "provincial_return_record",
    "provincial_return_reply",
    "question_pair_decide",
    "table_rows_approve",
    "task_force_decree_set",
    "task_force_member_add",
    "task_force_member_remove",
    "task_force_member_update",
    "table_rows_save",
]
