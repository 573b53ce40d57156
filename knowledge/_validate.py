"""Loading and checking a knowledge base from folders of Markdown entries and portal JSONL files.

Every problem in every file is collected, so an official fixes them all in one pass, and a
knowledge base with any problem is refused as a whole: nothing invalid reaches an index.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from wardbot_errors import WardbotError

from . import _markdown, _portal, _schema
from ._kb import KnowledgeBase, entry_digest
from ._markdown import EntryError, LocatedEntry, dump_entry, locate_entry_file
from ._portal import PortalFormatError, iter_portal_jsonl, open_text
from ._problems import Problem, code_problem
from ._questions import question_folders, read_question_corpus
from ._schema import Entry, Faq, Procedure

# What may name an entry's file: ASCII letters, digits, '.', '_', '-', not starting with a dot.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NAME_RULE = "letters a-z, digits, '-', '_' and '.', starting with a letter or digit"


class KnowledgeBaseError(WardbotError):
    """The knowledge base has problems and was not loaded."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        heading = f"the knowledge base has {count} problem{'s' if count != 1 else ''}:"
        super().__init__("\n".join([heading, *(f"  {problem}" for problem in self.problems)]))


@dataclass(frozen=True)
class _Found:
    """An entry with the file it came from and the lines of its fields."""

    path: str
    located: LocatedEntry

    @property
    def entry(self) -> Entry:
        return self.located.entry

    def problem(self, message: str, *key: str | int) -> Problem:
        return Problem(self.path, self.located.line(*key), message)


def load_knowledge_base(
    paths: Sequence[str | Path], *, national: str | Path | None = None, cache_dir: str | Path | None = None
) -> KnowledgeBase:
    """The knowledge base in ``paths``, with the citizen questions of its procedures; raises
    ``KnowledgeBaseError`` listing every problem.

    ``national``, a portal JSONL file (plain or compressed), is the read-only national layer under
    the ward's entries: a ward entry with the same code replaces the national one. Parsing it
    takes seconds, so with ``cache_dir`` it is converted once and read back from there after.
    """
    entries, questions, problems, digests = _read_and_check(paths, national, cache_dir)
    if problems:
        raise KnowledgeBaseError(problems)
    sources = [str(path) for path in paths] + ([str(national)] if national is not None else [])
    return KnowledgeBase.from_entries(entries, sources=sources, questions=questions, digests=digests)


def validate_paths(
    paths: Sequence[str | Path], *, national: str | Path | None = None
) -> tuple[list[Entry], list[Problem]]:
    """Reads and checks every entry under ``paths`` and the question corpus: the entries read
    (the national layer's, where the ward has none of the same code, first), and all problems.

    A path is a folder (its ``*.md`` files, recursively, hidden ones skipped, and its
    ``questions/<code>.txt`` files), one ``.md`` entry file, or a portal ``.jsonl`` export. A file
    reached twice is read once. The bundled question corpus is always checked.
    """
    entries, _, problems, _ = _read_and_check(paths, national, None)
    return entries, problems


def _read_and_check(
    paths: Sequence[str | Path], national: str | Path | None, cache_dir: str | Path | None
) -> tuple[list[Entry], dict[str, tuple[str, ...]], list[Problem], dict[str, str]]:
    """Entries (the national layer's not overridden, then the ward's), questions by code, every
    problem, and the cached digests of the national entries kept."""
    ward, problems = _read_entries(paths)
    digests: dict[str, str] = {}
    if national is not None:
        layer, layer_digests, layer_problems = _read_national(Path(national), cache_dir)
        problems.extend(layer_problems)
        overridden = {entry.entry_id for entry in ward}
        ward = [entry for entry in layer if entry.entry_id not in overridden] + ward
        digests = {code: digest for code, digest in layer_digests.items() if code not in overridden}
    questions, question_problems = read_question_corpus(question_folders(paths))
    problems.extend(question_problems)
    codes = {entry.entry_id for entry in ward if isinstance(entry, Procedure)}
    return ward, {code: qs for code, qs in questions.items() if code in codes}, problems, digests


def read_national_layer(file: str | Path, *, cache_dir: str | Path | None = None) -> list[Entry]:
    """The entries of the national layer ``file`` alone (from the cache when ``cache_dir`` holds
    it, as :func:`load_knowledge_base` reads it); raises ``KnowledgeBaseError`` on problems."""
    entries, _, problems = _read_national(Path(file), cache_dir)
    if problems:
        raise KnowledgeBaseError(problems)
    return entries


