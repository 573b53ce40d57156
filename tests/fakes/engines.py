"""A small real search engine for handler tests: portal data, the hashing embedder, fixed decisions.

The ranking is the real retriever's (BM25 plus the deterministic hashing embedder of
``embedders.py``). The decision is not: the shipped calibration is fitted to the real embedding
model and means nothing over hashed vectors, so these engines use the neutral calibration (every
probability 0.5) and pick the decision with the thresholds. An ``ANSWER`` engine answers every
question with its top hit, a ``CLARIFY`` engine always offers choices, an ``ABSTAIN`` engine never
answers, which lets each test say which branch of the dialogue it exercises.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.testing import MemoryDialogueStore
from handlers import Dialogue, SearchEngine
from knowledge import (
    Channel,
    DocumentItem,
    Entry,
    Faq,
    KnowledgeBase,
    LegalBasis,
    Procedure,
    SubmissionMethod,
    parse_portal_record,
    search_docs,
)
from retrieval import Calibration, Decision, Embedder, Retriever, RetrieverSettings
from tickets import TicketDesk, TicketStore, WorkingCalendar

WARD_NAME = "Phường Mẫu"
WARD_CONTACT = "Bộ phận Một cửa, Trung tâm Phục vụ hành chính công phường, điện thoại 0236 3000 000"

# Thresholds on the neutral calibration's 0.5 that force each decision.
_DECISION_SETTINGS = {
    Decision.ANSWER: RetrieverSettings(min_in_scope=0.5, answer_confidence=0.5),
    Decision.CLARIFY: RetrieverSettings(min_in_scope=0.5, answer_confidence=0.6),
    Decision.ABSTAIN: RetrieverSettings(min_in_scope=0.6),
}


def build_engine(embedder: Embedder, entries: Sequence[Entry] | None = None, *, decision: Decision) -> SearchEngine:
    kb = KnowledgeBase.from_entries(sample_entries() if entries is None else entries)
    retriever = Retriever(
        search_docs(kb), embedder, settings=_DECISION_SETTINGS[decision], calibration=Calibration.neutral()
    )
    return SearchEngine(kb=kb, retriever=retriever)


def make_dialogue(engine: SearchEngine, desk: TicketDesk, store: MemoryDialogueStore | None = None) -> Dialogue:
    return Dialogue(
        engine,
        store or MemoryDialogueStore(),
        ward_name=WARD_NAME,
        ward_contact=WARD_CONTACT,
        desk=desk,
        pseudonym=pseudonym,
    )


@contextlib.contextmanager
def ticket_desk(directory: Path) -> Iterator[TicketDesk]:
    """A ticket desk over a new store in ``directory``, for a fixture: the store is opened and
    closed on event loops of their own, and works on the test's loop in between."""
    store = asyncio.run(TicketStore.open(directory / "tickets.sqlite3"))
    try:
        yield TicketDesk(store, WorkingCalendar.from_file(), {})
    finally:
        asyncio.run(store.close())


def sample_entries() -> list[Entry]:
    return [tam_tru(), GIA_HAN_TAM_TRU, KHAI_SINH, BANK_BRANCH, VNEID_FAQ, APOLOGY_FAQ]


def tam_tru() -> Procedure:
    """Đăng ký tạm trú, parsed from its record on the National Public Service Portal."""
    return parse_portal_record(TAM_TRU_RECORD).procedure


