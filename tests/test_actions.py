"""Follow-up procedures and the reasons a question gives for one."""

from __future__ import annotations

import pytest

from retrieval._actions import FollowUpPrior, asks_for_any, follow_up_actions


@pytest.mark.parametrize(
    ("title", "actions"),
    [
        ("Cấp giấy phép lái xe", set()),
        ("Cấp lại giấy phép lái xe", {"cấp lại"}),
        ("Đổi giấy phép lái xe", {"đổi"}),
        ("Thu hồi chứng nhận đăng ký xe, biển số xe", {"thu hồi"}),
        ("Xóa đăng ký tàu cá, tàu phục vụ nuôi trồng thủy sản", {"xóa"}),
        ("Thủ tục đăng ký lại kết hôn", {"đăng ký lại"}),
        ("Thủ tục đăng ký kết hôn lưu động", {"lưu động"}),
        ("Mở khóa căn cước điện tử (thực hiện tại cấp tỉnh)", {"mở khóa"}),
        ("Cấp lại, đổi, điều chỉnh thông tin trên sổ BHXH, thẻ BHYT", {"cấp lại", "đổi", "điều chỉnh"}),
        # A name that also lists the first action serves first-time questions too.
        ("Đăng ký, đăng ký lại, điều chỉnh đóng BHXH tự nguyện; cấp sổ BHXH", set()),
        ("Cấp, cấp lại Giấy chứng nhận đủ điều kiện", set()),
        # Words that only look like actions further into a name are not read as one.
        ("Xác nhận tiếp tục sử dụng đất nông nghiệp", set()),
        ("Thủ tục đăng ký khai sinh", set()),
    ],
)
def test_reads_the_follow_up_actions_from_a_name(title, actions):
    assert follow_up_actions(title) == actions


@pytest.mark.parametrize(
    ("question", "actions", "asked"),
    [
        ("thi đậu bằng lái xe máy rồi, bao giờ được cấp bằng", {"cấp lại"}, False),  # "lái" is not "lại"
        ("bằng lái bị mất thì làm lại ở đâu", {"cấp lại"}, True),
        ("giấy kết hôn thất lạc, xã không còn sổ", {"đăng ký lại"}, True),
        ("bằng lái hết hạn rồi", {"đổi"}, True),
        ("thông tin trên thẻ bảo hiểm y tế bị sai tên", {"cấp lại", "đổi", "điều chỉnh"}, True),
        ("đăng ký xe máy mới mua", {"thu hồi"}, False),
        ("bán xe rồi thì làm gì với biển số", {"xóa"}, True),
        ("ông nội nằm liệt giường, cán bộ đến nhà đăng ký được không", {"lưu động"}, True),
        ("đăng ký kết hôn ở đâu", {"lưu động"}, False),
    ],
)
def test_a_question_asks_for_a_follow_up_only_with_a_reason(question, actions, asked):
    assert asks_for_any(question, frozenset(actions)) is asked


def test_the_prior_lists_the_unasked_follow_ups():
    prior = FollowUpPrior(["Cấp giấy phép lái xe", "Cấp lại giấy phép lái xe", "Đổi giấy phép lái xe"])
    assert prior.unasked("thi đậu bằng lái rồi, bao giờ được cấp bằng") == [1, 2]
    assert prior.unasked("Bằng lái bị MẤT") == [2]  # case and marks as typed
    assert prior.unasked("bằng lái hết hạn, bị mất luôn") == []
