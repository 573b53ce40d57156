"""What the citizen means: rule-based intents on accent-folded text, and the data buttons carry.
One intent is also learnt: whether a question asks about the law (:mod:`handlers._legal`).

Citizens type without diacritics, in teencode and in fragments ("lệ phí bn z ad"), so every cue
is matched on the folded syllables of :func:`retrieval.normalize_query`'s output: "le phi" matches
"lệ phí", "le phi" and "lệ phi" alike. Cues are whole-syllable phrases, never substrings, so "phi"
does not fire inside "phiếu".

Two questions are asked of a message. *Which cues does it contain?* decides the kind of intent.
*Is there anything else in it?* (the residual after cue phrases and filler words are removed)
separates "xin chào" (a greeting) from "xin chào, cho hỏi đăng ký tạm trú" (a question), and
"lệ phí bao nhiêu?" (a follow-up about the procedure under discussion) from "lệ phí đăng ký kết
hôn bao nhiêu?" (a new question).

The cue lists are reviewed constants: add a phrase when citizens are seen using it, and keep
phrases specific enough that a procedure question cannot trip them ("hồ sơ quá hạn", not "quá
hạn", which is also how an expired ID card is described).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar

from ._legal import message_tokens

__all__ = [
    "CONTACT_DATA",
    "ERASE_ACTIONS",
    "FEEDBACK_DATA",
    "HELP_DATA",
    "INTAKE_ACTIONS",
    "NONE_DATA",
    "PLAIN_KINDS",
    "SEND_DATA",
    "Choice",
    "Erase",
    "Escalate",
    "Feedback",
    "FollowUp",
    "Intake",
    "Intent",
    "IntentKind",
    "Lookup",
    "Menu",
    "MenuTopic",
    "More",
    "Pick",
    "Plain",
    "Question",
    "Rate",
    "Section",
    "Vote",
    "detect_intent",
    "erase_data",
    "intake_data",
    "menu_data",
    "more_data",
    "parse_callback",
    "pick_data",
    "rate_data",
    "section_data",
    "vote_data",
]


class Section(str, Enum):
    """A part of a procedure a follow-up asks about."""

    DOCUMENTS = "documents"
    TIME = "time"
    FEE = "fee"
    ONLINE = "online"
    WHERE = "where"
    LEGAL = "legal"
    # Parts only "Xem thêm" offers (as buttons), too long for the card: no typed cue picks them.
    STEPS = "steps"
    CONDITIONS = "conditions"
    DETAILS = "details"  # everything: "xem thêm", "chi tiết"


class MenuTopic(str, Enum):
    PROCEDURES = "procedures"
    FAQ = "faq"
    FEEDBACK = "feedback"


class IntentKind(str, Enum):
    GREETING = "greeting"  # /start, "xin chào"
    HELP = "help"
    RESET = "reset"
    THANKS = "thanks"  # also "ok", "vâng": an acknowledgement that needs no search
    VOTE = "vote"  # 👍/👎, typed or tapped
    CHOICE = "choice"  # a bare number: the n-th button of the last reply
    PICK = "pick"  # a tapped entry (a clarification choice, an FAQ from the menu)
    MORE = "more"  # "xem thêm" on an entry
    MENU = "menu"
    CONTACT = "contact"  # the ward's contacts, or an official's personal number
    SMALL_TALK = "small_talk"
    LEGAL = "legal"  # is this legal, what is the penalty, who is right: advice the bot does not give
    GRIEVANCE = "grievance"  # khiếu nại / tố cáo: its own legal channel, not feedback
    FEEDBACK = "feedback"  # phản ánh, kiến nghị: potholes, noise, late dossiers...
    ESCALATE = "escalate"  # "send this to an official"
    NONE_OF_THESE = "none_of_these"  # none of the offered choices fits
    FOLLOW_UP = "follow_up"  # only asks about sections of the procedure under discussion
    LOOKUP = "lookup"  # "tra cứu PA-2026-000123 [lookup code]": a ticket's status
    INTAKE = "intake"  # a button of the feedback intake (confirm, edit, cancel, skip, consent...)
    RATE = "rate"  # a SIPAS score (or a skip) for a closed ticket
    ERASE = "erase"  # "xóa dữ liệu của tôi": typed, or the confirmation's buttons (ERASE_ACTIONS)
    QUESTION = "question"  # anything else: search the knowledge base


class Intent:
    """A message's meaning. Each kind of intent (:class:`IntentKind`) has a class of its own that
    holds only what that kind needs, and ``kind`` names it; the kinds that need nothing share
    :class:`Plain`. Intents are frozen dataclasses, equal when kind and fields are."""

    __slots__ = ()

    # A read-only property here, so that each class may give it as a class constant or, like
    # Plain, as a field.
    @property
    def kind(self) -> IntentKind:
        raise NotImplementedError


# The kinds whose intent is the kind alone.
PLAIN_KINDS = frozenset(
    {
        IntentKind.GREETING,
        IntentKind.HELP,
        IntentKind.RESET,
        IntentKind.THANKS,
        IntentKind.CONTACT,
        IntentKind.SMALL_TALK,
        IntentKind.LEGAL,
        IntentKind.GRIEVANCE,
        IntentKind.NONE_OF_THESE,
    }
)


@dataclass(frozen=True, slots=True)
class Plain(Intent):
    """An intent of one of :data:`PLAIN_KINDS`, which carry nothing but their kind."""

    kind: IntentKind

    def __post_init__(self) -> None:
        if self.kind not in PLAIN_KINDS:
            raise ValueError(f"a {self.kind.value} intent carries data: use its own class")


@dataclass(frozen=True, slots=True)
class Choice(Intent):
    """A typed bare number: the ``number``-th button of the last reply, if it has one."""

    kind: ClassVar[IntentKind] = IntentKind.CHOICE
    number: int


@dataclass(frozen=True, slots=True)
class Pick(Intent):
    """A tapped entry: a clarification's choice, an FAQ from the menu, a related procedure."""

    kind: ClassVar[IntentKind] = IntentKind.PICK
    entry_id: str


