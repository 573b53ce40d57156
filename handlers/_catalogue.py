"""Every Vietnamese word the bot shows, in one place, so officials can review the wording: what it
says to citizens (on every channel, the web chat page's own words included) and what it shows
officials (their Telegram group, ``wardbot tickets``, ``wardbot report``, ``wardbot chat``).

Vietnamese with full diacritics; the citizen is "anh/chị" and the bot "tôi"; plain words before
official terms. Placeholders are ``str.format`` fields named for what fills them: ``{ward_name}``
and ``{ward_contact}`` come from the ward's configuration, those of the officials' texts and the
report from tickets and figures, everything else from the knowledge base. Nothing here states a
fact that is not either general law named in the text or read from the knowledge base at run time.
"""

from __future__ import annotations

from knowledge import Channel

# --- greeting, help and menu ----------------------------------------------------------------------

GREETING = (
    "Xin chào anh/chị! Tôi là trợ lý ảo của {ward_name}.\n"
    "Tôi có thể giúp anh/chị:\n"
    "• tra cứu thủ tục hành chính: cần giấy tờ gì, lệ phí, thời gian, nộp ở đâu, nộp trực tuyến;\n"
    "• trả lời câu hỏi thường gặp về cải cách hành chính (tài khoản định danh điện tử VNeID, "
    "đường dây nóng 1022, thanh toán trực tuyến…);\n"
    "• ghi nhận phản ánh, kiến nghị để chuyển tới cán bộ.\n"
    "Anh/chị cứ gõ câu hỏi, ví dụ: «Đăng ký tạm trú cần giấy tờ gì?», hoặc chọn một mục bên dưới."
)
HELP = (
    "Cách dùng trợ lý ảo của {ward_name}:\n"
    "• Gõ câu hỏi bằng tiếng Việt, có dấu hay không dấu đều được, ví dụ: «làm giấy khai sinh cho con cần gì».\n"
    "• Sau khi xem một thủ tục, anh/chị hỏi tiếp ngắn gọn: «lệ phí bao nhiêu?», «mất bao lâu?», "
    "«nộp online được không?», «cần mang gì?», «nộp ở đâu?», «căn cứ pháp lý?».\n"
    "• Nếu không thấy nút bấm, anh/chị gõ số thứ tự của lựa chọn (ví dụ: 2).\n"
    "• Bấm 👍 hoặc 👎 để cho biết câu trả lời có giúp được anh/chị không.\n"
    "• Gõ /start để xem danh mục, /reset để bắt đầu lại.\n"
    "Thông tin chỉ để tham khảo, lấy từ Cổng Dịch vụ công quốc gia và {ward_name}; kết quả chính thức "
    "do cơ quan giải quyết. Xin anh/chị đừng gửi số căn cước hay ảnh giấy tờ tùy thân qua đây."
)
MENU_PROCEDURES_BUTTON = "📋 Hỏi về thủ tục"
MENU_FAQ_BUTTON = "❓ Câu hỏi thường gặp"
MENU_FEEDBACK_BUTTON = "📢 Gửi phản ánh, kiến nghị"
MENU_CONTACT_BUTTON = "☎️ Liên hệ"
MENU_HELP_BUTTON = "ℹ️ Cách dùng"
MENU_PROCEDURES = (
    "Anh/chị gõ việc cần làm hoặc tên thủ tục, ví dụ: «đăng ký khai sinh», «làm lại căn cước», "
    "«xác nhận tình trạng hôn nhân». Tôi sẽ cho biết giấy tờ cần mang, lệ phí, thời gian và nơi nộp."
)
MENU_FAQ = "Một số câu hỏi thường gặp, anh/chị chọn một câu:"
MENU_FAQ_EMPTY = "Hiện chưa có câu hỏi thường gặp nào. Anh/chị cứ gõ câu hỏi, tôi sẽ tìm giúp."

# --- small conversation ----------------------------------------------------------------------------

THANKS = "Dạ, không có gì ạ. Anh/chị cần hỏi thêm cứ nhắn cho tôi."
RESET_DONE = "Tôi đã xóa nội dung trò chuyện trước. Anh/chị muốn hỏi gì ạ?"
SMALL_TALK = (
    "Tôi là trợ lý ảo của {ward_name}, chỉ giúp được về thủ tục hành chính, câu hỏi về cải cách "
    "hành chính và phản ánh, kiến nghị. Anh/chị gõ /help để xem cách dùng."
)
LEGAL = (
    "Câu hỏi của anh/chị là về việc áp dụng pháp luật (đúng hay sai, mức xử phạt, tranh chấp). "
    "Tôi chỉ hướng dẫn thủ tục hành chính, không đưa ra ý kiến tư vấn pháp lý.\n"
    "Anh/chị có thể chọn «📨 Gửi câu hỏi cho cán bộ» để chuyển câu hỏi tới cán bộ {ward_name}, hoặc liên hệ: "
    "{ward_contact}."
)
LEGAL_RELATED = "Thủ tục có thể liên quan: {name}."
LEGAL_RELATED_BUTTON = "📄 Xem thủ tục này"
CONTACT = (
    "Liên hệ chính thức của {ward_name}: {ward_contact}.\n"
    "Tôi không cung cấp số điện thoại hay Zalo cá nhân của cán bộ."
)
NON_TEXT = "Hiện tôi chỉ đọc được tin nhắn chữ. Anh/chị vui lòng gõ câu hỏi hoặc mô tả sự việc bằng chữ."
# Said before the answer to a message the channel cut to its length limit.
TEXT_TRUNCATED = (
    "Tin nhắn của anh/chị dài quá nên tôi chỉ đọc được {limit} ký tự đầu. Nếu phần sau còn nội dung "
    "cần thiết, anh/chị vui lòng viết ngắn gọn hơn hoặc chia thành nhiều tin nhắn."
)
EXPIRED = (
    "Lựa chọn này không còn dùng được (thông tin có thể vừa được cập nhật). "
    "Anh/chị vui lòng gõ lại câu hỏi."
)
# Sent by the application, not the handlers, when answering a message failed.
ERROR_APOLOGY = (
    "Xin lỗi anh/chị, hệ thống đang gặp sự cố nên chưa trả lời được tin nhắn này. "
    "Anh/chị vui lòng thử lại sau ít phút, hoặc liên hệ {ward_name}: {ward_contact}."
)
ASK_WHICH_PROCEDURE = (
    "Anh/chị đang hỏi về thủ tục nào ạ? Anh/chị gõ kèm tên thủ tục, ví dụ: «lệ phí đăng ký kết hôn»."
)

# --- answers, clarification, abstention -----------------------------------------------------------

CLARIFY = "Ý anh/chị là nội dung nào dưới đây ạ?"
# Two choices that would read the same: the level that handles each, else its code.
CHOICE_LEVELS = "{label} ({levels})"
CHOICE_CODE = "{label} (mã {code})"
# The closest entries are all unlikely answers: no menu of unrelated procedures.
CLARIFY_UNSURE = (
    "Xin lỗi anh/chị, tôi chưa tìm được thủ tục nào đủ sát với câu hỏi này, nên không đưa ra các lựa "
    "chọn dễ gây nhầm lẫn.\n"
    "Anh/chị có thể gõ lại câu hỏi cụ thể hơn (việc cần làm, tên giấy tờ), liên hệ {ward_name}: {ward_contact}.\n"
    "Hoặc chọn «📨 Gửi câu hỏi cho cán bộ», tôi sẽ chuyển câu hỏi tới cán bộ."
)
CLARIFY_FOLLOW_UP = "Anh/chị hỏi về thủ tục nào dưới đây ạ? Anh/chị chọn một thủ tục, tôi sẽ trả lời ngay."
NONE_OF_THESE_BUTTON = "Không phải các ý trên"
NONE_OF_THESE = (
    "Anh/chị thử gõ lại câu hỏi cụ thể hơn (việc cần làm, tên giấy tờ), "
    "hoặc chọn «📨 Gửi câu hỏi cho cán bộ» để tôi chuyển câu hỏi tới cán bộ."
)
ABSTAIN = (
    "Xin lỗi anh/chị, hiện tôi chưa có thông tin để trả lời câu hỏi này.\n"
    "Anh/chị có thể liên hệ {ward_name}: {ward_contact}.\n"
    "Hoặc chọn «📨 Gửi câu hỏi cho cán bộ», tôi sẽ chuyển câu hỏi tới cán bộ."
)
SEND_BUTTON = "📨 Gửi câu hỏi cho cán bộ"
ESCALATE_ASK = "Anh/chị vui lòng gõ câu hỏi cần gửi, tôi sẽ ghi lại để chuyển tới cán bộ."

HELPFUL_BUTTON = "👍 Hữu ích"
NOT_HELPFUL_BUTTON = "👎 Chưa hữu ích"
VOTE_UP = "Cảm ơn anh/chị đã đánh giá! 👍"
VOTE_DOWN = (
    "Cảm ơn anh/chị đã cho biết, tôi sẽ ghi nhận để trả lời tốt hơn. "
    "Anh/chị có muốn gửi câu hỏi cho cán bộ không?"
)
VOTE_NOTHING = "Cảm ơn anh/chị!"

# --- feedback, complaints and denunciations ------------------------------------------------------

# Khiếu nại and tố cáo have their own procedures in law and are not feedback (NĐ 20/2008 scope).
GRIEVANCE = (
    "Khiếu nại và tố cáo được giải quyết theo thủ tục riêng do luật quy định, trợ lý ảo không tiếp nhận "
    "được ạ.\n"
    "• Khiếu nại (Luật Khiếu nại 2011): khi anh/chị cho rằng một quyết định hành chính hoặc việc làm của "
    "cơ quan, cán bộ xâm phạm quyền, lợi ích hợp pháp của mình. Lần đầu, anh/chị gửi đơn hoặc đến trình "
    "bày trực tiếp với người đã ra quyết định, hoặc với cơ quan có cán bộ đó; thời hạn là 90 ngày kể từ "
    "khi nhận được quyết định hoặc biết được việc làm đó.\n"
    "• Tố cáo (Luật Tố cáo 2018): khi anh/chị báo cho cơ quan có thẩm quyền biết hành vi vi phạm pháp "
    "luật của cơ quan, tổ chức, cá nhân. Đơn ghi rõ họ tên, địa chỉ của người tố cáo và nội dung tố cáo; "
    "thông tin người tố cáo được giữ bí mật.\n"
    "Anh/chị có thể hỏi nơi nhận đơn tại: {ward_contact} ({ward_name}).\n"
    "Nếu anh/chị chỉ muốn phản ánh, kiến nghị để cán bộ biết và xử lý, xin chọn «📢 Chỉ gửi phản ánh, "
    "kiến nghị»."
)
GRIEVANCE_AS_FEEDBACK_BUTTON = "📢 Chỉ gửi phản ánh, kiến nghị"

