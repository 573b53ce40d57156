"""``KbAdmin``: browse, edit and upload the ward's knowledge base, never leaving a broken one on
disk. Every change is written to a staging copy first and validated there together with the
rest of the knowledge base (the national layer and the question corpus included); only a valid
change replaces files, each atomically, and the caller's reload then serves it."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import shutil
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge import (
    Entry,
    Faq,
    KnowledgeBaseError,
    Problem,
    Procedure,
    bundled_national_path,
    dump_entry,
    file_name_problem,
    load_knowledge_base,
    validate_paths,
)
from retrieval import syllables
from wardbot_errors import WardbotError

from .._config import Config
from .._search import kb_paths, national_layer_path
from ._files import content_hash, staged_copy, write_atomically
from ._forms import FaqForm, ProcedureForm
from ._index import EntryIndex, EntryInfo, EntryKind, EntryPage, Origin
from ._national import install_national_layer
from ._upload import UploadLimits, read_entries_zip

Reload = Callable[[], Awaitable[bool]]

_PORTAL_SUFFIXES = (".jsonl", ".jsonl.xz", ".jsonl.gz")
_QUESTIONS_DIR = "questions"
_NEW_ID_SYLLABLES = 8


class EntryNotFound(WardbotError, LookupError):
    """No entry has this id or code."""

    def __init__(self, entry_id: str) -> None:
        super().__init__(f"no entry has the id {entry_id!r}")
        self.entry_id = entry_id


class EditConflict(WardbotError):
    """The entry's files changed since the edit began: saving would lose that change."""

    def __init__(self, entry_id: str, expected: str, current: str) -> None:
        if not expected:
            what = f"{entry_id} was created meanwhile"
        elif not current:
            what = f"{entry_id} was deleted meanwhile"
        else:
            what = f"{entry_id} was changed meanwhile"
        super().__init__(f"{what}; reload it, redo the edit and save again")
        self.entry_id = entry_id
        self.expected = expected
        self.current = current  # the content hash to start a new edit from


@dataclass(frozen=True)
class EntryDetail:
    """One entry, for its page and its edit form. ``content_hash`` is what a save of ``form``
    must carry ("" when there is no ward file yet: saving a national entry creates the override);
    ``markdown`` the ward file's text, or the national entry as a ward file would hold it."""

    info: EntryInfo
    entry: Entry
    form: FaqForm | ProcedureForm
    content_hash: str
    markdown: str
    national: Procedure | None  # the national procedure of this code, overridden or not

    @property
    def editable(self) -> bool:
        return self.info.editable


@dataclass(frozen=True)
class ChangeResult:
    """What a save or an upload did. ``ok``: the files were replaced (then ``problems`` is
    empty); else nothing on disk changed and ``problems`` says why, each as ``file:line:
    message`` by ``str()``. ``reloaded``: the outcome of the ``reload`` the admin was given, None
    when it was given none or nothing changed (False: the bot still serves the previous KB)."""

    ok: bool
    problems: tuple[Problem, ...] = ()
    paths: tuple[Path, ...] = ()  # the files written (or, for a save, the entry's file)
    content_hash: str = ""  # a save's new content hash, to edit on from
    entries: int = 0  # how many entries the knowledge base holds with the change
    reloaded: bool | None = None