@dataclass(frozen=True, slots=True)
class More(Intent):
    """«Xem thêm» on an entry (``section`` None), or one part of it that «Xem thêm» offers."""

    kind: ClassVar[IntentKind] = IntentKind.MORE
    entry_id: str
    section: Section | None = None


@dataclass(frozen=True, slots=True)
class Vote(Intent):
    """👍 or 👎: tapped under an entry's answer (``entry_id``), or typed (for the entry at hand)."""

    kind: ClassVar[IntentKind] = IntentKind.VOTE
    helpful: bool
    entry_id: str = ""


@dataclass(frozen=True, slots=True)
class Menu(Intent):
    kind: ClassVar[IntentKind] = IntentKind.MENU
    topic: MenuTopic


@dataclass(frozen=True, slots=True)
class Feedback(Intent):
    """A report (phản ánh, kiến nghị); ``standalone`` when the message holds nothing but the words
    of wanting to report, so no report of its own (or it is the button that files a grievance
    as feedback)."""

    kind: ClassVar[IntentKind] = IntentKind.FEEDBACK
    standalone: bool = False


@dataclass(frozen=True, slots=True)
class Escalate(Intent):
    """A question for an official; ``standalone`` when the message holds no question of its own
    (or it is the offer's button, which sends the last one)."""

    kind: ClassVar[IntentKind] = IntentKind.ESCALATE
    standalone: bool = False


@dataclass(frozen=True, slots=True)
class FollowUp(Intent):
    """A message that asks only about ``sections`` (at least one) of the procedure under discussion."""

    kind: ClassVar[IntentKind] = IntentKind.FOLLOW_UP
    sections: tuple[Section, ...]