# --- the procedure card ----------------------------------------------------------------------------

CARD_TITLE = "📋 {name}"
CARD_CODE = "Mã thủ tục: {code}"
CARD_FIELD = "Lĩnh vực: {field}"
DOCUMENTS_HEADING = "📄 Giấy tờ cần chuẩn bị:"
DOCUMENT_GROUP = "{group}:"
DOCUMENT_LINE = "• {name}"
DOCUMENT_LINE_COUNTED = "• {name} — {count}"
DOCUMENT_NOTE = "  – {text}"
COUNT_ORIGINALS = "{n} bản chính"
COUNT_COPIES = "{n} bản sao"
MORE_ITEMS = "… và {count} mục khác (chọn «Xem thêm»)"
# Papers only some citizens need ("Trường hợp ủy quyền…"), listed after those everyone needs.
DOCUMENTS_CONDITIONAL = "Chỉ cần trong một số trường hợp:"
# A record whose every paper depends on the case (the building permit: one list per kind of building).
DOCUMENTS_CASES = "Hồ sơ khác nhau theo từng trường hợp ({count} trường hợp):"
DOCUMENT_CASE_LINE = "• {group} — {count} giấy tờ"
DOCUMENTS_CASES_HINT = "Giấy tờ của từng trường hợp: anh/chị chọn «Xem thêm» rồi «📄 Giấy tờ»."
METHODS_HEADING = "⏱ Thời gian giải quyết · 💰 Lệ phí:"
METHOD_LINE = "• {channels}: {time} · {fee}"
# What the portal's record says of a fee beyond its amount (a period, an exemption, a case).
FEE_NOTE = "  ↳ {text}"
# A way of filing listed twice with different times, told apart by the case its description names.
METHOD_CASE = "{channels} ({group})"
CHANNEL_NAMES = {Channel.ONLINE: "Trực tuyến", Channel.IN_PERSON: "Trực tiếp", Channel.POST: "Qua bưu chính"}
CHANNEL_SEPARATOR = " / "
TIME_WITHOUT_UNIT = "«{value}» (Cổng Dịch vụ công chỉ ghi con số, không ghi là ngày hay giờ)"
# A bare number whose unit the record's own text gives ("trong thời hạn 01 ngày làm việc").
TIME_INFERRED = "{value} (Cổng Dịch vụ công chỉ ghi «{number}»; đơn vị theo {source} của thủ tục)"
TIME_SOURCES = {"description": "phần mô tả cách nộp", "steps": "trình tự thực hiện", "conditions": "yêu cầu, điều kiện"}
# The portal writes "Miễn phí" in the fee cell while its note says who sets the fee: never shown as free.
FEE_PROVINCE = "mức thu do Hội đồng nhân dân cấp tỉnh quy định, Cổng Dịch vụ công không ghi số tiền"
FEE_PROVINCE_AMOUNT = "{fee} (mức cụ thể do Hội đồng nhân dân cấp tỉnh quyết định)"
FEE_UNCLEAR = "chưa rõ: Cổng Dịch vụ công ghi «Miễn phí» nhưng dẫn {text}"
FEE_UNCLEAR_AMOUNT = "chưa rõ: Cổng Dịch vụ công ghi «Miễn phí» nhưng ghi chú lại nêu mức thu"
FEE_CITED = "{text} (theo {number})"
FEE_WITH_NOTE = "{fee} (ghi chú trên Cổng Dịch vụ công: {text})"
NOT_GIVEN = "chưa có thông tin"
CURRENCY = "đồng"
WHERE_HEADING = "📍 Nơi nộp:"
# After 1/7/2025 commune-level centres accept dossiers regardless of administrative boundary within
# the province (NĐ 118/2025/NĐ-CP, in force 1/7/2025).
WHERE_WARD_CENTRE = "• Trung tâm Phục vụ hành chính công {ward_name};"
WHERE_ANY_IN_PROVINCE = (
    "• hoặc Trung tâm Phục vụ hành chính công của bất kỳ xã, phường nào trong tỉnh, thành phố "
    "(không bắt buộc nộp đúng nơi cư trú)."
)
WHERE_AGENCY = "• Cơ quan giải quyết (theo Cổng Dịch vụ công): {agency}"
WHERE_NOT_WARD = "• Thủ tục này thuộc thẩm quyền {levels}, không do xã, phường giải quyết."
WHERE_ONLINE = "• Nộp trực tuyến: trên Cổng Dịch vụ công quốc gia (liên kết «🌐 Nộp trực tuyến»)."
LEGAL_SHORT = "⚖️ Căn cứ pháp lý: {items}"
LEGAL_MORE = "và {count} văn bản khác"
LEGAL_HEADING = "⚖️ Căn cứ pháp lý:"
LEGAL_LINE = "• {label}"
LEGAL_ISSUED = "{label}, ngày {issued}"
LEGAL_NAMED = "{name} (số {number})"
SOURCE_LINE = "ℹ️ Nguồn: {source} · Cập nhật: {updated}"
SOURCE_DECISION = "{source}, công bố tại Quyết định {decision}"
SOURCE_PORTAL = "Cổng Dịch vụ công quốc gia"
UPDATED_UNKNOWN = "chưa ghi ngày"
FILE_ONLINE_BUTTON = "🌐 Nộp trực tuyến"
PORTAL_BUTTON = "🌐 Xem trên Cổng Dịch vụ công"
MORE_BUTTON = "📖 Xem thêm"
# "Xem thêm" on a procedure: the overview, then the long parts one at a time.
DETAILS_PICK = "Anh/chị muốn xem đầy đủ phần nào ạ? Xin chọn một mục:"
SECTION_DOCUMENTS_BUTTON = "📄 Giấy tờ"
SECTION_STEPS_BUTTON = "📝 Các bước"
SECTION_CONDITIONS_BUTTON = "✅ Điều kiện"
SECTION_LEGAL_BUTTON = "⚖️ Căn cứ pháp lý"
SECTION_BUTTON_COUNT = "{label} ({count})"

# --- details and follow-up sections -----------------------------------------------------------------

APPLICANTS = "👤 Ai thực hiện: {text}"
STEPS_HEADING = "📝 Các bước thực hiện:"
STEP_LINE = "{number}. {text}"
CONDITIONS_HEADING = "✅ Yêu cầu, điều kiện:"
RESULT_HEADING = "📦 Kết quả nhận được:"
METHOD_DETAIL = "• {channel}: thời gian {time}; lệ phí: {fee}"
METHOD_DESCRIPTION = "  {text}"
RAW_TEXT = "(Nguyên văn trên Cổng Dịch vụ công) {text}"
TIME_HEADING = "⏱ Thời gian giải quyết:"
TIME_LINE = "• {channels}: {time}"
FEE_HEADING = "💰 Lệ phí:"
FEE_LINE = "• {channels}: {fee}"
ONLINE_YES = "🌐 Thủ tục này nộp trực tuyến được trên Cổng Dịch vụ công quốc gia.\n• Thời gian: {time}\n• Lệ phí: {fee}"
ONLINE_NO = "Theo Cổng Dịch vụ công, thủ tục này chưa nộp trực tuyến được. Anh/chị nộp theo cách: {channels}."
SECTION_EMPTY = "Cổng Dịch vụ công chưa có thông tin về mục này."

# --- FAQ answers ---------------------------------------------------------------------------------

FAQ_TITLE = "❓ {question}"
FAQ_LEGAL = "⚖️ Căn cứ: {items}"
FAQ_SOURCE = "ℹ️ Nguồn: {source} · Cập nhật: {updated}"
FAQ_SOURCE_WARD = "{ward_name}"
ELLIPSIS = "…"

# --- the web chat (bot/channels/_web.py, web_static/) and the console (wardbot chat) ---------------

# The chat's title when none is given, and the label of the widget's button unless the ward's
# website sets data-title.
WEB_TITLE = "Hỏi đáp thủ tục hành chính"
# The page's own words: index.html shows each as {{key}}; index.js reads them from the page.
WEB_PAGE = {
    "close_label": "Đóng cửa sổ trò chuyện",
    "log_label": "Nội dung trò chuyện",
    "needs_javascript": "Trang hỏi đáp cần bật JavaScript.",
    "typing": "Đang soạn câu trả lời",
    "text_label": "Câu hỏi của anh/chị",
    "placeholder": "Nhập câu hỏi của anh/chị…",
    "send_label": "Gửi câu hỏi",
    "send": "Gửi",
    "offline": "Mất kết nối. Đang kết nối lại…",
    "send_failed": "Chưa gửi được, đang thử lại…",
    # The photo and location buttons, and what the page says about them.
    "photo_label": "Gửi ảnh",
    "photo_sent": "📷 Ảnh",
    "location_label": "Gửi vị trí của tôi",
    "location_sent": "📍 Vị trí của tôi",
    "location_failed": (
        "Không lấy được vị trí của anh/chị (trình duyệt chưa cho phép hoặc không xác định được). "
        "Anh/chị vui lòng gõ địa chỉ: số nhà, tên đường, tổ dân phố."
    ),
}
# What the page shows when the server refuses a message (keyed by the API error code).
WEB_ERRORS = {
    "empty_text": "Anh/chị vui lòng nhập câu hỏi.",
    "text_too_long": "Câu hỏi dài quá {limit} ký tự. Anh/chị vui lòng viết ngắn gọn hơn.",
    "bad_session": "Phiên trò chuyện không hợp lệ. Anh/chị vui lòng tải lại trang.",
    "bad_request": "Yêu cầu không hợp lệ. Anh/chị vui lòng tải lại trang.",
    "too_many": "Anh/chị gửi nhanh quá. Vui lòng đợi câu trả lời rồi gửi tiếp.",
    "unavailable": "Hệ thống đang tạm dừng. Anh/chị vui lòng thử lại sau ít phút.",
    "photo_too_big": "Ảnh lớn hơn {limit} MB nên chưa gửi được. Anh/chị vui lòng chọn ảnh nhỏ hơn.",
    "photo_too_large": (
        "Ảnh có độ phân giải quá lớn nên chưa gửi được. Anh/chị vui lòng chọn ảnh khác "
        "hoặc chụp lại với độ phân giải thấp hơn."
    ),
    "not_image": "Tệp này không phải là ảnh hoặc là loại ảnh chưa hỗ trợ. Anh/chị vui lòng gửi ảnh JPG hoặc PNG.",
    # A page on another website tried to post for the citizen.
    "bad_origin": (
        "Trang này không được phép gửi tin nhắn tới trợ lý ảo. "
        "Anh/chị vui lòng mở trang hỏi đáp trên trang thông tin của phường."
    ),
    "slow_down": "Anh/chị thao tác nhanh quá. Vui lòng đợi {seconds} giây rồi thử lại.",
}
# Printed once when ``wardbot chat`` starts.
CONSOLE_HINT = "Gõ câu hỏi rồi nhấn Enter; gõ số để chọn; /quit để thoát."