class KbAdmin:
    """The ward's knowledge base as the console manages it: ``ward_dir`` holds the editable
    Markdown entries (and ``questions/<code>.txt``); ``paths`` are every configured KB path
    (``ward_dir`` among them), validated together; ``national`` the national layer served under
    them and ``national_target`` where an uploaded one is installed. ``reload``, when given (the
    app's ``Application.reload_knowledge``), runs after every change that was made.

    All methods are coroutines that do their file work in a thread; changes run one at a time."""

    def __init__(
        self,
        ward_dir: Path,
        *,
        paths: Sequence[Path] = (),
        national: Path | None = None,
        national_target: Path | None = None,
        cache_dir: Path | None = None,
        reload: Reload | None = None,
        limits: UploadLimits | None = None,
    ) -> None:
        self.ward_dir = Path(ward_dir)
        self.paths = tuple(Path(p) for p in paths) or (self.ward_dir,)
        if self.ward_dir not in self.paths:
            raise ValueError(f"the ward folder {self.ward_dir} is not one of the knowledge-base paths")
        self.national = national
        self.national_target = national_target
        self.cache_dir = cache_dir
        self.reload = reload
        self.limits = limits or UploadLimits()
        self._index = EntryIndex(self.ward_dir, national, cache_dir)
        self._change_lock = asyncio.Lock()
        self._disk_lock = threading.Lock()  # the files, between the threads this runs on

    @classmethod
    def from_config(cls, config: Config, *, reload: Reload | None = None) -> KbAdmin:
        """The knowledge base the bot serves: the first configured folder is the ward's (the
        bundled sample when none is configured), the national layer where it is read."""
        paths = kb_paths(config)
        ward = next((path for path in paths if path.is_dir()), None)
        if ward is None:
            raise ValueError("no folder among the [knowledge] paths to hold the ward's entries")
        return cls(
            ward,
            paths=paths,
            national=national_layer_path(config),
            national_target=config.national_dir / bundled_national_path().name if config.knowledge.national else None,
            cache_dir=config.cache_dir,
            reload=reload,
        )

    # --- browsing ---------------------------------------------------------------------------------

    async def list_entries(
        self,
        query: str = "",
        *,
        kind: EntryKind | None = None,
        origin: Origin | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> EntryPage:
        """A page of entries matching ``query`` (with or without diacritics; all for ""), those
        matching in the title first."""

        def search() -> EntryPage:
            self._index.refresh()
            return self._index.search(query, kind=kind, origin=origin, page=page, per_page=per_page)

        return await asyncio.to_thread(search)

    async def get_entry(self, entry_id: str) -> EntryDetail:
        """One entry with its form; raises ``EntryNotFound``."""
        return await asyncio.to_thread(self._detail, entry_id)

    async def unreadable_files(self) -> tuple[Problem, ...]:
        """Ward files that cannot be read at all (edited by hand outside the console)."""

        def read() -> tuple[Problem, ...]:
            self._index.refresh()
            return self._index.broken

        return await asyncio.to_thread(read)

    async def validate(self) -> list[Problem]:
        """Every problem of the knowledge base on disk, as ``wardbot kb validate`` lists them."""
        return await asyncio.to_thread(lambda: validate_paths(self.paths, national=self.national)[1])

    async def new_faq_form(self, question: str = "") -> FaqForm:
        """An FAQ form for ``question``, with an id made from it that no entry or file uses."""

        def make() -> FaqForm:
            self._index.refresh()
            base = "-".join(syllables(question)[:_NEW_ID_SYLLABLES]) or "cau-hoi"
            taken = self._index.ids()
            candidate, number = base, 1
            while candidate in taken or (self.ward_dir / "faq" / f"{candidate}.md").exists():
                number += 1
                candidate = f"{base}-{number}"
            return FaqForm(id=candidate, question=" ".join(question.split()))

        return await asyncio.to_thread(make)

    def _detail(self, entry_id: str) -> EntryDetail:
        self._index.refresh()
        found = self._index.get(entry_id)
        if found is None:
            raise EntryNotFound(entry_id)
        info, entry = found
        national = self._index.national_entry(entry_id)
        files = self._files_of(entry, info.path)
        if isinstance(entry, Faq):
            form: FaqForm | ProcedureForm = FaqForm.from_entry(entry)
        else:
            form = ProcedureForm.from_entry(entry, self._asked_as(entry.code))
        markdown = info.path.read_text(encoding="utf-8") if info.path is not None else dump_entry(entry)
        return EntryDetail(
            info,
            entry,
            form,
            content_hash(*files) if info.path is not None else "",
            markdown,
            national if isinstance(national, Procedure) else None,
        )

    def _files_of(self, entry: Entry, path: Path | None) -> tuple[Path, ...]:
        """The ward files an edit of ``entry`` writes: its Markdown file (where it is, or where a
        new one goes) and, for a procedure, its question list."""
        if isinstance(entry, Faq):
            return (path or self.ward_dir / "faq" / f"{entry.id}.md",)
        return (
            path or self.ward_dir / "procedures" / f"{entry.code}.md",
            self.ward_dir / _QUESTIONS_DIR / f"{entry.code}.txt",
        )

    def _asked_as(self, code: str) -> tuple[str, ...]:
        try:
            lines = (self.ward_dir / _QUESTIONS_DIR / f"{code}.txt").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return ()
        return tuple(line.strip() for line in lines if line.strip() and not line.strip().startswith("#"))

    # --- saving -----------------------------------------------------------------------------------

    async def save_faq(self, form: FaqForm, *, base_hash: str) -> ChangeResult:
        """Save ``form`` as the ward FAQ of its id; ``base_hash`` is the ``content_hash`` the edit
        began from ("" for a new FAQ). Raises ``EditConflict`` if the file changed meanwhile."""
        return await self._change(lambda: self._save(form, base_hash))

    async def save_procedure(self, form: ProcedureForm, *, base_hash: str) -> ChangeResult:
        """Save ``form`` as the ward procedure of its code (over a national one of the same code:
        an override, which keeps the national entry's fields the form does not show); as
        :meth:`save_faq` otherwise."""
        return await self._change(lambda: self._save(form, base_hash))

    def _save(self, form: FaqForm | ProcedureForm, base_hash: str) -> ChangeResult:
        self._index.refresh()
        entry_id = form.id if isinstance(form, FaqForm) else form.code
        entry_id = entry_id.strip()
        found = self._index.get(entry_id)
        kind = "FAQ id" if isinstance(form, FaqForm) else "procedure code"
        reason = file_name_problem(entry_id)
        where = f"faq/{entry_id}.md" if isinstance(form, FaqForm) else f"procedures/{entry_id}.md"
        if reason:
            return ChangeResult(False, (Problem(where, 0, f"the {kind} {entry_id!r} cannot name its file: {reason}"),))
        if found is not None and isinstance(found[1], Faq) != isinstance(form, FaqForm):
            return ChangeResult(False, (Problem(where, 0, f"{entry_id!r} is already the id of another kind of entry"),))
        ward_path = found[0].path if found is not None else None
        entry: Entry
        if isinstance(form, FaqForm):
            entry, errors = form.to_entry()
            files = self._files_of(entry, ward_path)
            changes: dict[Path, bytes | None] = {files[0]: dump_entry(entry).encode("utf-8")}
        else:
            base = found[1] if found is not None and isinstance(found[1], Procedure) else None
            entry, errors = form.to_entry(base)
            files = self._files_of(entry, ward_path)
            questions = _items_text(form.asked_as)
            changes = {files[0]: dump_entry(entry).encode("utf-8"), files[1]: questions}
            if questions is None and not files[1].exists():
                del changes[files[1]]
        with self._disk_lock:
            current = content_hash(*files)
            if current != base_hash:
                raise EditConflict(entry_id, base_hash, current)
            if errors:
                return ChangeResult(False, tuple(Problem(str(files[0]), 0, error) for error in errors))
            problems, count = self._check(changes, {})
            if problems:
                return ChangeResult(False, tuple(problems), (files[0],))
            self._install(changes)
            return ChangeResult(True, (), (files[0],), content_hash(*files), count)

    # --- uploads ----------------------------------------------------------------------------------

    async def upload_entries_zip(self, data: bytes, *, name: str = "upload.zip") -> ChangeResult:
        """Add or replace the ward entries in a zip (``*.md`` anywhere, ``questions/<code>.txt``;
        its one top folder, if it has nothing else, is left out), each going to the same path in
        the ward folder. Every problem names the file as inside the zip; with any, nothing
        changes."""

        def upload() -> ChangeResult:
            files, problems = read_entries_zip(data, name, self.limits)
            if problems:
                return ChangeResult(False, tuple(problems))
            changes: dict[Path, bytes | None] = {self.ward_dir / file.relative: file.data for file in files}
            names = {self.ward_dir / file.relative: file.name for file in files}
            with self._disk_lock:
                problems, count = self._check(changes, names)
                if problems:
                    return ChangeResult(False, tuple(problems))
                self._install(changes)
            return ChangeResult(True, (), tuple(changes), entries=count)

        return await self._change(upload)

    async def upload_portal(self, data: bytes, *, name: str) -> ChangeResult:
        """Refresh the national layer from a portal export (``name`` ends in .jsonl, .jsonl.xz or
        .jsonl.gz), as ``wardbot kb import-portal --national`` does, once it has been validated
        under the ward's entries. Problems name the file ``name``."""

        def upload() -> ChangeResult:
            if self.national_target is None:
                return ChangeResult(
                    False, (Problem(name, 0, "the national layer is switched off ([knowledge] national)"),)
                )
            if not name.endswith(_PORTAL_SUFFIXES):
                return ChangeResult(
                    False, (Problem(name, 0, "a portal export ends in .jsonl, .jsonl.xz or .jsonl.gz"),)
                )
            if len(data) > self.limits.portal_bytes:
                return ChangeResult(False, (Problem(name, 0, f"larger than {self.limits.portal_bytes:,} bytes"),))
            suffix = next(s for s in _PORTAL_SUFFIXES[::-1] if name.endswith(s))
            folder = self.national_target.parent / f".kbadmin-{secrets.token_hex(6)}"
            staged = folder / f"upload{suffix}"
            try:
                folder.mkdir(parents=True)
                staged.write_bytes(data)
                entries, problems = validate_paths(self.paths, national=staged)
                if problems:
                    return ChangeResult(False, tuple(_renamed(p, {str(staged): name}) for p in problems))
                with self._disk_lock:
                    install_national_layer(staged, self.national_target)
                # A refreshed layer is served instead of the bundled one from now on.
                self.national = self._index.national = self.national_target
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            return ChangeResult(True, (), (self.national_target,), entries=len(entries))

        return await self._change(upload)

    # --- the machinery ----------------------------------------------------------------------------

    async def _change(self, work: Callable[[], ChangeResult]) -> ChangeResult:
        async with self._change_lock:
            result = await asyncio.to_thread(work)
            if result.ok and self.reload is not None:
                result = dataclasses.replace(result, reloaded=await self.reload())
            return result

    def _check(self, changes: Mapping[Path, bytes | None], names: Mapping[Path, str]) -> tuple[list[Problem], int]:
        """The problems of the knowledge base with ``changes`` made, validated in a staging copy
        of the ward folder, each naming the real file (or its name in the upload); and, without
        problems, how many entries it holds."""
        relative = {str(path.relative_to(self.ward_dir)): data for path, data in changes.items()}
        with staged_copy(self.ward_dir, relative) as staging:
            paths = [staging if path == self.ward_dir else path for path in self.paths]
            try:
                kb = load_knowledge_base(paths, national=self.national, cache_dir=self.cache_dir)
            except KnowledgeBaseError as error:
                renames = {str(staging / path.relative_to(self.ward_dir)): name for path, name in names.items()}
                renames[str(staging)] = str(self.ward_dir)
                return [_renamed(problem, renames) for problem in error.problems], 0
        return [], len(kb)

    def _install(self, changes: Mapping[Path, bytes | None]) -> None:
        for path, data in changes.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, data)


def _items_text(items: Sequence[str]) -> bytes | None:
    lines = [" ".join(item.split()) for item in items if item.strip()]
    return "".join(f"{line}\n" for line in lines).encode("utf-8") if lines else None


def _renamed(problem: Problem, renames: Mapping[str, str]) -> Problem:
    """``problem`` with the staging paths in it (its path, and others its message names)
    replaced: longest first, so an uploaded file's name wins over its folder's."""
    path, message = problem.path, problem.message
    old = next((old for old in sorted(renames, key=len, reverse=True) if path.startswith(old)), None)
    if old is not None:
        path = renames[old] + path[len(old) :]
    for old in sorted(renames, key=len, reverse=True):
        message = message.replace(old, renames[old])
    return Problem(path, problem.line, message)