@dataclass(frozen=True, slots=True)
class Question(Intent):
    """Anything else: a search of the knowledge base. ``sections``: parts it also asks about."""

    kind: ClassVar[IntentKind] = IntentKind.QUESTION
    sections: tuple[Section, ...] = ()


@dataclass(frozen=True, slots=True)
class Lookup(Intent):
    """A ticket's status, asked for as «tra cứu PA-2026-000123 [lookup code]»; ``secret``: the lookup code."""

    kind: ClassVar[IntentKind] = IntentKind.LOOKUP
    code: str
    secret: str = ""


@dataclass(frozen=True, slots=True)
class Intake(Intent):
    """A button of the feedback intake: one of :data:`INTAKE_ACTIONS`."""

    kind: ClassVar[IntentKind] = IntentKind.INTAKE
    action: str


@dataclass(frozen=True, slots=True)
class Rate(Intent):
    """A SIPAS button of ticket ``code``: ``score`` 1-5 for its ``factor``-th factor, 0 skips it."""

    kind: ClassVar[IntentKind] = IntentKind.RATE
    code: str
    factor: int
    score: int


@dataclass(frozen=True, slots=True)
class Erase(Intent):
    """Erasing the citizen's data («xóa dữ liệu của tôi»): typed (``confirm`` None), or the
    confirmation's answer (True erases, False keeps)."""

    kind: ClassVar[IntentKind] = IntentKind.ERASE
    confirm: bool | None = None


# --- callback data ------------------------------------------------------------------------------
# Short, because Telegram allows 64 bytes of callback data; entry ids (procedure codes, FAQ file
# names) fit comfortably. A pressed button's data is untrusted input: parse_callback validates it.

SEND_DATA = "send"  # send the stored question to an official
NONE_DATA = "none"
FEEDBACK_DATA = "feedback"  # record the stored message as feedback rather than a grievance
HELP_DATA = "help"
CONTACT_DATA = "contact"
_PICK, _MORE, _VOTE, _MENU, _INTAKE, _RATE = "pick:", "more:", "vote:", "menu:", "intake:", "rate:"
_ERASE = "erase:"
# The two answers to "erase your data?"; a typed request carries no action.
ERASE_ACTIONS = frozenset({"confirm", "keep"})
_SECTION = "sec:"
# What the intake's buttons do: confirm, edit (then which part), cancel, skip the photo, consent.
INTAKE_ACTIONS = frozenset(
    {
        "confirm",
        "edit",
        "cancel",
        "skip",
        "consent",
        "anonymous",
        "edit_what",
        "edit_where",
        "edit_photo",
        "edit_contact",
    }
)
# A ticket code as citizens type it (any case), optionally followed by its 8-symbol lookup code.
_TICKET_CODE = re.compile(r"\b((?:PA|HD)-\d{4}-\d{6})\b(?:\W+([A-Z0-9]{8})\b)?", re.IGNORECASE)
# A SIPAS button's factor and score as rate_data writes them: small numbers in ASCII digits. Not
# str.isdigit, which also takes "²", a digit int() refuses.
_RATE_NUMBER = re.compile(r"[0-9]{1,9}")


def pick_data(entry_id: str) -> str:
    return _PICK + entry_id


def more_data(entry_id: str) -> str:
    return _MORE + entry_id


def section_data(entry_id: str, section: Section) -> str:
    """One part of an entry, as "Xem thêm" offers it: the entry's code after the section, since
    codes never hold a colon."""
    return f"{_SECTION}{section.value}:{entry_id}"


def vote_data(entry_id: str, helpful: bool) -> str:
    return f"{_VOTE}{int(helpful)}:{entry_id}"


def menu_data(topic: MenuTopic) -> str:
    return _MENU + topic.value


def intake_data(action: str) -> str:
    return _INTAKE + action


def erase_data(action: str) -> str:
    return _ERASE + action