# --- feedback intake (a ticket) ---------------------------------------------------------------------

INTAKE_ASK_WHAT = (
    "Anh/chị vui lòng mô tả sự việc cần phản ánh, kiến nghị: chuyện gì, từ khi nào. "
    "Gõ «hủy» nếu không muốn gửi nữa."
)
INTAKE_ASK_WHERE = (
    "Sự việc xảy ra ở đâu ạ? Anh/chị gõ địa chỉ (số nhà, tên đường, tổ dân phố) "
    "hoặc gửi vị trí trên bản đồ."
)
INTAKE_ASK_PHOTO = "Anh/chị có ảnh chụp hiện trường không? Nếu có, xin gửi một ảnh; nếu không, chọn «Bỏ qua»."
INTAKE_SKIP_BUTTON = "Bỏ qua"
INTAKE_SKIP_WORDS = ("bo qua", "khong co", "khong", "skip")  # folded: what a typed skip says
INTAKE_ASK_CONSENT = (
    "Anh/chị có đồng ý để cán bộ phường liên hệ lại không? Nếu đồng ý, tôi sẽ xin số điện thoại hoặc "
    "cách liên hệ; thông tin này chỉ dùng để xử lý phản ánh. Anh/chị cũng có thể gửi ẩn danh."
)
INTAKE_CONSENT_BUTTON = "✅ Đồng ý cho liên hệ"
INTAKE_ANONYMOUS_BUTTON = "🙈 Gửi ẩn danh"
INTAKE_ASK_CONTACT = "Anh/chị vui lòng gõ số điện thoại hoặc cách liên hệ (ví dụ: email)."
INTAKE_SUMMARY = "Anh/chị kiểm tra lại phản ánh trước khi gửi:"
INTAKE_SUMMARY_TEXT = "• Nội dung: {text}"
INTAKE_SUMMARY_PLACE = "• Địa điểm: {text}"
INTAKE_SUMMARY_PHOTO = "• Ảnh: {text}"
INTAKE_SUMMARY_CONTACT = "• Liên hệ: {text}"
INTAKE_LOCATION = "vị trí đã gửi ({value})"
INTAKE_PHOTO_YES = "có 1 ảnh"
INTAKE_PHOTO_NO = "không có"
INTAKE_ANONYMOUS = "ẩn danh"
INTAKE_CONFIRM_BUTTON = "✅ Xác nhận"
INTAKE_EDIT_BUTTON = "✏️ Sửa"
INTAKE_CANCEL_BUTTON = "❌ Hủy"
INTAKE_EDIT_WHICH = "Anh/chị muốn sửa phần nào ạ?"
INTAKE_EDIT_WHAT_BUTTON = "Nội dung"
INTAKE_EDIT_WHERE_BUTTON = "Địa điểm"
INTAKE_EDIT_PHOTO_BUTTON = "Ảnh"
INTAKE_EDIT_CONTACT_BUTTON = "Liên hệ"
INTAKE_CANCELLED = "Tôi đã hủy phản ánh này, chưa có gì được gửi đi. Anh/chị cần gì cứ nhắn cho tôi."
INTAKE_TEXT_NEEDED = "Tôi chưa nhận được nội dung. Anh/chị vui lòng gõ bằng chữ ạ."
# Said before the photo question when the report itself gave the address ("ổ gà ở ngõ 12 Lê Lợi").
INTAKE_PLACE_NOTED = "Tôi đã ghi nhận địa điểm: {text}. Nếu chưa đúng, anh/chị có thể sửa ở bước cuối."
# What officials read of a report's place and photo: the group's announcement, wardbot tickets show.
OFFICIALS_MAP = "• Bản đồ: {url}"
OFFICIALS_PHOTO_LINK = "• Ảnh: {url}"
OFFICIALS_PHOTO_STORED = "• Ảnh: có 1 ảnh (gửi kèm ở trên; tệp gốc: «wardbot tickets show {code}» trên máy chủ)"
OFFICIALS_PHOTO_ATTACHED = "• Ảnh: có 1 ảnh, người dân gửi qua {channel}"
TICKET_FILED = (
    "Cảm ơn anh/chị. {ward_name} đã tiếp nhận phản ánh, kiến nghị của anh/chị.\n"
    "• Mã phản ánh: {code}\n"
    "• Hạn trả lời: {time}\n"
    "• Mã tra cứu: {value} (xin anh/chị giữ lại để xem từ nơi khác)\n"
    "Để theo dõi, anh/chị nhắn: «tra cứu {code}». Cán bộ trả lời thì tôi sẽ gửi vào đây.\n"
    "Việc khẩn cấp xin gọi ngay: 113 (công an), 114 (cứu hỏa, cứu nạn), 115 (cấp cứu)."
)
QUESTION_FILED = (
    "Tôi đã chuyển câu hỏi của anh/chị tới cán bộ {ward_name}:\n«{question}»\n"
    "• Mã câu hỏi: {code}\n"
    "• Hạn trả lời: {time}\n"
    "• Mã tra cứu: {value}\n"
    "Để theo dõi, anh/chị nhắn: «tra cứu {code}». Cán bộ trả lời thì tôi sẽ gửi vào đây."
)
# A moment in the ward's time (a strftime format), e.g. "17h00 ngày 06/03/2026".
DATE_TIME = "%Hh%M ngày %d/%m/%Y"

# --- looking a ticket up ---------------------------------------------------------------------------

LOOKUP_RESULT = "Phản ánh, câu hỏi {code}:\n• Tình trạng: {label}\n• Hạn trả lời: {time}"
LOOKUP_PAUSED = "• Đang chờ anh/chị bổ sung thông tin, thời hạn tạm dừng tính."
# An official's request for more information (the web console's or the CLI's "ask the citizen"):
# sent on the citizen's channel; their next message is attached to the ticket.
TICKET_INFO_REQUEST = (
    "Cán bộ {ward_name} cần anh/chị bổ sung thông tin cho phản ánh, câu hỏi {code}:\n{question}\n"
    "Anh/chị vui lòng trả lời ngay trong cuộc trò chuyện này. Thời hạn xử lý tạm dừng tính cho tới khi "
    "nhận được thông tin bổ sung."
)
TICKET_SUPPLEMENT_RECEIVED = (
    "Cảm ơn anh/chị. {ward_name} đã nhận thông tin bổ sung cho {code} và tiếp tục xử lý; "
    "để theo dõi, anh/chị nhắn: «tra cứu {code}»."
)
LOOKUP_ANSWER = "• Trả lời của cán bộ:\n{text}"
TICKET_STATUSES = {
    "new": "đã tiếp nhận, đang chờ phân công cán bộ",
    "assigned": "cán bộ đang xử lý",
    "answered": "đã có trả lời",
    "closed": "đã hoàn thành",
    "reopened": "đang được xem xét lại",
}
LOOKUP_REFUSED = (
    "Tôi không tìm thấy phản ánh nào với mã này mà anh/chị được xem. Nếu anh/chị gửi từ máy hoặc tài "
    "khoản khác, xin nhắn kèm mã tra cứu, ví dụ: «tra cứu PA-2026-000123 ABCD2345»."
)
# A chat that tried too many lookup codes for tickets it did not file.
LOOKUP_TOO_MANY = (
    "Anh/chị đã thử mã tra cứu nhiều lần liên tiếp. Vui lòng thử lại sau khoảng {minutes} phút, "
    "hoặc liên hệ {ward_contact} ({ward_name})."
)

# --- SIPAS rating after a ticket is closed (Bộ Nội vụ's satisfaction index, five factors) -----------

RATE_INTRO = (
    "Phản ánh, câu hỏi {code} đã được giải quyết xong. Anh/chị vui lòng dành ít giây đánh giá "
    "sự phục vụ của {ward_name} (1 = rất không hài lòng, 5 = rất hài lòng), hoặc chọn «Bỏ qua»."
)
# One question per SIPAS factor, in the order of tickets.SIPAS_FACTORS.
RATE_QUESTIONS = {
    "access": "1/5. Việc tiếp cận dịch vụ (gửi phản ánh, liên hệ với phường) có thuận tiện không?",
    "procedure": "2/5. Thủ tục, cách thức xử lý có đơn giản, rõ ràng không?",
    "official": "3/5. Cán bộ xử lý có tận tình, đúng mực không?",
    "result": "4/5. Kết quả giải quyết có đúng hẹn và đáp ứng yêu cầu của anh/chị không?",
    "feedback": "5/5. Việc tiếp nhận và phản hồi ý kiến của anh/chị có tốt không?",
}
RATE_SKIP_BUTTON = "Bỏ qua"
RATE_THANKS = "Cảm ơn anh/chị đã đánh giá! Ý kiến của anh/chị giúp {ward_name} phục vụ tốt hơn."

# --- erasing the citizen's data on request («xóa dữ liệu của tôi») ---------------------------------

