"""Citizen tickets: feedback (phản ánh, kiến nghị) and questions sent on to officials.

Imports nothing from ``bot``, ``handlers`` or a channel: those depend on this package, not
the other way round.
"""

from ._calendar import (
    DEFAULT_HOURS,
    WARD_TZ,
    Override,
    OverridesError,
    WorkingCalendar,
    bundled_overrides_path,
    check_hours,
    load_overrides,
)
from ._desk import (
    DEFAULT_POLICIES,
    SIPAS_FACTORS,
    DeadlinePolicy,
    DeadlineState,
    TicketDesk,
    WorkingPeriod,
    deadline_state,
    paused_intervals,
    working_days_late,
)
from ._redact import REDACTED, contact_values, redact_text
from ._sqlite import SchemaTooNewError, SqliteWorker, timestamp_text
from ._store import (
    CATEGORY_PREFIXES,
    TRANSITIONS,
    Category,
    EventKind,
    Status,
    Ticket,
    TicketConflict,
    TicketError,
    TicketEvent,
    TicketNotFound,
    TicketStateError,
    TicketStore,
    replay_events,
)

__all__ = (
    "CATEGORY_PREFIXES",
    "TRANSITIONS",
    "Category",
    "DEFAULT_HOURS",
    "DEFAULT_POLICIES",
    "DeadlinePolicy",
    "DeadlineState",
    "EventKind",
    "Override",
    "OverridesError",
    "REDACTED",
    "SIPAS_FACTORS",
    "SchemaTooNewError",
    "SqliteWorker",
    "Status",
    "Ticket",
    "TicketConflict",
    "TicketDesk",
    "TicketError",
    "TicketEvent",
    "TicketNotFound",
    "TicketStateError",
    "TicketStore",
    "WARD_TZ",
    "WorkingCalendar",
    "WorkingPeriod",
    "bundled_overrides_path",
    "check_hours",
    "contact_values",
    "deadline_state",
    "load_overrides",
    "paused_intervals",
    "redact_text",
    "replay_events",
    "timestamp_text",
    "working_days_late",
)