def rate_data(code: str, factor: int, score: int) -> str:
    """A SIPAS button: ``score`` 1-5 for the ``factor``-th factor of ticket ``code``; 0 skips it."""
    return f"{_RATE}{code}:{factor}:{score}"


def parse_callback(data: str) -> Intent | None:
    """The intent a button press carries, or None for data this version never produced."""
    fixed: dict[str, Intent] = {
        SEND_DATA: Escalate(standalone=True),
        NONE_DATA: Plain(IntentKind.NONE_OF_THESE),
        FEEDBACK_DATA: Feedback(standalone=True),
        HELP_DATA: Plain(IntentKind.HELP),
        CONTACT_DATA: Plain(IntentKind.CONTACT),
    }
    if data in fixed:
        return fixed[data]
    prefix, _, rest = data.partition(":")
    if not rest:
        return None
    if prefix + ":" == _PICK:
        return Pick(rest)
    if prefix + ":" == _MORE:
        return More(rest)
    if prefix + ":" == _SECTION:
        section, _, entry_id = rest.partition(":")
        if section in Section._value2member_map_ and entry_id:
            return More(entry_id, Section(section))
        return None
    if prefix + ":" == _VOTE:
        flag, _, entry_id = rest.partition(":")
        if flag in ("0", "1") and entry_id:
            return Vote(helpful=flag == "1", entry_id=entry_id)
        return None
    if prefix + ":" == _MENU and rest in MenuTopic._value2member_map_:
        return Menu(MenuTopic(rest))
    if prefix + ":" == _INTAKE and rest in INTAKE_ACTIONS:
        return Intake(rest)
    if prefix + ":" == _ERASE and rest in ERASE_ACTIONS:
        return Erase(confirm=rest == "confirm")
    if prefix + ":" == _RATE:
        code, factor, score = (rest.split(":") + ["", ""])[:3]
        if _TICKET_CODE.fullmatch(code) and _RATE_NUMBER.fullmatch(factor) and _RATE_NUMBER.fullmatch(score):
            return Rate(code, int(factor), int(score))
    return None


# --- cue lists (folded syllables) -----------------------------------------------------------------

# Words that carry no subject of their own: pronouns, particles, politeness, and the generic verbs
# of asking about a procedure. What is left after removing them (and the cues) is the subject.
FILLER_WORDS = frozenset(
    """
    a ah anh chi em minh toi tui ban ad admin bot ong ba co chu bac mn moi nguoi oi
    nhe nha nhi ha vay the thi di khong chua roi sao gi nao nhu la ma day do nay kia cai con nua
    them hoi xin cho hay vui long giup duoc luon lam phai can biet muon ve de voi va hoac neu khi
    ra thu tuc ho so nop dang ky viec o tai cua mot bao nhieu mat het ton
    """.split()
)

_COMMANDS = {
    "start": IntentKind.GREETING,
    "menu": IntentKind.GREETING,
    "help": IntentKind.HELP,
    "reset": IntentKind.RESET,
}

# Conversational cues count only when nothing else is in the message; the first kind listed wins
# when several are present ("thôi, cảm ơn" ends a conversation, so RESET comes before THANKS).
CONVERSATION_CUES: dict[IntentKind, tuple[str, ...]] = {
    IntentKind.RESET: ("bat dau lai", "lam lai tu dau", "xoa het", "huy", "huy bo", "thoi"),
    IntentKind.HELP: (
        "huong dan", "tro giup", "giup do", "su dung", "cach dung", "lam duoc gi", "biet lam gi",
        "ho tro gi",
    ),
    IntentKind.GREETING: (
        "xin chao", "chao", "hello", "hi", "helo", "alo", "alo alo", "chao buoi sang", "chao buoi chieu",
        "chao buoi toi", "start", "menu", "danh muc",
    ),
    IntentKind.THANKS: (
        "cam on", "cam on nhieu", "thank", "thanks", "thank you", "ok", "oke", "okay", "okie", "vang",
        "da", "duoc roi", "hieu roi", "ro roi", "tot qua",
    ),
}  # fmt: skip