ERASE_ASK = (
    "Anh/chị muốn xóa dữ liệu của mình mà trợ lý ảo đang lưu trên kênh này. Nếu đồng ý, tôi sẽ xóa:\n"
    "• nội dung các tin nhắn anh/chị đã gửi và các câu trả lời của tôi;\n"
    "• nội dung trò chuyện đang dở, kể cả phản ánh chưa gửi;\n"
    "• các câu hỏi đang chờ chuyển tới cán bộ và ảnh anh/chị đã gửi;\n"
    "• họ tên, số điện thoại, địa chỉ, vị trí và ảnh trong các phản ánh, câu hỏi anh/chị đã gửi cán bộ.\n"
    "{ward_name} vẫn lưu hồ sơ xử lý các phản ánh, câu hỏi đó (mã, nội dung, ngày, kết quả) theo quy định "
    "về lưu trữ, nhưng không còn gắn với anh/chị. Trả lời của cán bộ cho việc đang xử lý sẽ không gửi vào "
    "đây được nữa: anh/chị tra cứu bằng mã phản ánh và mã tra cứu. Lượt đánh giá 👍/👎 và số liệu thống kê "
    "(số tin nhắn, thời gian trả lời) chỉ còn được đếm chung, không gắn với anh/chị.\n"
    "Việc xóa không thể hoàn tác. Anh/chị có chắc chắn muốn xóa không?"
)
ERASE_CONFIRM_BUTTON = "🗑 Xóa dữ liệu của tôi"
ERASE_KEEP_BUTTON = "Không xóa"
ERASE_KEPT = "Tôi chưa xóa gì. Anh/chị cần gì cứ nhắn cho tôi."
ERASE_UNAVAILABLE = (
    "Hiện tôi chưa xóa được dữ liệu tại đây. Anh/chị vui lòng liên hệ {ward_name}: {ward_contact} "
    "để yêu cầu xóa."
)
# The receipt: its lines, in order; the tickets' line only when the citizen had filed some.
ERASE_DONE = "Tôi đã xóa dữ liệu của anh/chị trên kênh này.\n• Mã biên nhận: {code}\n• Thời điểm: {time}"
ERASE_DONE_MESSAGES = (
    "• Đã xóa nội dung {messages} tin nhắn của anh/chị, {replies} câu trả lời của tôi, nội dung trò chuyện, "
    "{unanswered} câu hỏi chờ chuyển cán bộ và {photos} ảnh."
)
ERASE_DONE_VOTES = "• {votes} lượt đánh giá 👍/👎 không còn gắn với anh/chị."
ERASE_DONE_TICKETS = (
    "• Đã xóa họ tên, số điện thoại, địa chỉ, vị trí và ảnh trong: {codes}. {ward_name} vẫn lưu hồ sơ xử lý, "
    "không còn gắn với anh/chị."
)
ERASE_DONE_KEEP = "Anh/chị vui lòng giữ mã biên nhận để đối chiếu khi cần."

# --- officials' group and what officials send citizens ----------------------------------------------
# Officials are addressed plainly; these texts go to the ward's own Telegram group.

CATEGORY_LABELS = {"feedback": "Phản ánh, kiến nghị", "question": "Câu hỏi chuyển cán bộ"}
# Short forms for table columns (``wardbot tickets``, ``wardbot report``), where the phrases of
# CATEGORY_LABELS and TICKET_STATUSES would make a line too wide for a terminal.
CATEGORY_SHORT = {"feedback": "phản ánh", "question": "câu hỏi"}
TICKET_STATUS_SHORT = {
    "new": "mới",
    "assigned": "đang xử lý",
    "answered": "đã trả lời",
    "closed": "đã đóng",
    "reopened": "mở lại",
}
TICKET_PAUSED_SHORT = "{label} (tạm dừng)"
OFFICIALS_NEW_TICKET = "🆕 {code} · {category}\n{summary}\n• Hạn trả lời: {time}\n• Địa điểm: {place}"
OFFICIALS_NO_PLACE = "không có"
OFFICIALS_LOCATION = "vị trí {latitude:.5f}, {longitude:.5f}"
OFFICIALS_CLAIM_BUTTON = "🙋 Nhận xử lý"
OFFICIALS_HELP = (
    "Lệnh xử lý phản ánh, câu hỏi:\n"
    "/tickets — các phiếu chưa đóng và hạn trả lời\n"
    "/claim MÃ — nhận xử lý\n"
    "/reply MÃ nội dung — trả lời người dân\n"
    "/close MÃ — đóng phiếu đã trả lời\n"
    "/reopen MÃ [lý do] — mở lại phiếu\n"
    "/apology MÃ YYYY-MM-DD lý do — gửi phiếu xin lỗi và hẹn lại ngày trả kết quả"
)
OFFICIALS_NOT_MEMBER = "Anh/chị chưa có trong danh sách cán bộ được xử lý phản ánh trên nhóm này."
OFFICIALS_NO_TICKETS = "Không có phiếu nào đang mở."
OFFICIALS_TICKETS_HEADING = "Các phiếu chưa đóng ({count}):"
OFFICIALS_TICKET_LINE = "• {code} · {label} · hạn {time}{assignee}{late}"
OFFICIALS_ASSIGNEE = " · {name}"
OFFICIALS_LATE = " · ⚠️ quá hạn"
OFFICIALS_NOT_FOUND = "Không có phiếu {code}."
OFFICIALS_CLAIMED = "✅ {code}: {name} đã nhận xử lý."
OFFICIALS_REPLY_SENT = "✅ {code}: đã gửi trả lời tới người dân."
OFFICIALS_DELIVERY_FAILED = (
    "❗ {code}: không gửi được tin tới người dân ({error}). Xin liên hệ người dân bằng cách khác."
)
OFFICIALS_CLOSED = "✅ {code}: đã đóng phiếu và mời người dân đánh giá."
OFFICIALS_REOPENED = "↩️ {code}: đã mở lại phiếu."
# The one conflict message, on every front end (the group, `wardbot tickets`, the web console).
OFFICIALS_CONFLICT = (
    "⚠️ {code} vừa được người khác thay đổi (nay: {label}{assignee}). Anh/chị xem lại phiếu rồi thử lại."
)
OFFICIALS_REFUSED = "⚠️ {code} đang ở tình trạng «{label}», không {action} được."
OFFICIALS_ACTIONS = {
    "claim": "nhận xử lý",
    "reply": "trả lời",
    "close": "đóng phiếu",
    "reopen": "mở lại",
    "apology": "gửi phiếu xin lỗi",
    # the console's own names of the same and further actions (OfficialActions' methods)
    "answer": "trả lời",
    "ask_info": "đề nghị bổ sung thông tin",
    "resume": "tiếp tục tính thời hạn",
    "reassign": "giao lại",
    "draft_apology": "lập dự thảo phiếu xin lỗi",
    "approve_apology": "duyệt phiếu xin lỗi",
}
OFFICIALS_PAUSED = "⚠️ {code} đang chờ người dân bổ sung thông tin, chưa trả lời được."

# --- the officials' actions (bot/officials/_actions.py: the group, the CLI and the web console) ---
OFFICIALS_REPLY_RECORDED = "✅ {code}: đã ghi câu trả lời; hệ thống sẽ gửi tới người dân trong giây lát."
OFFICIALS_INFO_ASKED = "✅ {code}: đã gửi câu hỏi tới người dân; thời hạn tạm dừng tính tới khi người dân trả lời."
OFFICIALS_INFO_EMPTY = "⚠️ Anh/chị vui lòng nhập nội dung cần người dân bổ sung."
OFFICIALS_RESUMED = "▶️ {code}: tiếp tục tính thời hạn; hạn trả lời mới: {time}."
OFFICIALS_REASSIGNED = "✅ {code}: đã giao cho {name}."
OFFICIALS_CLOSED_QUIETLY = "✅ {code}: đã đóng phiếu."
OFFICIALS_APOLOGY_DRAFTED = "📝 {code}: đã lập dự thảo phiếu xin lỗi, hẹn ngày {date}; chờ lãnh đạo duyệt."
OFFICIALS_APOLOGY_NO_DRAFT = "⚠️ {code} chưa có dự thảo phiếu xin lỗi nào chờ duyệt."
OFFICIALS_APOLOGY_NO_REASON = "⚠️ Phiếu xin lỗi cần ghi rõ lý do chậm trả lời."
OFFICIALS_NEEDS_BOT = "⚠️ Thao tác này cần gửi tin tới người dân, chỉ thực hiện được khi hệ thống đang chạy."
# The note recorded with a draft slip (the ticket's history).
APOLOGY_DRAFT_NOTE = "Dự thảo phiếu xin lỗi, hẹn ngày {date}: {reason}"
# A ticket's deadline line (the console's queue and ticket page), parts joined by " · ".
DEADLINE_DUE = "Hạn {time}"
DEADLINE_DAYS_LEFT = "còn {days} ngày làm việc"
DEADLINE_LATE_DAYS = "quá hạn {days} ngày làm việc"
DEADLINE_LATE = "đã quá hạn"
DEADLINE_PAUSED = "đang tạm dừng, chờ người dân bổ sung"
DEADLINE_WAS_PAUSED = "đã tạm dừng {hours} giờ chờ người dân"
# Answer templates offered by the console's answer form: (label, text); the official edits the text.
OFFICIALS_ANSWER_TEMPLATES = (
    (
        "Hẹn lịch làm việc",
        "Kính gửi anh/chị, Ủy ban nhân dân phường xin hẹn anh/chị đến bộ phận một cửa vào "
        "ngày ... lúc ... giờ để trao đổi, giải quyết nội dung anh/chị phản ánh. Trân trọng.",
    ),
    (
        "Đề nghị bổ sung giấy tờ",
        "Kính gửi anh/chị, để giải quyết nội dung anh/chị gửi, đề nghị anh/chị bổ sung các giấy tờ "
        "sau: ... Anh/chị có thể nộp tại bộ phận một cửa của phường trong giờ hành chính. Trân trọng.",
    ),
    (
        "Đã chuyển bộ phận chuyên môn",
        "Kính gửi anh/chị, nội dung anh/chị phản ánh đã được chuyển tới bộ phận chuyên môn để xem xét, "
        "xử lý. Phường sẽ thông báo kết quả tới anh/chị trong thời hạn quy định. Trân trọng.",
    ),
    (
        "Đã xử lý xong",
        "Kính gửi anh/chị, Ủy ban nhân dân phường đã xử lý xong nội dung anh/chị phản ánh: ... "
        "Cảm ơn anh/chị đã đồng hành cùng chính quyền phường. Trân trọng.",
    ),
)
# The deadline watch: a warning before the due moment, an apology slip to approve, late tickets.
OFFICIALS_DEADLINE_WARNING = "⏰ {code} sắp đến hạn trả lời: {time}{assignee}. Tình trạng: {label}."
OFFICIALS_APOLOGY_DRAFT = (
    "📝 Dự thảo phiếu xin lỗi và hẹn lại ngày trả kết quả cho {code}, nếu không kịp hạn:\n"
    "• Lý do: {reason}\n• Ngày hẹn mới: {date}\n"
    "Bấm «Duyệt và gửi» để gửi người dân, hoặc gõ /apology {code} YYYY-MM-DD lý do để sửa."
)
OFFICIALS_APOLOGY_BUTTON = "✅ Duyệt và gửi"
APOLOGY_DEFAULT_REASON = "cần thêm thời gian xác minh, phối hợp xử lý"
OFFICIALS_LATE_TICKET = "🔴 {code} đã quá hạn trả lời ({time}){assignee}. Tình trạng: {label}."
OFFICIALS_APOLOGY_SENT = "✅ {code}: đã gửi phiếu xin lỗi, hẹn trả lời ngày {date}."
OFFICIALS_APOLOGY_ALREADY = "{code}: phiếu xin lỗi hẹn ngày {date} đã được gửi trước đó."
OFFICIALS_APOLOGY_BAD_DATE = "⚠️ Ngày hẹn mới phải là một ngày làm việc sau hôm nay, dạng YYYY-MM-DD."
# The note recorded on the ticket once the slip is sent (its history; the report's late reasons).
APOLOGY_NOTE = "Phiếu xin lỗi, hẹn ngày {date}: {reason}"
# A day as Vietnamese write it (a strftime format).
DATE = "%d/%m/%Y"

