"""Procedures for foreign parties, kept out of the way of questions that involve none.

The portal lists many procedures twice: once for Vietnamese citizens and once "có yếu tố nước
ngoài" (with a foreign party), with names that differ by that phrase only. Both rankers score
the twins almost equally, and the foreign one won often enough on domestic questions to cost
1–2 points of Recall@1 (``docs/retrieval.md``). A question that names no foreign person, country
or status gets a small penalty on the foreign twins; one that does, on the domestic twins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._normalize import fold

_FOREIGN_TITLE = "nuoc ngoai"

# Matched on folded text, so each cue must not also spell a common Vietnamese phrase:
# "người Lào" is not "người lao động", "người Anh" is also "an elder brother", and the Hoa and
# Thái are Vietnamese ethnic groups, so those are only recognised with an unambiguous neighbour.
_COUNTRIES = (
    "han quoc|nhat ban|trung quoc|dai loan|hong kong|hoa ky|thai lan|campuchia|singapore|malaysia"
    "|indonesia|philippines|an do|canada|australia|chau au|anh quoc|nuoc anh|nuoc phap|nuoc my|nuoc duc"
    "|nuoc nga|nuoc lao|nuoc uc"
)
_NATIONALITIES = "han|nhat|my|phap|duc|uc|nga|tay|dai loan|trung quoc|han quoc"
_FOREIGN_CUES = re.compile(
    rf"\b(nuoc ngoai|ngoai quoc|quoc tich|viet kieu|kieu bao|dinh cu|xuat khau lao dong|du hoc|{_COUNTRIES}"
    rf"|(nguoi|khach|chong|vo|ben|sang|qua) ({_NATIONALITIES})|(nguoi|ben|sang|qua) lao(?! dong))\b"
)


def is_foreign_procedure(title: str) -> bool:
    """Whether a procedure is for cases with a foreign party or abroad, by its name."""
    return _FOREIGN_TITLE in fold(title).lower()


def has_foreign_twin(titles: Sequence[str]) -> list[bool]:
    """For each title, whether it is a domestic procedure whose foreign twin is also listed: the
    twin's name is this one followed by a foreign qualifier ("… có yếu tố nước ngoài")."""
    folded = [fold(title).lower() for title in titles]
    foreign = [name for name in folded if _FOREIGN_TITLE in name]
    return [
        _FOREIGN_TITLE not in name
        and any(other.startswith(name) and _FOREIGN_TITLE in other[len(name) :] for other in foreign)
        for name in folded
    ]


def mentions_foreign(text: str) -> bool:
    """Whether a message names a foreign person, country or status (Việt kiều, quốc tịch, ...)."""
    return _FOREIGN_CUES.search(fold(text)) is not None