# Khiếu nại and tố cáo follow their own laws and are never filed as feedback (domain notes §3.1).
GRIEVANCE_CUES = ("khieu nai", "to cao", "don khieu nai", "don to cao")

# Phản ánh, kiến nghị: the explicit words, then what citizens describe without naming it.
FEEDBACK_CUES = (
    # explicit
    "phan anh", "kien nghi", "gop y",
    # roads and drains
    "o ga", "o voi", "duong hong", "duong bi hong", "duong xuong cap", "sut lun", "lun sut", "nap cong",
    "ho ga", "tac cong", "cong bi tac", "cong thoat nuoc", "nuoc thai",
    # rubbish and pollution
    "rac thai", "do rac", "vut rac", "bai rac", "xa rac", "dot rac", "rac ton dong", "khong thu gom rac",
    "boc mui", "hoi thoi", "o nhiem", "khoi bui",
    # noise
    "tieng on", "on ao", "gay on", "karaoke", "loa keo", "hat hoi", "mo nhac to",
    # flooding
    "ngap", "ngap nuoc", "ngap ung", "bi ngap",
    # street lights and trees
    "den duong", "den chieu sang", "cot den", "cay do", "cay gay", "cay nga",
    # encroachment and illegal building
    "lan chiem", "chiem via he", "chiem dung", "chiem long duong", "xay trai phep", "xay dung trai phep",
    "bay hang ra", "bay ban ra", "het via he", "chan loi di", "chan het loi", "khong ra vao duoc",
    # stray animals
    "tha rong", "cho hoang", "meo hoang", "bo tha",
    # water and power cuts
    "mat nuoc", "cup nuoc", "mat dien", "cup dien", "khong co nuoc", "khong co dien",
)  # fmt: skip
# Reports about the service itself. The reform FAQs cover the same ground ("hồ sơ trễ hẹn thì có
# phiếu xin lỗi không?"), so these count as feedback only when the message is not a question.
SERVICE_FEEDBACK_CUES = (
    "thai do", "hach sach", "hach dich", "nhung nhieu", "gay kho khan", "gay kho de", "cua quyen",
    "thieu trach nhiem", "quat nat", "tre hen", "tre han", "qua hen", "cham tra", "cham tre", "ho so qua han",
    "chua tra ket qua", "hen lan hen lua", "hen di hen lai",
)  # fmt: skip
# The words of "I want to report something" that carry no report of their own.
_FEEDBACK_INTRO = ("phan anh", "kien nghi", "gop y", "gui", "bao")

ESCALATE_CUES = (
    "gap can bo", "gap truc tiep", "noi chuyen voi can bo", "noi chuyen voi nguoi", "nguoi that",
    "chuyen cho can bo", "chuyen can bo", "gui cho can bo", "gui can bo", "hoi can bo", "can bo tra loi",
    "tu van vien", "lien he can bo", "gui cau hoi", "chuyen cau hoi",
)  # fmt: skip

# Contact requests count only when nothing else is asked ("số điện thoại đường dây nóng 1022" is
# an FAQ question); the role words are what citizens add when asking for an official's number.
CONTACT_CUES = (
    "so dien thoai", "dien thoai", "so dt", "zalo", "so zalo", "lien he", "lien lac", "email",
    "dia chi phuong", "dia chi lien he", "chu tich", "pho chu tich", "can bo", "ca nhan", "phuong",
    "xa", "bi thu", "truong cong an", "cong an", "ubnd", "uy ban nhan dan",
)  # fmt: skip
_CONTACT_CORE = ("so dien thoai", "dien thoai", "so dt", "zalo", "so zalo", "lien he", "lien lac", "email")

