"""The web chat's photos: checked by their content, re-encoded without their metadata and stored
in the uploads folder under their SHA-256; the attachment ``web-photo:<sha256>.jpg`` names one.

A photo is checked by its content, never its name or type: it must decode as JPEG, PNG, WebP or
GIF within the pixel limit, and it is re-encoded as a JPEG without its metadata (EXIF, GPS).
:func:`stored_photo` turns an attachment back into the file for the officials' tools and the
privacy purge.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import uuid
from pathlib import Path

from wardbot_errors import WardbotError

log = logging.getLogger(__name__)

# Photos: the folder under the data directory, the identifier a message carries, the limits.
UPLOADS_DIR = "uploads"
PHOTO_PREFIX = "web-photo:"
_PHOTO_ID = re.compile(r"web-photo:([0-9a-f]{64})\.jpg")
MAX_PHOTO_PIXELS = 80_000_000  # larger is refused before decoding (under Pillow's own bomb limit)
PHOTO_SIDE = 2048  # the stored photo's longest side, in pixels
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


class PhotoRejected(WardbotError):
    """An upload that is no photo we take; ``code`` keys its message in ``WEB_ERRORS``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def reencode_photo(raw: bytes, *, max_pixels: int = MAX_PHOTO_PIXELS, side: int = PHOTO_SIDE) -> bytes:
    """The photo in ``raw`` as a fresh JPEG: decoded whatever its name or declared type, turned
    upright by its EXIF orientation, at most ``side`` pixels on its longest side, without any of
    its metadata. Raises :class:`PhotoRejected` ("not_image", "photo_too_large")."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(raw), formats=PHOTO_FORMATS) as image:
            if image.width * image.height > max_pixels:
                raise PhotoRejected("photo_too_large")
            image.draft("RGB", (side, side))  # JPEG: decode at a smaller scale when that suffices
            image.load()
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((side, side))
            if upright.mode in ("RGBA", "LA", "P", "PA"):
                # Transparency over white, as the page shows it.
                upright = upright.convert("RGBA")
                flat = Image.new("RGB", upright.size, "white")
                flat.paste(upright, mask=upright.getchannel("A"))
                upright = flat
            out = io.BytesIO()
            upright.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
            return out.getvalue()
    except Image.DecompressionBombError as error:
        raise PhotoRejected("photo_too_large") from error
    except (OSError, ValueError, SyntaxError) as error:
        # UnidentifiedImageError (an OSError): not an image; a truncated or corrupt one likewise.
        log.info("refused an uploaded photo: %s", error)
        raise PhotoRejected("not_image") from error


def store_photo(folder: Path, photo: bytes) -> str:
    """Write ``photo`` (re-encoded) to ``folder`` under its SHA-256, once; the attachment that
    names it. The same photo sent twice (a retried upload) is one file."""
    digest = hashlib.sha256(photo).hexdigest()
    path = folder / f"{digest}.jpg"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{digest}.{uuid.uuid4().hex}.part"
        partial.write_bytes(photo)
        os.replace(partial, path)  # never a half-written file under the final name
    return f"{PHOTO_PREFIX}{digest}.jpg"


def stored_photo(folder: Path, attachment: str) -> Path | None:
    """The file in ``folder`` that a web photo ``attachment`` names; None for another channel's
    attachment (a Telegram file id, a Zalo URL) or anything else."""
    match = _PHOTO_ID.fullmatch(attachment)
    return folder / f"{match[1]}.jpg" if match else None