# Sent to the citizen on the channel they used.
OFFICIAL_ANSWER = (
    "Trả lời của cán bộ {ward_name} về phản ánh, câu hỏi {code}:\n{text}\n"
    "Để xem lại, anh/chị nhắn: «tra cứu {code}»."
)
TICKET_CLOSED = "{ward_name} đã hoàn thành xử lý phản ánh, câu hỏi {code}. Cảm ơn anh/chị đã gửi ý kiến."
APOLOGY_SLIP = (
    "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ\n"
    "{ward_name} xin lỗi anh/chị vì chưa trả lời được phản ánh, câu hỏi {code} đúng hạn ({time}).\n"
    "• Lý do: {reason}\n"
    "• Ngày hẹn trả lời mới: {date}\n"
    "Để theo dõi, anh/chị nhắn: «tra cứu {code}»."
)

# --- the compliance report (wardbot report, bot/reports/) -----------------------------------------
# Read by officials and the ward's leaders. Every format shows these words; CSV also keeps the
# English keys (section, item, metric) in columns of their own, so that machines can read it back.

# Headings of the text report (numbered there) and of the HTML tables, by section key.
REPORT_SECTIONS = {
    "tickets": "Tiếp nhận và xử lý",
    "on_time": "Đúng hạn",
    "late": "Trễ hạn",
    "times": "Thời gian (giờ làm việc)",
    "bot": "Trả lời tự động",
    "unanswered": "Câu hỏi chưa trả lời được",
    "sipas": "Mức độ hài lòng (SIPAS)",
}
# The HTML tables' "metric" column, by metric key; a key missing here is shown as it is.
REPORT_METRICS = {
    "received": "Tiếp nhận",
    "closed": "Đã đóng",
    "open": "Còn mở cuối kỳ",
    "apologies": "Phiếu xin lỗi đã gửi",
    "due": "Đến hạn trong kỳ",
    "on_time": "Đúng hạn",
    "late": "Trễ hạn",
    "rate": "Tỷ lệ đúng hạn",
    "category": "Loại",
    "channel": "Kênh",
    "due_at": "Hạn",
    "closed_at": "Đóng lúc",
    "reason": "Lý do",
    "messages": "Tin nhắn",
    "undelivered": "Không gửi được",
    "latency_p50_ms": "Độ trễ p50 (ms)",
    "latency_p95_ms": "Độ trễ p95 (ms)",
    "votes": "Lượt đánh giá",
    "helpful": "Lượt 👍",
    "helpful_share": "Tỷ lệ 👍",
    "count": "Số lần",
    "mean": "Điểm trung bình",
    "n": "Số phiếu",
    "first_response_n": "Phản hồi đầu tiên (số hồ sơ)",
    "first_response_p50": "Phản hồi đầu tiên p50 (giờ)",
    "first_response_p95": "Phản hồi đầu tiên p95 (giờ)",
    "first_response_mean": "Phản hồi đầu tiên TB (giờ)",
    "resolution_n": "Giải quyết (số hồ sơ)",
    "resolution_p50": "Giải quyết p50 (giờ)",
    "resolution_p95": "Giải quyết p95 (giờ)",
    "resolution_mean": "Giải quyết TB (giờ)",
}
# The column headings, keyed by the CSV column each one is.
REPORT_COLUMNS = {"section": "Phần", "item": "Mục", "metric": "Chỉ số", "value": "Giá trị"}
# Items of the report that are keys: overall, a group ("category=feedback"), the bot's outcomes.
REPORT_ITEM_ALL = "Tất cả"
REPORT_ITEM_GROUP = "{dimension}: {name}"
REPORT_DIMENSIONS = {"category": "Loại", "channel": "Kênh"}
REPORT_CHANNELS = {"web": "Trang web", "telegram": "Telegram", "zalo": "Zalo", "console": "Máy trạm"}
REPORT_ITEM_OUTCOMES = "Kết quả trả lời"
# The SIPAS factors (keys of tickets.SIPAS_FACTORS) as the report names them.
REPORT_SIPAS_FACTORS = {
    "access": "Tiếp cận dịch vụ",
    "procedure": "Thủ tục hành chính",
    "official": "Công chức giải quyết",
    "result": "Kết quả",
    "feedback": "Tiếp nhận, xử lý phản ánh",
}
# The outcomes of the bot's turns (the compliance log's "outcome").
REPORT_OUTCOMES = {
    "answered": "trả lời",
    "clarified": "hỏi lại",
    "abstained": "không trả lời được",
    "escalated": "chuyển cán bộ",
    "conversation": "trò chuyện",
    "error": "lỗi",
}
# The two durations measured, overall and (in lower case) within a category or channel.
REPORT_TIMES = {"first_response": "Phản hồi đầu tiên", "resolution": "Giải quyết"}
REPORT_TIMES_IN_GROUP = {"first_response": "phản hồi đầu tiên", "resolution": "giải quyết"}

# The text report, line by line; {first} and {last} are days written as DATE.
REPORT_TITLE = "BÁO CÁO KẾT QUẢ TIẾP NHẬN VÀ XỬ LÝ — kỳ {period} ({first}–{last})"
REPORT_GENERATED = "Lập lúc {time}"
REPORT_TICKET_COUNTS = "Tiếp nhận: {received}; đã đóng: {closed}; còn mở cuối kỳ: {open}"
REPORT_APOLOGIES = "Phiếu xin lỗi đã gửi: {count}"
REPORT_ON_TIME = "Tỷ lệ đúng hạn: {rate} ({on_time}/{due} hồ sơ đến hạn trong kỳ)"
REPORT_LATE = "Trễ hạn ({count}):"
REPORT_LATE_LINE = "{code} [{category}, {channel}] hạn {due}, {closed}: {reason}"
REPORT_CLOSED_AT = "đóng {time}"
REPORT_NOT_CLOSED = "chưa đóng"
REPORT_NO_REASON = "(không ghi lý do)"
REPORT_TIMES_LINE = "{label}: p50 {p50}, p95 {p95}, TB {mean} (n={n})"
REPORT_GROUP = "{label} {name}: tiếp nhận {received}, đã đóng {closed}"
REPORT_MESSAGES = "Tin nhắn: {messages} ({outcomes}); không gửi được: {undelivered}"
REPORT_LATENCY = "Độ trễ trả lời: {latency}"
REPORT_HELPFUL = "Tỷ lệ 👍: {rate} ({helpful}/{votes} lượt đánh giá)"
REPORT_UNANSWERED = "Câu hỏi chưa trả lời được, thường gặp nhất:"
REPORT_NO_QUESTIONS = "(không có)"
REPORT_NO_RATINGS = "(chưa có đánh giá)"

# The chart page (PNG, also shown in the HTML page).
REPORT_CHART_TITLE = "Báo cáo kỳ {period} — {received} hồ sơ tiếp nhận"
REPORT_CHART_ON_TIME = "Tỷ lệ đúng hạn: {rate} ({on_time}/{due})"
REPORT_CHART_DUE_AXIS = "Số hồ sơ đến hạn"
REPORT_CHART_BOT = "Trả lời tự động ({messages} tin nhắn)"
REPORT_CHART_ALL = "Tất cả"
REPORT_CHART_FIRST_RESPONSE = "Phản hồi đầu (p50)"
REPORT_CHART_RESOLUTION = "Giải quyết (p50)"
REPORT_CHART_TIMES = "Thời gian xử lý (giờ làm việc)"

# The HTML page.
REPORT_PAGE_TITLE = "Báo cáo kỳ {period}"
REPORT_PAGE_HEADING = "Báo cáo kết quả tiếp nhận và xử lý — kỳ {period}"
REPORT_PAGE_META = "{first}–{last}; lập lúc {time}"
REPORT_CHART_ALT = "Biểu đồ"

# --- the ward's web console (bot/console/): its frame, login, queue, users and audit pages ----------
# Read by officials, leaders and admins. Templates read every CONSOLE_* string as ``t.<name>``
# (``t.login_title`` is CONSOLE_LOGIN_TITLE); pages added later keep their words in blocks of their own.