# Questions about the law rather than a procedure: whether something is legal, what the penalty or
# the rule is, who is right in a dispute. The bot guides procedures; it does not give legal advice.
# These cues catch the plainest; the many that carry none are caught by the model of
# handlers/_legal.py, once the search has found no procedure it is sure of (Dialogue._question).
# Written from the kinds of legal question, not from any evaluation set. Bare "kiện" and "hợp
# pháp" are left out: folded, they are also "điều kiện", "kiến nghị" and "hợp pháp hóa lãnh sự";
# so are "bị tù" ("bị từ chối") and "bồi thường" (a procedure of its own).
LEGAL_CUES = (
    # is it lawful
    "vi pham", "pham phap", "trai phap luat", "trai luat", "sai luat", "sai phap luat", "dung luat khong",
    "co dung luat", "co hop phap", "hop phap khong", "bat hop phap", "khong hop phap", "co duoc phep khong",
    "co bi cam", "bi cam khong",
    # penalties and crimes
    "bi phat", "xu phat", "muc phat", "phat bao nhieu", "phat tien", "bi xu ly", "xu ly the nao",
    "xu ly nhu the nao", "xu ly ra sao", "che tai", "ngoi tu", "phat tu", "an treo", "truy cuu",
    "hinh su", "tien an", "pham toi", "toi danh", "bi bat giam", "tam giam", "bi khoi to",
    # disputes and opinions
    "tranh chap", "khoi kien", "kien ra toa", "di kien", "nop don kien", "ai dung ai sai", "ben nao dung",
    "co quyen doi", "doi lai duoc khong", "chiu trach nhiem",
    # what the rule is
    "tieu chuan", "luat quy dinh", "phap luat quy dinh", "quy dinh the nao", "quy dinh nhu the nao",
    "quy dinh ra sao", "theo luat thi", "co bat buoc", "bat buoc khong", "nghia vu gi",
)  # fmt: skip
# A message that asks how to do a procedure stays a procedure question, even with a legal word
# ("nộp phạt vi phạm giao thông ở đâu", "hồ sơ xóa án tích cần gì").
_PROCEDURE_ASKS = (
    "nop phat", "dong phat", "nop tien phat", "thu tuc", "ho so", "giay to", "can nhung gi", "can gi",
    "nop o dau", "lam o dau", "dang ky o dau", "xoa an tich", "ly lich tu phap",
)  # fmt: skip

# "Xóa dữ liệu của tôi": the citizen asks the bot to erase what it holds about them. It takes a verb
# of erasing and an object that is their data, and nothing else but these words and fillers:
# "xóa đăng ký thường trú", "xóa án tích" and "xóa thông tin thế chấp" are procedures to look up.
ERASE_VERBS = ("xoa", "xoa bo", "xoa sach", "xoa di", "go bo")
ERASE_OBJECTS = (
    "du lieu", "du lieu ca nhan", "thong tin", "thong tin ca nhan", "tin nhan", "lich su", "lich su chat",
    "lich su tro chuyen", "cuoc tro chuyen", "noi dung tro chuyen", "so dien thoai",
)  # fmt: skip
# What a request to erase also says: how much, that it was stored, that it is a request.
_ERASE_WORDS = (
    "tat ca", "toan bo", "ca nhan", "da luu", "luu", "da gui", "gui", "da cung cap", "cung cap", "yeu cau",
    "de nghi", "huong dan", "cach", "dum",
)  # fmt: skip

SMALL_TALK_CUES = (
    "ban la ai", "ban ten gi", "ten ban la gi", "may tuoi", "an com chua", "khoe khong", "co khoe khong",
    "thoi tiet", "troi mua", "nhiet do", "gia vang", "ty gia", "gia xang", "xo so", "ket qua xo so",
    "lo de", "bong da", "lam tho", "bai tho", "ke chuyen", "chuyen cuoi", "haha", "hihi", "test",
    "nguoi yeu", "buon qua", "chan qua",
)  # fmt: skip

