"""A tiny valid knowledge base on disk: two procedures and one FAQ as Markdown entries."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

TINY_PROCEDURE = """\
---
kind: procedure
code: '{code}'
name: {name}
portal_url: https://dichvucong.gov.vn/p/{code}
methods:
- channel: in_person
---
## Trình tự thực hiện
1. Nộp hồ sơ.
"""

TINY_FAQ = """\
---
kind: faq
id: vneid
question: Làm thế nào để có tài khoản định danh điện tử mức độ 2?
legal_basis:
- number: 69/2024/NĐ-CP
  name: Nghị định quy định về định danh và xác thực điện tử
---
Đến Công an phường.
"""


def write_tiny_kb(root: Path) -> Path:
    """Two procedures and one FAQ as Markdown entries under ``root``."""
    for code, name in (("1.001193", "Thủ tục đăng ký khai sinh"), ("1.000894", "Thủ tục đăng ký kết hôn")):
        path = root / "procedures" / f"{code}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TINY_PROCEDURE.format(code=code, name=name), encoding="utf-8")
    (root / "faq").mkdir(parents=True, exist_ok=True)
    (root / "faq" / "vneid.md").write_text(TINY_FAQ, encoding="utf-8")
    return root


def zip_of(files: dict[str, str]) -> bytes:
    """A zip archive of ``files`` (name inside the archive: text), as an admin would upload it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: compared before and after a refused change."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