CONSOLE_TITLE = "Bảng điều khiển"
CONSOLE_SKIP = "Bỏ qua, tới nội dung chính"
CONSOLE_NAV_QUEUE = "Hàng đợi"
CONSOLE_NAV_BOARD = "Bảng hạn xử lý"
CONSOLE_NAV_REPORTS = "Báo cáo"
CONSOLE_NAV_KB = "Cơ sở tri thức"
CONSOLE_NAV_USERS = "Người dùng"
CONSOLE_NAV_AUDIT = "Nhật ký"
CONSOLE_NAV_MENU = "Trình đơn"
CONSOLE_LOGOUT = "Đăng xuất"
CONSOLE_SIGNED_IN_AS = "Đăng nhập: {username} ({role})"
CONSOLE_ROLES = {"official": "Cán bộ", "leader": "Lãnh đạo", "admin": "Quản trị"}
# What every console path answers until the first admin exists.
CONSOLE_OFF_TITLE = "Bảng điều khiển chưa được bật"
CONSOLE_OFF_TEXT = (
    "Bảng điều khiển sẽ bật khi có tài khoản quản trị đầu tiên. Trên máy chủ, người quản trị hệ thống "
    "chạy lệnh sau (mật khẩu ít nhất 8 ký tự, nhập qua đầu vào chuẩn), rồi mở lại trang này:"
)
CONSOLE_OFF_COMMAND = 'echo "$MAT_KHAU" | wardbot users add TEN_DANG_NHAP --role admin'
CONSOLE_NOT_FOUND = "Không tìm thấy trang này."
CONSOLE_FORBIDDEN = "Tài khoản của anh/chị không có quyền mở trang này."
CONSOLE_CSRF_REFUSED = (
    "Yêu cầu bị từ chối vì thiếu mã bảo mật của biểu mẫu hoặc mã đã hết hiệu lực. "
    "Xin anh/chị tải lại trang rồi thử lại."
)
CONSOLE_BACK_HOME = "Về hàng đợi"
# Login.
CONSOLE_LOGIN_TITLE = "Đăng nhập"
CONSOLE_LOGIN_INTRO = "Dành cho cán bộ, lãnh đạo và quản trị viên của phường."
CONSOLE_USERNAME = "Tên đăng nhập"
CONSOLE_PASSWORD = "Mật khẩu"
CONSOLE_LOGIN_BUTTON = "Đăng nhập"
CONSOLE_LOGIN_FAILED = "Tên đăng nhập hoặc mật khẩu không đúng."
CONSOLE_LOGIN_THROTTLED = (
    "Đăng nhập sai quá nhiều lần nên tạm thời bị khóa. Xin anh/chị thử lại sau {time}."
)
CONSOLE_LOGGED_OUT = "Anh/chị đã đăng xuất."
# The queue.
CONSOLE_QUEUE_TITLE = "Hàng đợi"
CONSOLE_QUEUE_TAB_TITLE = "({count}) Hàng đợi"
CONSOLE_QUEUE_COUNT = "{shown} phiếu · {open} đang mở"
CONSOLE_QUEUE_EMPTY = "Không có phiếu nào khớp bộ lọc."
CONSOLE_FILTERS = "Bộ lọc"
CONSOLE_SEARCH = "Tìm kiếm"
CONSOLE_SEARCH_HINT = "Mã phiếu, nội dung, câu trả lời — có dấu hay không dấu"
CONSOLE_FILTER_STATUS = "Tình trạng"
CONSOLE_FILTER_CATEGORY = "Loại"
CONSOLE_FILTER_ASSIGNEE = "Người xử lý"
CONSOLE_FILTER_CHANNEL = "Kênh"
CONSOLE_FILTER_ALL = "Tất cả"
CONSOLE_FILTER_OPEN = "Đang mở"
CONSOLE_FILTER_UNASSIGNED = "Chưa phân công"
CONSOLE_FILTER_APPLY = "Lọc"
CONSOLE_FILTER_CLEAR = "Xóa bộ lọc"
CONSOLE_COLUMN_CODE = "Mã phiếu"
CONSOLE_COLUMN_TEXT = "Nội dung"
CONSOLE_COLUMN_STATUS = "Tình trạng"
CONSOLE_COLUMN_ASSIGNEE = "Người xử lý"
CONSOLE_COLUMN_CHANNEL = "Kênh"
CONSOLE_COLUMN_RECEIVED = "Tiếp nhận"
CONSOLE_COLUMN_DUE = "Hạn trả lời"
CONSOLE_DEADLINE_OVERDUE = "Quá hạn"
CONSOLE_DEADLINE_SOON = "Sắp đến hạn"
CONSOLE_DEADLINE_ON_TRACK = "Trong hạn"
CONSOLE_DEADLINE_DONE = "Đã trả lời"
CONSOLE_DEADLINE_PAUSED = "Tạm dừng"
CONSOLE_LEGEND = "Chú thích màu"
CONSOLE_NOBODY = "—"
CONSOLE_CHANNELS = {"web": "Web", "telegram": "Telegram", "zalo": "Zalo", "console": "Dòng lệnh"}
# Users (admins only).
CONSOLE_USERS_TITLE = "Người dùng"
CONSOLE_USERS_ADD = "Thêm người dùng"
CONSOLE_ROLE = "Vai trò"
CONSOLE_STATE = "Trạng thái"
CONSOLE_STATE_ENABLED = "Đang hoạt động"
CONSOLE_STATE_DISABLED = "Đã khóa"
CONSOLE_USER_CREATED = "Tạo lúc"
CONSOLE_ADD_BUTTON = "Thêm"
CONSOLE_DISABLE_BUTTON = "Khóa"
CONSOLE_ENABLE_BUTTON = "Mở khóa"
CONSOLE_SET_ROLE_BUTTON = "Đổi vai trò"
CONSOLE_NEW_PASSWORD = "Mật khẩu mới"
CONSOLE_RESET_PASSWORD_BUTTON = "Đặt lại mật khẩu"
CONSOLE_PASSWORD_HINT = "Ít nhất 8 ký tự."
CONSOLE_USER_ADDED = "Đã thêm người dùng {username}."
CONSOLE_USER_DISABLED = "Đã khóa tài khoản {username}; mọi phiên đăng nhập của tài khoản này đã kết thúc."
CONSOLE_USER_ENABLED = "Đã mở khóa tài khoản {username}."
CONSOLE_USER_ROLE_SET = "Đã đổi vai trò của {username} thành {role}."
CONSOLE_USER_PASSWORD_SET = "Đã đặt lại mật khẩu của {username}; các phiên đăng nhập cũ đã kết thúc."
CONSOLE_USER_REFUSED = "Không thực hiện được: {reason}"
CONSOLE_ACTIONS = "Thao tác"
# The audit log (admins only).
CONSOLE_AUDIT_TITLE = "Nhật ký thao tác"
CONSOLE_AUDIT_INTRO = "Mọi thao tác trên bảng điều khiển và bằng dòng lệnh, mới nhất trước."
CONSOLE_AUDIT_AT = "Thời điểm"
CONSOLE_AUDIT_ACTOR = "Người thực hiện"
CONSOLE_AUDIT_ACTION = "Thao tác"
CONSOLE_AUDIT_TARGET = "Đối tượng"
CONSOLE_AUDIT_DETAIL = "Chi tiết"
CONSOLE_AUDIT_EMPTY = "Nhật ký chưa có mục nào."
CONSOLE_PAGE_OF = "Trang {page}/{pages}"
CONSOLE_NEWER = "‹ Mới hơn"
CONSOLE_OLDER = "Cũ hơn ›"

