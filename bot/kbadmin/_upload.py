"""Reading an uploaded zip of entries without trusting it: bounded in size and count, no path
that leaves the ward folder, no link, only Markdown entries and question lists."""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from knowledge import Problem, file_name_problem

# What a zip may hold, besides entries (``*.md`` anywhere): the ward's question lists.
_QUESTIONS_DIR = "questions"
# Folders an archive tool adds that are not content.
_SKIPPED_DIRS = ("__MACOSX",)


@dataclass(frozen=True)
class UploadLimits:
    """How much an upload may hold: the zip itself, its files, each file and all of them
    uncompressed, and a portal JSONL file."""

    zip_bytes: int = 20 << 20
    files: int = 5_000
    file_bytes: int = 2 << 20
    total_bytes: int = 100 << 20
    portal_bytes: int = 500 << 20


@dataclass(frozen=True)
class UploadedFile:
    name: str  # as inside the upload
    relative: str  # where it goes in the ward folder
    data: bytes


def read_entries_zip(data: bytes, upload_name: str, limits: UploadLimits) -> tuple[list[UploadedFile], list[Problem]]:
    """The files of the zip and where each goes, or every problem (then no file)."""
    if len(data) > limits.zip_bytes:
        return [], [Problem(upload_name, 0, f"the upload is larger than {limits.zip_bytes:,} bytes")]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return [], [Problem(upload_name, 0, "not a zip file")]
    with archive:
        members = archive.infolist()
        if len(members) > limits.files:
            return [], [Problem(upload_name, 0, f"the zip holds {len(members):,} files; at most {limits.files:,}")]
        problems: list[Problem] = []
        chosen: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
        for member in members:
            path, problem = _member_path(member, limits)
            if problem:
                problems.append(Problem(member.filename, 0, problem))
            elif path is not None:
                chosen.append((member, path))
        total = sum(member.file_size for member, _ in chosen)
        if total > limits.total_bytes:
            problems.append(Problem(upload_name, 0, f"the zip unpacks to more than {limits.total_bytes:,} bytes"))
        if not chosen and not problems:
            problems.append(Problem(upload_name, 0, "the zip holds no .md entry files"))
        if problems:
            return [], problems
        strip = _wrapper_depth([path for _, path in chosen])
        files = []
        for member, path in chosen:
            with archive.open(member) as handle:
                # The sizes in a zip's directory are the uploader's word: read one byte past the bound.
                content = handle.read(limits.file_bytes + 1)
            if len(content) > limits.file_bytes:
                problems.append(Problem(member.filename, 0, f"larger than {limits.file_bytes:,} bytes"))
            files.append(UploadedFile(member.filename, str(PurePosixPath(*path.parts[strip:])), content))
        return ([], problems) if problems else (files, [])


def _member_path(member: zipfile.ZipInfo, limits: UploadLimits) -> tuple[PurePosixPath | None, str]:
    """Where a member goes (None: skipped), or why it is refused."""
    name = member.filename
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None, "a file name must be a relative path with '/' between its folders"
    path = PurePosixPath(name)
    if any(part in ("", ".", "..") for part in path.parts):
        return None, "a path may not leave the upload's folder ('..')"
    if path.parts[0] in _SKIPPED_DIRS or any(part.startswith(".") for part in path.parts):
        return None, ""  # archive tools' extras and hidden files: the loader would skip them too
    if member.is_dir():
        return None, ""
    if stat.S_ISLNK(member.external_attr >> 16):
        return None, "links are not allowed in an upload"
    for part in path.parts:
        reason = file_name_problem(part)
        if reason:
            return None, f"cannot name a file {part!r}: {reason}"
    is_questions = path.suffix == ".txt" and len(path.parts) >= 2 and path.parts[-2] == _QUESTIONS_DIR
    if path.suffix != ".md" and not is_questions:
        return None, "only .md entry files and questions/<code>.txt question lists may be uploaded"
    if member.file_size > limits.file_bytes:
        return None, f"larger than {limits.file_bytes:,} bytes"
    return path, ""


def _wrapper_depth(paths: list[PurePosixPath]) -> int:
    """1 when every file lies in one top folder that is not a part of the layout itself (a zip
    of the folder ``kb/`` rather than of its contents), else 0."""
    tops = {path.parts[0] for path in paths}
    if len(tops) == 1 and all(len(path.parts) > 1 for path in paths):
        (top,) = tops
        if top not in ("faq", "procedures", _QUESTIONS_DIR):
            return 1
    return 0
