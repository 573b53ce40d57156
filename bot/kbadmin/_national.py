"""Installing a portal export as the national layer: ``wardbot kb import-portal --national`` and the
console's upload both end here, after they have checked the file."""

from __future__ import annotations

import gzip
import lzma
import os
import shutil
from pathlib import Path
from typing import BinaryIO


def install_national_layer(source: Path, target: Path) -> None:
    """Write the portal JSONL ``source`` (plain, ``.gz`` or ``.xz``) to ``target`` as xz, whole or
    not at all: a reader never sees half a file. Check it before; this only copies."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if source.name.endswith(".xz"):
        shutil.copyfile(source, partial)  # already what the target holds: compressing again would nest it
    else:
        with _open_plain(source) as plain, lzma.open(partial, "wb", preset=9) as out:
            shutil.copyfileobj(plain, out, 1 << 20)
    os.replace(partial, target)


def _open_plain(source: Path) -> BinaryIO:
    return gzip.open(source, "rb") if source.name.endswith(".gz") else source.open("rb")  # type: ignore[return-value]
