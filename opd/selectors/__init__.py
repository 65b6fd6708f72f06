"""Reads for pages, with related rows fetched up front, one module per topic: units (units,
people, assignments), answers (the workspace and the answer page), review (the queue, the
audit trail), tables (per-unit questions) and documents (the library). Callers import them
from here."""

from opd.selectors.answers import (
    NOT_STARTED,
    WORKSPACE_STATUSES,
    Resubmission,
    WorkspaceRow,
    answer_history,
    answer_page_data,
    next_question,
    notices_for,
    resubmission_changes,
    word_diff,
    workspace_rows,
)
from opd.selectors.coordination import (
    CLUSTER_STATES,
    ClusterProgress,
    cluster_progress,
    clusters_overview,
    task_force_of,
)
from opd.selectors.documents import (
    LibraryEntry,
    document_library,
    documents_expiring,
    documents_renewable,
    documents_to_attach,
    period_documents,
)
from opd.selectors.returns import open_returns_for_units, question_return
from opd.selectors.review import (
    audit_events,
    next_waiting_answer,
    review_filter_choices,
    review_queue,
    with_people,
)
from opd.selectors.tables import (
    QuestionTable,
    TableRow,
    question_share,
    question_table,
    tables_to_fill,
)
from opd.selectors.units import (
    assignments_for_units,
    coordinated_groups,
    questions_without_lead,
    unit_assignment_counts,
    unit_contacts,
    unit_list,
    unit_shortfall,
    units_of_user,
)

__all__ = [
    "coordinated_groups",
    "CLUSTER_STATES",
    "ClusterProgress",
    "cluster_progress",
    "clusters_overview",
    "task_force_of",
    "open_returns_for_units",
    "question_return",
    "LibraryEntry",
    "NOT_STARTED",
    "QuestionTable",
    "Resubmission",
    "TableRow",
    "WORKSPACE_STATUSES",
    "WorkspaceRow",
    "answer_history",
    "answer_page_data",
    "assignments_for_units",
    "audit_events",
    "document_library",
    "documents_expiring",
    "documents_renewable",
    "documents_to_attach",
    "next_question",
    "next_waiting_answer",
    "notices_for",
    "period_documents",
    "question_share",
    "question_table",
    "questions_without_lead",
    "resubmission_changes",
    "review_filter_choices",
    "review_queue",
    "tables_to_fill",
    "unit_assignment_counts",
    "unit_contacts",
    "unit_list",
    "unit_shortfall",
    "units_of_user",
    "with_people",
    "word_diff",
    "workspace_rows",
]