# --- the console's ticket page (bot/console/_ticket.py, templates/ticket.html) ---------------------
# Buttons without emoji: a ward office's desktop may have no emoji font.
CONSOLE_TICKET_TITLE = "Phiếu {code}"
CONSOLE_TICKET_BACK = "‹ Hàng đợi"
CONSOLE_TICKET_MESSAGE = "Nội dung người dân gửi"
CONSOLE_TICKET_CATEGORY = "Loại"
CONSOLE_TICKET_STATUS = "Tình trạng"
CONSOLE_TICKET_CHANNEL = "Kênh"
CONSOLE_TICKET_ASSIGNEE = "Người xử lý"
CONSOLE_TICKET_RECEIVED = "Tiếp nhận"
CONSOLE_TICKET_CONTACT = "Liên hệ"
CONSOLE_TICKET_ANONYMOUS = "Ẩn danh (người dân không để lại liên hệ)"
CONSOLE_TICKET_REDACTED = "Đã xóa theo yêu cầu hoặc hết thời hạn lưu dữ liệu cá nhân"
CONSOLE_TICKET_ADDRESS = "Địa điểm"
CONSOLE_TICKET_MAP = "Xem vị trí trên bản đồ"
CONSOLE_TICKET_PHOTO = "Ảnh người dân gửi kèm"
CONSOLE_TICKET_PHOTO_LINK = "Mở ảnh người dân gửi"
CONSOLE_TICKET_PHOTO_MISSING = "Ảnh không còn trên máy chủ."
CONSOLE_TICKET_PHOTO_ELSEWHERE = "Có 1 ảnh, người dân gửi qua {channel}; xem trong nhóm cán bộ."
CONSOLE_TICKET_ANSWER_SENT = "Câu trả lời đã ghi"
CONSOLE_TICKET_DELIVERY = {
    "delivered": "Đã gửi tới người dân",
    "failed": "Chưa gửi được tới người dân",
    "pending": "Đang gửi tới người dân",
}
CONSOLE_TICKET_DEADLINE = "Thời hạn trả lời"
CONSOLE_TICKET_HISTORY = "Lịch sử xử lý"
CONSOLE_TICKET_ACTIONS = "Xử lý phiếu"
CONSOLE_TICKET_NO_ACTIONS = "Phiếu ở tình trạng này không có thao tác nào anh/chị được làm."
CONSOLE_TICKET_CLAIM = "Nhận xử lý"
CONSOLE_TICKET_ANSWER_LABEL = "Trả lời người dân"
CONSOLE_TICKET_ANSWER_HINT = "Câu trả lời được gửi ngay tới người dân, trên kênh họ đã dùng."
CONSOLE_TICKET_TEMPLATE = "Mẫu trả lời"
CONSOLE_TICKET_TEMPLATE_NONE = "— Chọn một mẫu —"
CONSOLE_TICKET_TEMPLATE_FILL = "Điền mẫu"
CONSOLE_TICKET_TEMPLATE_FILLED = "Đã điền mẫu «{label}». Anh/chị sửa các chỗ «...» rồi bấm «Gửi trả lời»."
CONSOLE_TICKET_ANSWER_BUTTON = "Gửi trả lời"
CONSOLE_TICKET_ANSWER_EMPTY = "⚠️ Anh/chị vui lòng nhập câu trả lời hoặc chọn một mẫu."
CONSOLE_TICKET_ASK_LABEL = "Đề nghị người dân bổ sung thông tin"
CONSOLE_TICKET_ASK_HINT = "Thời hạn tạm dừng tính cho tới khi người dân trả lời."
CONSOLE_TICKET_ASK_BUTTON = "Gửi đề nghị bổ sung"
CONSOLE_TICKET_RESUME_HINT = "Phiếu đang chờ người dân bổ sung. Nếu đã nhận được thông tin bằng cách khác:"
CONSOLE_TICKET_RESUME_BUTTON = "Tiếp tục tính thời hạn"
CONSOLE_TICKET_REASSIGN_LABEL = "Giao lại cho"
CONSOLE_TICKET_REASSIGN_BUTTON = "Giao lại"
CONSOLE_TICKET_ASSIGNEE_UNKNOWN = "⚠️ Không có người dùng này trong danh sách tài khoản đang hoạt động."
CONSOLE_TICKET_CLOSE_HINT = "Đóng phiếu và mời người dân đánh giá mức độ hài lòng."
CONSOLE_TICKET_CLOSE_BUTTON = "Đóng phiếu"
CONSOLE_TICKET_REOPEN_LABEL = "Lý do mở lại"
CONSOLE_TICKET_REOPEN_BUTTON = "Mở lại phiếu"
CONSOLE_TICKET_REASON_NEEDED = "⚠️ Anh/chị vui lòng ghi lý do mở lại phiếu."
CONSOLE_TICKET_APOLOGY = "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
CONSOLE_TICKET_APOLOGY_DATE = "Ngày hẹn mới"
CONSOLE_TICKET_APOLOGY_REASON = "Lý do chậm trả lời"
CONSOLE_TICKET_APOLOGY_DRAFT_BUTTON = "Lập dự thảo"
CONSOLE_TICKET_APOLOGY_PENDING = "Dự thảo chờ lãnh đạo duyệt: hẹn ngày {date}, lý do: {reason}"
CONSOLE_TICKET_APOLOGY_APPROVE_BUTTON = "Duyệt và gửi người dân"
CONSOLE_TICKET_BAD_VERSION = "⚠️ Biểu mẫu thiếu phiên bản của phiếu. Anh/chị tải lại trang rồi thử lại."
# Who did it, in the ticket's history: "console:lan" is lan; other front ends are named.
CONSOLE_TICKET_ACTORS = {"citizen": "Người dân", "system": "Hệ thống"}
CONSOLE_TICKET_ACTOR_VIA = "{name} ({via})"
CONSOLE_TICKET_ACTOR_FRONT_ENDS = {"cli": "dòng lệnh", "telegram": "nhóm Telegram"}
# What happened, one line per event of the ticket's history.
CONSOLE_TICKET_EVENTS = {
    "create": "Tiếp nhận qua kênh {channel}",
    "claim": "Nhận xử lý",
    "assign": "Giao cho {assignee}",
    "reply": "Trả lời người dân",
    "delivered": "Đã gửi trả lời tới người dân",
    "failed": "Không gửi được trả lời tới người dân",
    "close": "Đóng phiếu",
    "reopen": "Mở lại phiếu",
    "note": "Ghi chú",
    "supplement": "Người dân bổ sung thông tin",
    "apology_draft": "Lập dự thảo phiếu xin lỗi, hẹn ngày {date}",
    "apology": "Gửi phiếu xin lỗi, hẹn ngày {date}",
    "sipas": "Người dân đánh giá mức độ hài lòng",
    "warned": "Nhắc cán bộ: phiếu sắp đến hạn",
    "escalated": "Báo lãnh đạo: phiếu đã quá hạn",
    "pause": "Tạm dừng thời hạn, đề nghị người dân bổ sung thông tin",
    "resume": "Tiếp tục tính thời hạn",
    "due_change": "Hạn trả lời mới: {time}",
    "redact": "Xóa dữ liệu cá nhân của người dân",
}
# --- the web console's deadline board and reports pages (bot/console/_board.py, _reports.py) -------
# The board is the leaders'; the reports page shows `wardbot report`'s figures (the REPORT_* words).
CONSOLE_BOARD_TITLE = "Bảng hạn xử lý"
CONSOLE_BOARD_INTRO = "Số liệu tính đến {time}, theo cùng cách tính của báo cáo định kỳ."
CONSOLE_BOARD_MONTH = "Tháng {month}"
CONSOLE_BOARD_QUARTER = "Quý {quarter}/{year}"  # {quarter} in Roman numerals, as wards write it
CONSOLE_BOARD_ON_TIME = "đúng hạn"
CONSOLE_BOARD_ALL_ON_TIME = "100 % đúng hạn"
CONSOLE_BOARD_RATE_DETAIL = "{on_time}/{due} phiếu đến hạn được xử lý đúng hạn"
CONSOLE_BOARD_NONE_DUE = "Chưa có phiếu nào đến hạn"
CONSOLE_BOARD_URGENT = "Quá hạn và sắp đến hạn"
CONSOLE_BOARD_URGENT_EMPTY = "Không có phiếu nào quá hạn hay sắp đến hạn."
CONSOLE_BOARD_LATE = "Trễ hạn trong quý"
CONSOLE_BOARD_LATE_EMPTY = "Quý này chưa có phiếu nào trễ hạn."
CONSOLE_BOARD_LATE_DAYS = DEADLINE_LATE_DAYS
CONSOLE_BOARD_LATE_TODAY = "quá hạn trong ngày"
CONSOLE_BOARD_DAYS_LATE = "Trễ (ngày làm việc)"
CONSOLE_BOARD_REASON = "Lý do"
CONSOLE_BOARD_NO_REASON = REPORT_NO_REASON
CONSOLE_BOARD_CLOSED_AT = "Đóng lúc"
CONSOLE_BOARD_NOT_CLOSED = "Chưa đóng"
CONSOLE_BOARD_LOAD = "Khối lượng theo cán bộ"
CONSOLE_BOARD_OFFICIAL = "Cán bộ"
CONSOLE_BOARD_OPEN_ASSIGNED = "Đang xử lý"
CONSOLE_BOARD_OVERDUE = "Trong đó quá hạn"
CONSOLE_BOARD_ANSWERED = "Đã trả lời trong tháng"
CONSOLE_BOARD_LOAD_EMPTY = "Tháng này chưa có phiếu nào được giao hay được trả lời."