SECTION_CUES: dict[Section, tuple[str, ...]] = {
    Section.FEE: (
        # Not bare "phí", "tiền" or "giá": "đất phi nông nghiệp", "thuận tiện", "hộ gia đình".
        "le phi", "chi phi", "mien phi", "phi bao nhieu", "bao nhieu phi", "co phi", "mat phi",
        "ton phi", "thu phi", "phi gi", "bao nhieu tien", "mat tien", "ton tien", "het tien",
        "gia bao nhieu", "het bao nhieu", "ton bao nhieu", "tra bao nhieu", "bao nhieu dong",
    ),
    Section.TIME: (
        # Not bare "khi nào": "khi nào phải đăng ký" asks about an obligation, not a duration.
        "bao lau", "may ngay", "bao nhieu ngay", "thoi gian", "thoi han", "lau khong", "may hom",
        "bao nhieu hom", "may tuan", "khi nao co", "khi nao xong", "khi nao lay", "bao gio co",
        "bao gio xong", "bao gio lay", "lay ket qua", "co ket qua", "ra ket qua",
    ),
    Section.ONLINE: (
        "online", "onl", "truc tuyen", "qua mang", "tren mang", "qua internet", "qua app", "tren app",
        "lam tai nha", "nop tai nha", "o nha nop", "o nha lam", "qua dich vu cong", "tren dich vu cong",
        "cong dich vu cong", "qua vneid", "tren vneid", "bang vneid", "khong can den", "khong phai den",
        "khoi phai di",
    ),
    Section.DOCUMENTS: (
        "giay to", "can mang", "mang gi", "mang theo", "can gi", "can nhung gi", "chuan bi",
        "thanh phan", "ho so gom", "gom nhung gi", "gom gi", "to khai", "mau don", "nhung giay",
    ),
    Section.WHERE: (
        "o dau", "nop o dau", "lam o dau", "cho nao", "noi nop", "nop o", "nop tai", "dia chi nop", "dia chi nao", "den dau",
        "di dau", "co quan nao", "phuong khac", "xa khac", "noi khac",
    ),
    Section.LEGAL: (
        "can cu", "phap ly", "luat nao", "theo luat", "nghi dinh nao", "thong tu nao", "van ban nao",
        "quy dinh nao", "co so phap ly", "dieu may",
    ),
    Section.DETAILS: ("xem them", "chi tiet", "day du", "cu the", "cac buoc", "trinh tu", "them thong tin"),
}  # fmt: skip

CHOICE_WORDS = frozenset("so chon lua phuong an y cau muc thu".split())
# How a Vietnamese question ends, or what it contains, when the citizen typed no "?".
QUESTION_ENDINGS = frozenset("khong chua sao gi nao dau a ha nhi chang".split())
QUESTION_PHRASES = ("co phai", "lam sao", "the nao", "ra sao", "bao gio", "tai sao", "vi sao", "co duoc")

_THUMBS_UP, _THUMBS_DOWN = "👍", "👎"
# Skin-tone modifiers and the variation selector that phones append to emoji.
_EMOJI_TRIMMINGS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\\s]")
_COMMAND = re.compile(r"/([a-z_]+)(?:@\w+)?\b(.*)", re.DOTALL)
# A typed choice, in decimal digits of any script ("٣" too), which int() reads; not str.isdigit,
# which also takes "²". At most 12 digits, as long as an ID card number: int() refuses a run of
# over 4,300, and no list of buttons comes near.
_CHOICE_NUMBER = re.compile(r"\d{1,12}")


# --- matching -------------------------------------------------------------------------------------


def _padded(tokens: Iterable[str]) -> str:
    return f" {' '.join(tokens)} "


def _found(padded: str, phrases: Iterable[str]) -> bool:
    return any(f" {phrase} " in padded for phrase in phrases)