# Abridged from the portal's records (same code, name, agencies, ways of filing and fees).
GIA_HAN_TAM_TRU = Procedure(
    code="1.002755",
    name="Gia hạn tạm trú",
    field="Đăng ký, quản lý cư trú",
    levels=("Cấp xã",),
    implementing_agencies="Công an cấp Xã",
    documents=(DocumentItem("Tờ khai thay đổi thông tin cư trú (Mẫu CT01)", originals=1),),
    methods=(
        SubmissionMethod(Channel.ONLINE, "3 Ngày làm việc", "5,000 Việt Nam Đồng"),
        SubmissionMethod(Channel.IN_PERSON, "3 Ngày làm việc", "10,000 Việt Nam Đồng"),
    ),
    legal_basis=(LegalBasis("Luật Cư trú 2020", "68/2020/QH14"),),
    portal_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/gia-han-tam-tru",
    source_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/gia-han-tam-tru",
)
KHAI_SINH = Procedure(
    code="1.001193",
    name="Thủ tục đăng ký khai sinh",
    field="Hộ tịch",
    levels=("Cấp xã",),
    documents=(
        DocumentItem("Tờ khai đăng ký khai sinh theo mẫu", originals=1, group="Giấy tờ phải nộp"),
        DocumentItem("Giấy chứng sinh", originals=1, group="Giấy tờ phải nộp"),
        DocumentItem(
            "Trường hợp đã nộp bản điện tử Giấy chứng sinh thì không phải nộp bản giấy.",
            originals=0,
            group="Giấy tờ phải nộp",
        ),
    ),
    # The portal gives this procedure's time as a bare "1", without a unit.
    methods=tuple(
        SubmissionMethod(channel, "1", "Miễn phí") for channel in (Channel.ONLINE, Channel.POST, Channel.IN_PERSON)
    ),
    steps=("Nộp hồ sơ.", "Nhận kết quả."),
    legal_basis=(
        LegalBasis("Nghị định số 123/2015/NĐ-CP quy định chi tiết Luật Hộ tịch", "123/2015/NĐ-CP", issued="15/11/2015"),
        LegalBasis("Luật 60/2014/QH13", "60/2014/QH13"),
    ),
    portal_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/khai-sinh",
    source_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/khai-sinh",
    updated=dt.date(2025, 7, 1),
    decision="163/QĐ-BTP",
)
BANK_BRANCH = Procedure(
    code="1.001136",
    name=(
        "Thủ tục sửa đổi, bổ sung Giấy phép đối với nội dung thay đổi địa điểm đặt trụ sở của chi nhánh "
        "ngân hàng nước ngoài"
    ),
    field="Thành lập và hoạt động ngân hàng",
    levels=("Cấp tỉnh",),
    implementing_agencies="Ngân hàng Nhà nước Khu vực",
    documents=(DocumentItem("Văn bản đề nghị sửa đổi địa điểm đặt trụ sở của chi nhánh", originals=1),),
    methods=(
        SubmissionMethod(Channel.POST, "10 Ngày làm việc", "Miễn phí"),
        SubmissionMethod(Channel.IN_PERSON, "10 Ngày làm việc", "Miễn phí"),
    ),
    legal_basis=(LegalBasis("Luật Các tổ chức tín dụng", "32/2024/QH15"),),
    portal_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/ngan-hang",
    source_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/ngan-hang",
)
VNEID_FAQ = Faq(
    id="vneid-muc-2",
    question="Làm thế nào để có tài khoản định danh điện tử mức độ 2?",
    answer=(
        "Anh/chị mang thẻ căn cước đến Công an cấp xã để được hướng dẫn đăng ký tài khoản định danh điện tử "
        "mức độ 2."
    ),
    variants=("đăng ký VNeID mức 2",),
    legal_basis=(LegalBasis("Nghị định quy định về định danh và xác thực điện tử", "69/2024/NĐ-CP"),),
    source="Công an cấp xã",
    updated=dt.date(2025, 8, 1),
)
APOLOGY_FAQ = Faq(
    id="phieu-xin-loi",
    question="Hồ sơ bị trễ hẹn thì cơ quan có phải xin lỗi không?",
    answer=(
        "Có. Khi hồ sơ sẽ bị trễ hẹn, cơ quan giải quyết gửi anh/chị Phiếu xin lỗi và hẹn lại ngày trả kết quả, "
        "ghi rõ lý do và ngày hẹn mới."
    ),
    legal_basis=(LegalBasis("Thông tư quy định chi tiết thi hành cơ chế một cửa", "01/2018/TT-VPCP"),),
)