def file_name_problem(name: str) -> str:
    """Why ``name`` (an FAQ id, a procedure code, a part of a path) cannot name a file of the
    knowledge base, or "" if it can."""
    return "" if _FILE_NAME.fullmatch(name) else f"it may contain only {_NAME_RULE}"


def _read_national(file: Path, cache_dir: str | Path | None) -> tuple[list[Entry], dict[str, str], list[Problem]]:
    """The national layer's entries and their digests, from the cache when it was converted
    before by this version of the parser (a layer with problems is never cached)."""
    cache = None
    if cache_dir is not None:
        key = hashlib.sha256(file.read_bytes())
        for module in (_portal, _markdown, _schema):  # a changed parser converts again
            assert module.__file__ is not None  # our own modules, loaded from files
            key.update(Path(module.__file__).read_bytes())
        cache = Path(cache_dir) / f"national-{key.hexdigest()[:16]}.pickle"
        try:
            with cache.open("rb") as handle:
                return *pickle.load(handle), []
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            pass
    entries, problems = _read_entries([file])
    digests = {entry.entry_id: entry_digest(entry) for entry in entries}
    if cache is not None and not problems:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_name(cache.name + ".partial")
        with partial.open("wb") as handle:
            pickle.dump((entries, digests), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, cache)
        for stale in cache.parent.glob("national-*.pickle"):
            if stale != cache:
                stale.unlink(missing_ok=True)
    return entries, digests, problems


def _read_entries(paths: Sequence[str | Path]) -> tuple[list[Entry], list[Problem]]:
    if isinstance(paths, (str, Path)):
        raise TypeError("validate_paths takes a list of paths, not a single path")
    if not paths:
        raise ValueError("no knowledge-base paths were given")
    found: list[_Found] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    rank: dict[str, int] = {}  # path: when it was reached, so problems are listed in that order
    for given in paths:
        rank.setdefault(str(given), len(rank))
        for file in _entry_files(Path(given), problems):
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            rank.setdefault(str(file), len(rank))
            if _is_portal_file(file):
                found.extend(_read_portal(file, problems))
            else:
                try:
                    found.append(_Found(str(file), locate_entry_file(file)))
                except EntryError as error:
                    problems.append(Problem(error.path, error.line, error.message))
                except OSError as error:
                    problems.append(Problem(str(file), 0, f"cannot be read: {error.strerror}"))
    for item in found:
        problems.extend(_check_entry(item))
    problems.extend(_check_duplicates(found))
    problems.sort(key=lambda problem: (rank.get(problem.path, len(rank)), problem.line))
    return [item.entry for item in found], problems


def _entry_files(path: Path, problems: list[Problem]) -> list[Path]:
    """The files to read for one given path, reporting a path that gives none."""
    if not path.exists():
        problems.append(Problem(str(path), 0, "no such file or folder"))
        return []
    if path.is_dir():
        files = sorted(
            file
            for file in path.rglob("*.md")
            # Skipping dot-files and dot-folders: editor backups, lock files, version control.
            if file.is_file() and not any(part.startswith(".") for part in file.relative_to(path).parts)
        )
        if not files:
            problems.append(Problem(str(path), 0, "the folder holds no .md entry files"))
        return files
    if path.suffix == ".md" or _is_portal_file(path):
        return [path]
    problems.append(
        Problem(str(path), 0, "expected a folder, a .md entry file or a portal .jsonl file (.jsonl.xz, .jsonl.gz)")
    )
    return []


def _is_portal_file(path: Path) -> bool:
    return path.name.endswith((".jsonl", ".jsonl.xz", ".jsonl.gz"))


def _read_portal(file: Path, problems: list[Problem]) -> list[_Found]:
    """The procedures of a portal JSONL file, each located at its line; those before a bad line."""
    records: list[_Found] = []
    try:
        # iter_portal_jsonl yields one record per non-blank line (or raises), and does not say
        # which line, so the line numbers are counted here the same way.
        with open_text(file) as lines:
            record_lines = [number for number, line in enumerate(lines, start=1) if line.strip()]
        for record, line in zip(iter_portal_jsonl(file), record_lines, strict=True):
            records.append(_Found(str(file), LocatedEntry(record.procedure, default_line=line)))
    except PortalFormatError as error:
        problems.append(Problem(error.path, error.line_no, error.message))
    except UnicodeDecodeError:
        problems.append(Problem(str(file), 0, "the file is not UTF-8 text"))
    except OSError as error:
        problems.append(Problem(str(file), 0, f"cannot be read: {error.strerror}"))
    else:
        if not records:
            problems.append(Problem(str(file), 0, "the portal file holds no records"))
    return records