CONSOLE_REPORTS_TITLE = "Báo cáo"
CONSOLE_REPORTS_HEADING = "Báo cáo kỳ {period}"
CONSOLE_REPORTS_META = REPORT_PAGE_META
CONSOLE_REPORTS_PRESET = "Kỳ báo cáo"
# The periods offered in the select, by key; each is shown with its `wardbot report --period` form.
CONSOLE_REPORTS_PRESETS = {
    "month": "Tháng này",
    "last_month": "Tháng trước",
    "quarter": "Quý này",
    "last_quarter": "Quý trước",
    "half": "6 tháng này",
    "last_half": "6 tháng trước",
    "year": "Năm nay",
    "last_year": "Năm trước",
}
CONSOLE_REPORTS_PRESET_OPTION = "{name} ({period})"
CONSOLE_REPORTS_CUSTOM = "Kỳ khác"
CONSOLE_REPORTS_CUSTOM_HINT = (
    "Ví dụ: 2026-Q3 (quý), 2026-H1 (6 tháng đầu năm), 2026 (cả năm), 2026-07 (tháng), "
    "2026-07-01..2026-09-30 (từ ngày..đến ngày)"
)
CONSOLE_REPORTS_SHOW = "Xem"
CONSOLE_REPORTS_BAD_PERIOD = (
    "Không hiểu kỳ báo cáo «{text}». Anh/chị vui lòng nhập theo một trong các dạng: 2026-Q3 (quý), "
    "2026-H1 hoặc 2026-H2 (6 tháng), 2026 (cả năm), 2026-07 (tháng) hoặc 2026-07-01..2026-09-30 "
    "(ngày kết thúc không trước ngày bắt đầu)."
)
CONSOLE_REPORTS_BAD_FORMAT = "Không có định dạng tải về này; chọn XLSX, CSV, HTML hoặc PNG."
CONSOLE_REPORTS_DOWNLOAD = "Tải về"
CONSOLE_REPORTS_FORMATS = {"xlsx": "Excel (XLSX)", "csv": "CSV", "html": "Trang HTML", "png": "Biểu đồ (PNG)"}
CONSOLE_REPORTS_CHART_ALT = "Biểu đồ kỳ {period}: tỷ lệ đúng hạn, trả lời tự động, thời gian xử lý"
CONSOLE_REPORTS_ITEM = REPORT_COLUMNS["item"]
CONSOLE_REPORTS_NONE = REPORT_NO_QUESTIONS
CONSOLE_REPORTS_NO_DATA = "—"
# --- Web console: the knowledge-base pages (bot/console/_kb.py, templates kb*.html) -----------------
CONSOLE_BACK = "‹ Quay lại"
CONSOLE_TOO_LARGE = (
    "Tệp gửi lên quá lớn: tối đa {megabytes} MB. Với tệp xuất từ Cổng dịch vụ công, anh/chị hãy nén "
    "thành .jsonl.xz hoặc .jsonl.gz rồi tải lên lại; với tệp .zip, hãy chia thành nhiều tệp nhỏ hơn."
)
CONSOLE_KB_TITLE = "Cơ sở tri thức"
CONSOLE_KB_INTRO = "Các câu hỏi thường gặp và thủ tục mà trợ lý dùng để trả lời người dân."
CONSOLE_KB_SEARCH_HINT = "Câu hỏi, tên thủ tục, mã — có dấu hay không dấu"
CONSOLE_KB_KINDS = {
    "": "Tất cả",
    "faq": "Câu hỏi thường gặp",
    "ward": "Thủ tục của phường",
    "national": "Thủ tục quốc gia",
}
CONSOLE_KB_KIND_FILTER = "Loại mục"
CONSOLE_KB_COUNT = "{total} mục"
CONSOLE_KB_EMPTY = "Không có mục nào khớp tìm kiếm."
CONSOLE_KB_COLUMN_TITLE = "Câu hỏi / Tên thủ tục"
CONSOLE_KB_COLUMN_ID = "Mã"
CONSOLE_KB_COLUMN_KIND = "Loại"
CONSOLE_KB_OVERRIDES = "thay bản quốc gia"
CONSOLE_KB_STATUS = "Tình trạng"
CONSOLE_KB_ENTRIES = "Số mục đang dùng"
CONSOLE_KB_FINGERPRINT = "Phiên bản"
CONSOLE_KB_FROM_SNAPSHOT = "Đang dùng bản lưu gần nhất vì cơ sở tri thức trên đĩa có lỗi."
CONSOLE_KB_LAST_RELOAD = "Lần nạp lại gần nhất"
CONSOLE_KB_NEVER_RELOADED = "Chưa nạp lại kể từ khi khởi động."
CONSOLE_KB_RELOAD_OUTCOMES = {
    "reloaded": "Thành công",
    "refused": "Bị từ chối vì có lỗi — trợ lý vẫn trả lời bằng bản cũ",
    "failed": "Thất bại — trợ lý vẫn trả lời bằng bản cũ",
}
CONSOLE_KB_VALIDATE = "Kiểm tra"
CONSOLE_KB_RELOAD = "Nạp lại"
CONSOLE_KB_NEW_FAQ = "Thêm câu hỏi"
CONSOLE_KB_UPLOAD = "Tải lên"
CONSOLE_KB_FEEDBACK = "Câu hỏi cần bổ sung"
CONSOLE_KB_VALID = "Không có lỗi: cơ sở tri thức trên đĩa hợp lệ."
CONSOLE_KB_PROBLEMS = "{count} lỗi cần sửa (tệp:dòng: nội dung):"
CONSOLE_KB_UNREADABLE = "Có tệp không đọc được (có thể do sửa tay trên máy chủ):"
CONSOLE_KB_RELOADED = "Đã nạp lại: trợ lý đang trả lời bằng cơ sở tri thức mới ({entries} mục)."
CONSOLE_KB_RELOAD_REFUSED = (
    "Không nạp lại được: trợ lý vẫn trả lời bằng cơ sở tri thức cũ. Xem các lỗi ở mục Tình trạng."
)
CONSOLE_KB_SAVED = "Đã lưu mục {entry_id}. Trợ lý đang trả lời bằng nội dung mới."
CONSOLE_KB_SAVED_NOT_SERVED = (
    "Đã lưu mục {entry_id} vào tệp, nhưng nạp lại không thành công: trợ lý vẫn trả lời bằng cơ sở tri thức cũ. "
    "Xem lỗi ở trang Cơ sở tri thức."
)
CONSOLE_KB_NOT_SAVED = "Chưa lưu: có {count} lỗi. Nội dung anh/chị nhập vẫn còn nguyên bên dưới."
CONSOLE_KB_CONFLICT = (
    "Chưa lưu: trong lúc anh/chị sửa, mục này đã được người khác thay đổi. Nội dung anh/chị nhập vẫn "
    "còn nguyên bên dưới; hãy xem bản hiện tại, sửa lại nếu cần rồi nhấn Lưu lần nữa."
)
CONSOLE_KB_ID_TAKEN = "Chưa lưu: mã «{entry_id}» đã được mục khác dùng. Hãy đặt mã khác rồi nhấn Lưu."
CONSOLE_KB_CURRENT_VERSION = "Bản hiện tại trên máy chủ"
CONSOLE_KB_NOT_FOUND = "Không tìm thấy mục này trong cơ sở tri thức."
CONSOLE_KB_SAVE = "Lưu"
CONSOLE_KB_CANCEL = "Hủy"
CONSOLE_KB_FILE = "Tệp"
CONSOLE_KB_MARKDOWN = "Xem tệp Markdown"
CONSOLE_KB_EDIT_FAQ = "Sửa câu hỏi thường gặp"
CONSOLE_KB_EDIT_PROCEDURE = "Sửa thủ tục của phường"
CONSOLE_KB_NEW_FAQ_TITLE = "Câu hỏi thường gặp mới"
CONSOLE_KB_FROM_FEEDBACK = "Từ câu hỏi người dân: trợ lý sẽ đánh dấu câu hỏi này đã xử lý khi anh/chị lưu."
CONSOLE_KB_NATIONAL_TITLE = "Thủ tục quốc gia (chỉ đọc)"
CONSOLE_KB_NATIONAL_NOTE = (
    "Thủ tục này lấy từ Cổng dịch vụ công quốc gia và không sửa trực tiếp được. Tạo bản của phường để "
    "ghi nơi nộp, lệ phí, thời hạn… theo thực tế tại phường; trợ lý sẽ dùng bản của phường thay cho bản này."
)
CONSOLE_KB_OVERRIDE = "Tạo bản của phường"
CONSOLE_KB_OVERRIDE_TITLE = "Bản của phường cho thủ tục quốc gia"
CONSOLE_KB_OVERRIDE_NOTE = "Khi lưu, bản này sẽ thay bản quốc gia cùng mã trong câu trả lời của trợ lý."
CONSOLE_KB_ONE_PER_LINE = "Mỗi dòng một mục."
CONSOLE_KB_ADD_ROW = "+ Thêm dòng"
CONSOLE_KB_ROWS_HINT = "Để trống cả dòng thì dòng đó bị bỏ qua."
CONSOLE_KB_FIELDS = {
    "id": "Mã câu hỏi (dùng làm tên tệp: chữ thường không dấu, số, gạch nối)",
    "question": "Câu hỏi",
    "answer": "Câu trả lời",
    "variants": "Cách hỏi khác của người dân",
    "tags": "Từ khóa",
    "source": "Nguồn",
    "updated": "Ngày cập nhật",
    "code": "Mã thủ tục",
    "name": "Tên thủ tục",
    "field": "Lĩnh vực",
    "levels": "Cấp thực hiện",
    "applicants": "Đối tượng thực hiện",
    "implementing_agencies": "Cơ quan thực hiện",
    "competent_agencies": "Cơ quan có thẩm quyền",
    "filing_address": "Nơi nộp hồ sơ",
    "decision": "Quyết định công bố",
    "portal_url": "Đường dẫn nộp trực tuyến",
    "source_url": "Đường dẫn nguồn",
    "methods": "Cách thức nộp, thời hạn giải quyết và lệ phí",
    "channel": "Cách nộp",
    "processing_time": "Thời hạn giải quyết",
    "fee": "Lệ phí",
    "description": "Ghi chú",
    "documents": "Thành phần hồ sơ",
    "document_name": "Tên giấy tờ",
    "originals": "Bản chính",
    "copies": "Bản sao",
    "form": "Mẫu đơn, tờ khai",
    "group": "Nhóm",
    "legal_basis": "Căn cứ pháp lý",
    "legal_number": "Số hiệu",
    "legal_name": "Tên văn bản",
    "legal_issued": "Ngày ban hành",
    "legal_issuer": "Cơ quan ban hành",
    "steps": "Trình tự thực hiện",
    "step": "Bước",
    "conditions": "Yêu cầu, điều kiện",
    "result": "Kết quả",
    "asked_as": "Người dân thường hỏi thế nào",
}
CONSOLE_KB_UPLOAD_TITLE = "Tải lên cơ sở tri thức"
CONSOLE_KB_UPLOAD_INTRO = (
    "Tệp .zip gồm các mục Markdown (faq/…, procedures/…, questions/<mã>.txt) sẽ thêm hoặc thay các mục "
    "cùng đường dẫn của phường. Tệp xuất từ Cổng dịch vụ công (.jsonl, .jsonl.xz, .jsonl.gz) sẽ làm mới "
    "các thủ tục quốc gia. Mọi tệp được kiểm tra trước: có một lỗi thì không thay đổi gì."
)
CONSOLE_KB_UPLOAD_FILE = "Tệp (.zip, .jsonl, .jsonl.xz, .jsonl.gz; tối đa {megabytes} MB)"
CONSOLE_KB_UPLOAD_BUTTON = "Kiểm tra và cài đặt"
CONSOLE_KB_UPLOAD_NO_FILE = "Anh/chị chưa chọn tệp để tải lên."
CONSOLE_KB_UPLOAD_REFUSED = "Chưa cài đặt gì: tệp «{name}» có {count} lỗi. Trợ lý vẫn trả lời bằng cơ sở tri thức cũ."
CONSOLE_KB_UPLOADED = "Đã cài đặt «{name}»: trợ lý đang trả lời bằng cơ sở tri thức mới ({entries} mục)."
CONSOLE_KB_UPLOADED_NOT_SERVED = (
    "Đã cài đặt «{name}», nhưng nạp lại không thành công: trợ lý vẫn trả lời bằng cơ sở tri thức cũ. "
    "Xem lỗi ở mục Tình trạng."
)
CONSOLE_KB_FEEDBACK_TITLE = "Câu hỏi cần bổ sung"
CONSOLE_KB_FEEDBACK_INTRO = (
    "Câu hỏi trợ lý chưa trả lời được và câu trả lời bị người dân đánh giá không hài lòng trong {days} "
    "ngày qua, gần nhất trước."
)
CONSOLE_KB_FEEDBACK_EMPTY = "Không có câu hỏi nào cần bổ sung."
CONSOLE_KB_FEEDBACK_KINDS = {"unanswered": "Chưa trả lời được", "disliked": "Bị đánh giá không hài lòng"}
CONSOLE_KB_FEEDBACK_TIMES = "{count} lần · gần nhất {last}"
CONSOLE_KB_FEEDBACK_RATED = "Câu trả lời bị đánh giá:"
CONSOLE_KB_FEEDBACK_NO_TEXT = "(nội dung câu hỏi đã được xóa theo thời hạn lưu trữ)"
CONSOLE_KB_FEEDBACK_NEW_FAQ = "Tạo FAQ từ câu hỏi này"
CONSOLE_KB_FEEDBACK_GONE = "Câu hỏi này không còn trong danh sách (có thể đã được xử lý)."
CONSOLE_KB_PREVIOUS = "‹ Trang trước"
CONSOLE_KB_NEXT = "Trang sau ›"