# The portal's record of "Đăng ký tạm trú" as crawled (dvcqg-ministries-2026), unchanged.
TAM_TRU_RECORD = \
{'ma_thu_tuc': '1.004194',
 'detail_url': 'https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bf7-770b-734d-b7fb-5e1995f194f4',
 'formality_id': '',
 'ten_thu_tuc': 'Đăng ký tạm trú',
 'so_quyet_dinh': '9354/QĐ-BCA-C06',
 'cap_thuc_hien': 'Cấp xã',
 'loai_thu_tuc': 'TTHC được giao luật quy định chi tiết',
 'linh_vuc': 'Đăng ký, quản lý cư trú',
 'doi_tuong_thuc_hien': 'Hợp tác xã, Doanh nghiệp, Công dân Việt Nam, Tổ chức (không bao gồm doanh nghiệp, '
                        'HTX)',
 'co_quan_co_tham_quyen': 'Công an cấp Xã',
 'dia_chi_tiep_nhan': 'Công an cấp xã',
 'co_quan_duoc_uy_quyen': '',
 'co_quan_phoi_hop': '',
 'thu_tuc_lien_quan': 'Không có thông tin',
 'trinh_tu_thuc_hien': 'Bước 1: Cá nhân, tổ chức chuẩn bị hồ sơ theo quy định của pháp luật.\n'
                       ' Bước 2: Cá nhân, tổ chức nộp hồ sơ đến Công an cấp xã.\n'
                       ' Bước 3: Khi tiếp nhận hồ sơ đăng ký tạm trú, cán bộ đăng ký kiểm tra hồ sơ, đối '
                       'chiếu các thông tin mà công dân đã khai báo với thông tin trong Cơ sở dữ liệu quốc '
                       'gia về dân cư, Cơ sở dữ liệu về cư trú, cơ sở dữ liệu khác có liên quan, hệ thống '
                       'thông tin, Kho quản lý dữ liệu điện tử của tổ chức, cá nhân để kiểm tra tính chính '
                       'xác các thông tin. Đối chiếu với các quy định của pháp luật về cư trú và thực hiện '
                       'như sau:\n'
                       '- Trường hợp hồ sơ đủ điều kiện theo quy định tại Điều 27 Luật Cư trú thì cán bộ '
                       'đăng ký tiếp nhận và cấp Phiếu tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu CT04 ban hành '
                       'kèm theo Thông tư số 66/2023/TT- BCA) cho người đăng ký.\n'
                       '- Trường hợp hồ sơ không đủ điều kiện thì từ chối và cấp Phiếu từ chối tiếp nhận, '
                       'giải quyết hồ sơ (mẫu CT06 ban hành kèm theo Thông tư số 66/2023/TT-BCA) cho người '
                       'đăng ký.\n'
                       ' Bước 4: Cá nhân, tổ chức nộp lệ phí đăng ký tạm trú theo quy định.\n'
                       ' Bước 5: Căn cứ theo ngày hẹn trên Phiếu tiếp nhận hồ sơ và hẹn trả kết quả để nhận '
                       'thông báo kết quả giải quyết thủ tục đăng ký cư trú (nếu có).',
 'cach_thuc_thuc_hien': 'Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến3 Ngày làm việc7,000 Việt Nam '
                        'Đồng(- Đăng ký tạm trú (cá nhân, hộ gia đình): + Trường hợp công dân nộp hồ sơ qua '
                        'cổng dịch vụ công trực tuyến thu 7.000 đồng/lần đăng ký.)- Nộp hồ sơ trực tuyến qua '
                        'các cổng cung cấp dịch vụ công trực tuyến như: Trực tuyến qua Cổng dịch vụ công '
                        'quốc gia, Cổng dịch vụ công Bộ Công an, ứng dụng VNeID hoặc dịch vụ công trực tuyến '
                        'khác theo quy định của pháp luật. Thời gian tiếp nhận hồ sơ: Giờ hành chính các '
                        'ngày làm việc từ thứ 2 đến thứ 6 và sáng thứ 7 hàng tuần (trừ các ngày nghỉ lễ, tết '
                        'theo quy định của pháp luật).Trực tiếp3 Ngày làm việc10,000 Việt Nam Đồng(- Đăng ký '
                        'tạm trú theo danh sách: + Trường hợp công dân nộp hồ sơ trực tiếp thu 10.000 '
                        'đồng/người/lần đăng ký;)- Nộp hồ sơ trực tiếp tại Công an cấp xã. Thời gian tiếp '
                        'nhận hồ sơ: Giờ hành chính các ngày làm việc từ thứ 2 đến thứ 6 và sáng thứ 7 hàng '
                        'tuần (trừ các ngày nghỉ lễ, tết theo quy định của pháp luật).',
 'thanh_phan_ho_so': '* Hồ sơ đăng ký tạm trú gồm: Tên giấy tờMẫu đơn, tờ khaiSố lượngVí dụ: Trường hợp giấy '
                     'tờ, tài liệu chứng minh chỗ ở hợp pháp là giấy tờ, tài liệu chứng nhận về quyền sử '
                     'dụng đất, quyền sở hữu tài sản gắn liền với đất do cơ quan có thẩm quyền cấp qua các '
                     'thời kỳ theo quy định của pháp luật về đất đai và nhà ở được khai thác trong Cơ sở dữ '
                     'liệu quốc gia về đất đai thì không phải xuất trình giấy tờ, tài liệu chứng minh chỗ ở '
                     'hợp pháp.0 bản chínhThông tin chứng minh về chỗ ở hợp pháp được khai thác trong căn '
                     'cước điện tử, tài khoản định danh điện tử trên hệ thống định danh và xác thực điện tử '
                     'qua Ứng dụng định danh quốc gia hoặc trong Cơ sở dữ liệu quốc gia về dân cư, Cơ sở dữ '
                     'liệu về cư trú, Kho quản lý dữ liệu điện tử tổ chức, cá nhân trên Cổng dịch vụ công '
                     'quốc gia, Hệ thống thông tin giải quyết thủ tục hành chính cấp bộ, cấp tỉnh hoặc cơ sở '
                     'dữ liệu quốc gia, cơ sở dữ liệu chuyên ngành khác. Trường hợp không khai thác được '
                     'thông tin thì công dân xuất trình giấy tờ, tài liệu chứng minh chỗ ở hợp pháp theo quy '
                     'định tại khoản 3 Điều 5 Nghị định 154/2024/NĐ-CP ngày 26/11/2024 của Chính phủ.1 bản '
                     'chínhTờ khai thay đổi thông tin cư trú (Mẫu CT01 ban hành kèm theo Thông tư số '
                     '53/2025/TT-BCA); đối với người đăng ký tạm trú là người chưa thành niên thì trong tờ '
                     'khai phải ghi rõ ý kiến đồng ý của cha, mẹ hoặc người giám hộ, trừ trường hợp đã có ý '
                     'kiến đồng ý bằng văn bản;1.MuCT01banhnhkmtheoThngts53.doc1 bản chính* Đăng ký tạm trú '
                     'theo danh sách, hồ sơ gồm:Tên giấy tờMẫu đơn, tờ khaiSố lượngTờ khai thay đổi thông '
                     'tin cư trú (của từng người) (Mẫu CT01 ban hành kèm theo Thông tư số '
                     '53/2025/TT-BCA).1.MuCT01banhnhkmtheoThngts53.doc1 bản chínhVăn bản đề nghị đăng ký tạm '
                     'trú, trong đó ghi rõ thông tin về chỗ ở hợp pháp kèm danh sách người tạm trú. Danh '
                     'sách bao gồm những thông tin cơ bản của từng người: họ, chữ đệm và tên; ngày, tháng, '
                     'năm sinh; giới tính; số định danh cá nhân và thời hạn tạm trú.1 bản chính,1 bản '
                     'saoĐăng ký tạm trú tại nơi đơn vị đóng quân trong Công an nhân dân, Quân đội nhân nhân '
                     '(đơn vị đóng quân, nhà ở công vụ) hồ sơ gồm:Tên giấy tờMẫu đơn, tờ khaiSố lượngĐối với '
                     'Quân đội nhân dân: Giấy giới thiệu đăng ký tạm trú của đơn vị cấp trung đoàn và tương '
                     'đương trở lên.1 bản chínhTờ khai thay đổi thông tin  cư trú (Mẫu CT01 ban hành kèm '
                     'theo Thông tư số 53/2025/TT-BCA).1.MuCT01banhnhkmtheoThngts53.doc1 bản chínhĐối với '
                     'Công an nhân dân: Giấy giới thiệu của Thủ trưởng đơn vị quản lý trực tiếp ghi rõ nội '
                     'dung để làm thủ tục đăng ký tạm trú và đơn vị có chỗ ở cho cán bộ chiến sĩ (ký tên, '
                     'đóng dấu).1 bản chính--Tên giấy tờMẫu đơn, tờ khaiSố lượng*Lưu ý: - Trường hợp giấy '
                     'tờ, tài liệu chứng minh chỗ ở hợp pháp để đăng ký tạm trú là văn bản cho thuê, cho '
                     'mượn, cho ở nhờ nhà ở, nhà khác của cá nhân, tổ chức thì văn bản đó không bắt buộc '
                     'phải công chứng hoặc chứng thực. - Người nước ngoài được nhập quốc tịch Việt Nam khi '
                     'đăng ký tạm trú lần đầu phải có Quyết định của Chủ tịch nước về việc cho nhập quốc '
                     'tịch Việt Nam. Người gốc Việt Nam được trở lại quốc tịch Việt Nam khi đăng ký tạm trú '
                     'lần đầu sau khi được cho trở lại quốc tịch Việt Nam phải có Quyết định của Chủ tịch '
                     'nước về việc cho trở lại quốc tịch Việt Nam trừ trường hợp đã khai thác được thông tin '
                     'trong Cơ sở dữ liệu quốc tịch. - Công dân đăng ký tạm trú về với hộ gia đình thuộc '
                     'trường hợp quy định tại khoản 2 Điều 20 Luật Cư trú khi chủ hộ, chủ sở hữu chỗ ở hợp '
                     'pháp đồng ý và không phải xuất trình, cung cấp giấy tờ chứng minh chỗ ở hợp pháp. - '
                     'Trong thời hạn tối đa 60 ngày kể từ ngày người chưa thành niên được đăng ký khai sinh '
                     'thì phải thực hiện thủ tục đăng ký cư trú.0 bản chính',
 'can_cu_phap_ly': 'Tên văn bản pháp lýMã văn bảnThông tư số 53/2025/TT-BCAngày 01/7/2025 của Bộ Công an sửa '
                   'đổi, bổ sung một số điều của Thông tư số 55/2021/TT-BCA ngày 15 tháng 5 năm 2021 của Bộ '
                   'trưởng Bộ Công an quy định chi tiết một số điều và biện pháp thi hành Luật Cư trú được '
                   'sửa đổi, bổ sung bởi Thông tư số 66/2023/TT-BCA ngày 17 tháng 11 năm 2023; Thông tư số '
                   '56/2021/TT-BCA ngày 15 tháng 5 năm 2021 của Bộ trưởng Bộ Công an quy định về biểu mẫu '
                   'trong đăng ký, quản lý cư trú được sửa đổi, bổ sung bởi Thông tư số 66/2023/TT-BCA ngày '
                   '17 tháng 11 năm 2023; Thông tư số 17/2024/TT-BCA ngày 15 tháng 5 năm 2024 của Bộ trưởng '
                   'Bộ Công an quy định chi tiết một số điều và biện pháp thi hành Luật Căn '
                   'cước.53/2025/TT-BCAThông tư số 66/2023/TT-BCA Sửa đổi, bổ sung một số điều của Thông tư '
                   'số 55/2021/TT-BCA ngày 15/5/2021 quy định chi tiết một số điều và biện pháp thi hành '
                   'Luật Cư trú; Thông tư số 56/2021/TT-BCA ngày 15/5/2021 của Bộ trưởng Bộ Công an quy định '
                   'về biểu mẫu trong đăng ký, quản lý cư trú; Thông tư số 57/2021/TT-BCA ngày 15/5/2021 của '
                   'Bộ trưởng Bộ Công an quy định về quy trình đăng ký cư trú.66/2023/TT-BCAThông tư số '
                   '75/2022/TT-BTC của Bộ Tài chính: Quy định mức thu, chế độ thu, nộp và quản lý lệ phí '
                   'đăng ký cư trú75/2022/TT-BTCThông tư 57/2021/TT-BCA57/2021/TT-BCANghị quyết số '
                   '66.7/2025/NQ-CP của Chính phủ: Quy định cắt giảm, đơn giản hóa thủ tục hành chính dựa '
                   'trên dữ liệu66.7/2025/NQ-CPLuật Cư trú 202068/2020/QH14Thông tư số 54/2025/TT-BCA ngày '
                   '01/7/2025 của Bộ trưởng Bộ Công an quy định về quy trình đăng ký cư '
                   'trú.54/2025/TT-BCANghị định quy định chi tiết một số điều và biện pháp thi hành Luật Cư '
                   'trú154/2024/NĐ-CPThông tư 55/2021/TT-BCA55/2021/TT-BCAThông tư '
                   '56/2021/TT-BCA56/2021/TT-BCAThông tư Hướng dẫn về phí và lệ phí thuộc thẩm quyền quyết '
                   'định của Hội đồng nhân dân tỉnh, thành phố trực thuộc Trung ương85/2019/TT-BTC',
 'co_quan_thuc_hien': 'Công an cấp Xã',
 'yeu_cau_dieu_kien': 'Không có thông tin',
 'ket_qua_xu_ly': 'Phiếu từ chối tiếp nhận, giải quyết hồ sơ (lĩnh vực cư trú)Mã: KQ.G01.000067Cập nhật '
                  'thông tin trong Cơ sở dữ liệu quốc gia về dân cưMã: KQ.G01.000064Thông báo kết quả giải '
                  'quyết thủ tục về cư trú, hủy bỏ thủ tục về cư trúMã: KQ.G01.000065Cập nhật thông tin '
                  'trong Cơ sở dữ liệu về cư trúMã: KQ.G01.000066Từ khóaKhông có thông tinMô tảKhông có '
                  'thông tinChọn cơ quan thực hiệnTỉnh/ Thành phốBộ ngành-- Chọn Tỉnh/ Thành phố --Phường/ '
                  'XãSở-- Chọn Phường/ Xã --Hệ thống chỉ hiển thị những cơ quan đã áp dụng dịch vụ công trực '
                  'tuyếnNộp hồ sơ',
 'ministry_dir': 'bo-cong-an'}


def pseudonym(channel: str, user_id: str) -> str:
    """A stand-in for the bot storage's keyed pseudonym in tests."""
    return f"p:{channel}:{user_id}"
