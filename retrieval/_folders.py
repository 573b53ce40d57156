"""Model folders written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def built_in_place(out_dir: Path) -> Iterator[Path]:
    """A staging folder beside ``out_dir`` to write into; when the block ends without an error it
    replaces ``out_dir`` (readable by all: the model is not secret), else it is removed. A crash
    never leaves a half-written folder under the final name."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".building", dir=out_dir.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)  # mkdtemp makes it private
        if out_dir.exists():
            # os.replace cannot overwrite a non-empty directory: move the old one aside first.
            retired = staging.with_name(staging.name + ".old")
            os.replace(out_dir, retired)
            shutil.rmtree(retired, ignore_errors=True)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
