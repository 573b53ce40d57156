"""The knowledge base as the ward's console manages it, free of any web framework: browse and search
entries (``KbAdmin.list_entries``, ``get_entry``), edit an FAQ or a ward procedure from a form
(``FaqForm``, ``ProcedureForm``; ``save_faq``, ``save_procedure``, with optimistic concurrency:
``EditConflict``), upload a zip of entries or a portal export (``upload_entries_zip``,
``upload_portal``), every change validated in a staging copy before it replaces files; and the
feedback queue (``FeedbackQueue``). ``install_national_layer`` is shared with ``wardbot kb
import-portal --national``."""

from ._admin import ChangeResult, EditConflict, EntryDetail, EntryNotFound, KbAdmin, Reload
from ._feedback import FeedbackItem, FeedbackQueue, feedback_key
from ._forms import DocumentForm, FaqForm, MethodForm, ProcedureForm
from ._index import EntryInfo, EntryKind, EntryPage, Origin
from ._national import install_national_layer
from ._upload import UploadLimits

__all__ = (
    "ChangeResult",
    "DocumentForm",
    "EditConflict",
    "EntryDetail",
    "EntryInfo",
    "EntryKind",
    "EntryNotFound",
    "EntryPage",
    "FaqForm",
    "FeedbackItem",
    "FeedbackQueue",
    "KbAdmin",
    "MethodForm",
    "Origin",
    "ProcedureForm",
    "Reload",
    "UploadLimits",
    "feedback_key",
    "install_national_layer",
)
