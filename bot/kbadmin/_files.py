"""The ward folder on disk: content hashes, atomic writes, and staging copies to validate a change
before it is made."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

# The prefix of the hidden folders and temporary files this package makes inside the ward folder:
# hidden, so the knowledge base's loader never reads them (it skips dot-files and dot-folders).
_HIDDEN_PREFIX = ".kbadmin-"


def content_hash(*files: Path) -> str:
    """What an edit starts from: a sha256 of the files' bytes (a missing file counts as absent),
    or "" when none of them exists, i.e. when the edit creates the entry."""
    digest = hashlib.sha256()
    found = False
    for file in files:
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            digest.update(b"\x00absent\x00")
            continue
        found = True
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest() if found else ""


def visible_files(folder: Path) -> Iterator[Path]:
    """Every file under ``folder`` that the loader may read: none in a hidden file or folder."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(root) / name


def write_atomically(target: Path, data: bytes) -> None:
    """Replace ``target`` by ``data`` whole or not at all: a reader sees the old file or the new."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{_HIDDEN_PREFIX}{secrets.token_hex(4)}-{target.name}")
    try:
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def remove_file(target: Path) -> None:
    target.unlink(missing_ok=True)


@contextlib.contextmanager
def staged_copy(folder: Path, changes: Mapping[str, bytes | None]) -> Iterator[Path]:
    """A hidden copy of ``folder`` with ``changes`` applied (relative path: new bytes, or None to
    delete), removed afterwards. Unchanged files are hard links, so the copy costs no space; a
    changed one is unlinked before it is written, so the original is never written through."""
    staging = folder / f"{_HIDDEN_PREFIX}{secrets.token_hex(6)}"
    try:
        for file in visible_files(folder):
            copy = staging / file.relative_to(folder)
            copy.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(file, copy)
            except OSError:  # a file system without hard links
                shutil.copy2(file, copy)
        for relative, data in changes.items():
            copy = staging / relative
            copy.unlink(missing_ok=True)
            if data is not None:
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(data)
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
