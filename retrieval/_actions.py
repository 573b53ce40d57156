"""Follow-up procedures (cấp lại, cấp đổi, thu hồi, xóa, gia hạn, lưu động, ...), kept out of the
way of questions that ask for none of them.

The portal lists most documents as a family: the first issue ("Cấp giấy phép lái xe") and its
follow-ups ("Cấp lại …", "Đổi …", "Thu hồi …"), or a service and its mobile form ("Đăng ký kết
hôn lưu động"). Names in a family differ by the action only, so both rankers score them almost
equally, and a follow-up often outranked the first issue for "thi đậu bằng lái rồi, bao giờ được
cấp bằng". A follow-up is what a citizen asks for when something happened to the paper: lost,
damaged, wrong, expired, no longer needed; or, for the mobile form, when they cannot travel. A
question that says none of that gets a small penalty on the follow-ups (``docs/retrieval.md``).

Cues are matched on the restored text (with diacritics), where "bằng lái" is not "cấp lại", and
are generous: a cue only lifts the penalty, so a word with two senses ("mất": lost, or died)
costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ._normalize import nfc

_DAMAGED = (
    "hỏng", "rách", "cháy", "nát", "hư", "gãy", "vỡ", "cong", "ướt", "nhàu", "bong", "phai", "bạc màu",
    "trầy", "xước", "mờ", "nhòe", "không đọc được", "bị lỗi",
)  # fmt: skip
_LOST = (
    *_DAMAGED, "lại", "mất", "thất lạc", "đánh rơi", "rơi", "bỏ quên", "bị trộm", "bị móc", "bị cướp",
    "không còn", "không tìm thấy",
)  # fmt: skip
_CHANGED = (
    *_DAMAGED, "đổi", "hết hạn", "quá hạn", "sai", "nhầm", "không đúng", "khác với", "thay đổi", "cũ",
    "sửa", "cập nhật", "điều chỉnh", "chuyển", "sáp nhập",
)  # fmt: skip
# A follow-up action, as a name starts with it, and what a question says when it needs one.
_FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "cấp lại": _LOST,
    "đăng ký lại": _LOST,
    "cấp đổi": _CHANGED,
    "đổi": _CHANGED,
    "điều chỉnh": _CHANGED,
    "gia hạn": ("gia hạn", "hết hạn", "quá hạn", "sắp hết", "kéo dài", "thêm thời gian"),
    "thu hồi": ("thu hồi", "bị thu", "nộp lại", "trả lại", "hủy", "tước"),
    "hủy": ("hủy",),
    "xóa": (
        "xóa", "hủy", "bán", "thanh lý", "phá dỡ", "chết", "mất", "qua đời", "từ trần", "không dùng",
        "chuyển đi", "không còn ở", "không ở", "định cư", "giải thể", "chấm dứt", "ra khỏi", "cắt",
    ),  # fmt: skip
    "mở khóa": ("mở", "bị khóa"),
    "khóa": ("khóa", "bị hack", "đăng nhập trộm", "bị lộ", "mất điện thoại"),
}
# A follow-up named anywhere in a name, not as its first action.
_MOBILE = "lưu động"
_FOLLOW_UP_ANYWHERE: dict[str, tuple[str, ...]] = {
    _MOBILE: (
        "lưu động", "tại nhà", "đến nhà", "tận nhà", "ốm", "bệnh nặng", "nằm viện", "liệt", "không đi",
        "già yếu", "cao tuổi", "khuyết tật", "vùng sâu", "vùng xa",
    ),  # fmt: skip
}
# First actions: a name listing one of them with its follow-ups ("Đăng ký, đăng ký lại, điều
# chỉnh đóng BHXH tự nguyện") serves first-time questions too.
_FIRST_ACTIONS = ("cấp mới", "cấp", "đăng ký", "công nhận", "xác nhận")
_ACTIONS = sorted((*_FOLLOW_UPS, *_FIRST_ACTIONS), key=len, reverse=True)
_LEADING_ACTION = re.compile(r"(" + "|".join(map(re.escape, _ACTIONS)) + r")(?=[ ,;])( *[,;])?\s*")
_CUES = {
    action: re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, cues)) + r")(?!\w)")
    for action, cues in (*_FOLLOW_UPS.items(), *_FOLLOW_UP_ANYWHERE.items())
}


def follow_up_actions(title: str) -> frozenset[str]:
    """The follow-up actions a procedure is for, read from its name; empty for a first issue
    or any other procedure."""
    name = nfc(title).lower()
    rest = name.removeprefix("thủ tục ")
    leading: list[str] = []
    # A list of actions is comma-separated ("Cấp lại, đổi, điều chỉnh …"); without a comma the
    # next words are the object, even when they spell an action ("Xóa đăng ký thường trú").
    while match := _LEADING_ACTION.match(rest):
        leading.append(match.group(1))
        rest = rest[match.end() :]
        if match.group(2) is None:
            break
    actions = set() if any(action in _FIRST_ACTIONS for action in leading) else set(leading)
    actions.update(action for action in _FOLLOW_UP_ANYWHERE if action in name)
    return frozenset(actions)


def asks_for_any(text: str, actions: frozenset[str]) -> bool:
    """Whether a (restored, lowercase) question gives a reason for one of ``actions``."""
    return any(_CUES[action].search(text) for action in actions)


class FollowUpPrior:
    """Which documents are follow-ups, grouped by their actions, to penalise per question."""

    def __init__(self, titles: Sequence[str]) -> None:
        groups: dict[frozenset[str], list[int]] = {}
        for position, title in enumerate(titles):
            actions = follow_up_actions(title)
            if actions:
                groups.setdefault(actions, []).append(position)
        self._groups = list(groups.items())

    def unasked(self, text: str) -> list[int]:
        """Positions of the follow-ups the question gives no reason for."""
        text = nfc(text).lower()
        return [position for actions, positions in self._groups if not asks_for_any(text, actions) for position in positions]
