"""The knowledge base: procedures and FAQs, their file formats, validation and loading."""

from ._kb import KnowledgeBase
from ._markdown import EntryError, dump_entry, load_entry_file, parse_entry
from ._portal import ParsedRecord, PortalFormatError, bundled_national_path, iter_portal_jsonl, parse_portal_record
from ._questions import bundled_questions_path, question_key, read_question_corpus
from ._schema import Channel, DocumentItem, Entry, Faq, LegalBasis, Procedure, SubmissionMethod
from ._search_docs import search_docs, service_popularity
from ._validate import (
    KnowledgeBaseError,
    Problem,
    export_entries,
    file_name_problem,
    load_knowledge_base,
    read_national_layer,
    validate_paths,
)

__all__ = (
    # entry types
    "Channel",
    "DocumentItem",
    "Entry",
    "Faq",
    "LegalBasis",
    "Procedure",
    "SubmissionMethod",
    # the Markdown entry format
    "EntryError",
    "dump_entry",
    "load_entry_file",
    "parse_entry",
    # portal exports
    "ParsedRecord",
    "PortalFormatError",
    "iter_portal_jsonl",
    "parse_portal_record",
    "bundled_national_path",
    # the citizen-question corpus
    "bundled_questions_path",
    "question_key",
    "read_question_corpus",
    # loading and checking
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Problem",
    "export_entries",
    "file_name_problem",
    "load_knowledge_base",
    "read_national_layer",
    "validate_paths",
    # what the retriever indexes
    "search_docs",
    "service_popularity",
)