def _residual(tokens: list[str], phrases: Iterable[str]) -> list[str]:
    """The words left after removing ``phrases`` and filler words.

    Phrases are matched left to right, longest first at each position, so that overlapping cues
    ("lệ phí" and "phí bao nhiêu" in "lệ phí bao nhiêu") do not leave half of one behind.
    """
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = tuple(phrase.split())
        by_first.setdefault(words[0], []).append(words)
    left: list[str] = []
    at = 0
    while at < len(tokens):
        candidates = sorted(by_first.get(tokens[at], ()), key=len, reverse=True)
        match = next((words for words in candidates if tuple(tokens[at : at + len(words)]) == words), None)
        if match:
            at += len(match)
            continue
        if tokens[at] not in FILLER_WORDS:
            left.append(tokens[at])
        at += 1
    return left


def _vote(text: str) -> Vote | None:
    bare = _EMOJI_TRIMMINGS.sub("", text)
    if bare and set(bare) == {_THUMBS_UP}:
        return Vote(helpful=True)
    if bare and set(bare) == {_THUMBS_DOWN}:
        return Vote(helpful=False)
    return None


def _is_question(text: str, tokens: list[str], padded: str) -> bool:
    return "?" in text or (bool(tokens) and tokens[-1] in QUESTION_ENDINGS) or _found(padded, QUESTION_PHRASES)


def detect_intent(text: str) -> Intent:
    """Classify a typed message; button presses go through :func:`parse_callback` instead."""
    stripped = text.strip()
    command = _COMMAND.fullmatch(stripped.lower())
    if command and not command.group(2).strip():
        return Plain(_COMMANDS.get(command.group(1), IntentKind.HELP))
    vote = _vote(stripped)
    if vote is not None:
        return vote
    ticket = _TICKET_CODE.search(stripped)
    if ticket:
        return Lookup(ticket.group(1).upper(), secret=(ticket.group(2) or "").upper())
    tokens = message_tokens(stripped)
    padded = _padded(tokens)

    leftover = [word for word in tokens if word not in CHOICE_WORDS and word not in FILLER_WORDS]
    if len(leftover) == 1 and _CHOICE_NUMBER.fullmatch(leftover[0]) and len(tokens) <= 4:
        return Choice(int(leftover[0]))

    conversation = [kind for kind, cues in CONVERSATION_CUES.items() if _found(padded, cues)]
    if conversation and not _residual(tokens, (c for cues in CONVERSATION_CUES.values() for c in cues)):
        return Plain(conversation[0])

    if (
        _found(padded, ERASE_VERBS)
        and _found(padded, ERASE_OBJECTS)
        and not _residual(tokens, (*ERASE_VERBS, *ERASE_OBJECTS, *_ERASE_WORDS))
    ):
        return Erase()
    if _found(padded, GRIEVANCE_CUES):
        return Plain(IntentKind.GRIEVANCE)
    if _found(padded, FEEDBACK_CUES) or (
        _found(padded, SERVICE_FEEDBACK_CUES) and not _is_question(stripped, tokens, padded)
    ):
        return Feedback(standalone=not _residual(tokens, _FEEDBACK_INTRO))
    if _found(padded, ESCALATE_CUES):
        return Escalate(standalone=not _residual(tokens, ESCALATE_CUES))
    if _found(padded, _CONTACT_CORE) and not _residual(tokens, CONTACT_CUES):
        return Plain(IntentKind.CONTACT)
    if _found(padded, SMALL_TALK_CUES):
        return Plain(IntentKind.SMALL_TALK)
    if _found(padded, LEGAL_CUES) and not _found(padded, _PROCEDURE_ASKS):
        return Plain(IntentKind.LEGAL)

    sections = tuple(section for section, cues in SECTION_CUES.items() if _found(padded, cues))
    if sections and not _residual(tokens, (c for s in sections for c in SECTION_CUES[s])):
        return FollowUp(sections)
    return Question(sections)