def _check_entry(item: _Found) -> list[Problem]:
    """The problems of one entry that its file's syntax cannot show."""
    entry = item.entry
    problems = []
    required = ("code", "name") if isinstance(entry, Procedure) else ("id", "question", "answer")
    for name in required:
        if not getattr(entry, name).strip():
            problems.append(item.problem(f"required field `{name}` is empty", name))
    if isinstance(entry, Procedure):
        problems.extend(_check_procedure(item, entry))
    else:
        problems.extend(_check_faq(item, entry))
    for position, basis in enumerate(entry.legal_basis):
        if not (basis.name.strip() or basis.number.strip()):
            problems.append(
                item.problem(
                    f"legal_basis item {position + 1} has neither a `name` nor a `number`", "legal_basis", position
                )
            )
    return problems


def _check_procedure(item: _Found, procedure: Procedure) -> Iterable[Problem]:
    if procedure.code.strip():
        reason = code_problem(procedure.code)
        if reason:
            yield item.problem(
                f"procedure code {procedure.code!r} is not in the national format "
                f"(digits, a dot, then six digits, e.g. '1.001193'): {reason}",
                "code",
            )  # fmt: skip
    for name in ("portal_url", "source_url"):
        url = getattr(procedure, name)
        if url and not _is_web_address(url):
            yield item.problem(
                f"field `{name}` must be a web address starting with http:// or https://, got {url!r}", name
            )
    for position, document in enumerate(procedure.documents):
        where = f"documents item {position + 1}"
        if not document.name.strip():
            yield item.problem(f"{where} has an empty `name`", "documents", position, "name")
        for name in ("originals", "copies"):
            count = getattr(document, name)
            if count is not None and count < 0:
                yield item.problem(
                    f"field `{name}` of {where} must be a whole number ≥ 0, got {count}", "documents", position, name
                )
    if not procedure.methods and not procedure.raw.get("cach_thuc_thuc_hien", "").strip():
        yield item.problem(
            "the procedure says nowhere how to file: add at least one item under `methods` "
            "(channel: in_person, online or post), or the portal's text as `raw: cach_thuc_thuc_hien`",
            "methods",
        )  # fmt: skip


def _check_faq(item: _Found, faq: Faq) -> Iterable[Problem]:
    if faq.id.strip() and not _FILE_NAME.fullmatch(faq.id):
        yield item.problem(
            f"FAQ id {faq.id!r} may contain only {_NAME_RULE}, since it names the file faq/<id>.md", "id"
        )
    if not faq.legal_basis:
        yield item.problem(
            "the FAQ has no `legal_basis`: every answer must cite at least one legal document (number and name)",
            "legal_basis",
        )  # fmt: skip


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and url == url.strip()


def _check_duplicates(found: Sequence[_Found]) -> list[Problem]:
    """A problem at every place an id is defined more than once, naming the other places."""
    places: dict[str, list[tuple[str, int, str]]] = {}  # id: [(path, line, what the id is)]
    for item in found:
        entry = item.entry
        if entry.entry_id.strip():
            key, label = ("code", "procedure code") if isinstance(entry, Procedure) else ("id", "FAQ id")
            places.setdefault(entry.entry_id, []).append((item.path, item.located.line(key), label))
    problems = []
    for entry_id, spots in places.items():
        for spot in spots if len(spots) > 1 else ():
            path, line, label = spot
            others = ", ".join(f"{other[0]}:{other[1]}" for other in spots if other is not spot)
            problems.append(Problem(path, line, f"{label} {entry_id!r} is defined more than once; also at {others}"))
    return problems


def export_entries(entries: Iterable[Entry], out_dir: str | Path) -> list[Path]:
    """Writes procedures to ``out_dir/procedures/<code>.md`` and FAQs to ``out_dir/faq/<id>.md``.

    Existing files of the same name are replaced. Raises ``ValueError``, before writing anything,
    if an id cannot name a file or two entries would write the same file.
    """
    planned: dict[Path, Entry] = {}
    for entry in entries:
        folder = "procedures" if isinstance(entry, Procedure) else "faq"
        reason = file_name_problem(entry.entry_id)
        if reason:
            raise ValueError(f"cannot name a file after the id {entry.entry_id!r}: {reason}")
        target = Path(out_dir) / folder / f"{entry.entry_id}.md"
        if target in planned:
            raise ValueError(f"two entries have the id {entry.entry_id!r}")
        planned[target] = entry
    for target, entry in planned.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        # "\n" line ends on every system, so the files are byte-identical wherever exported.
        target.write_text(dump_entry(entry), encoding="utf-8", newline="\n")
    return list(planned)
