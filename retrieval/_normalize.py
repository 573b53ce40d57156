"""Text normalisation for Vietnamese citizen queries and knowledge-base text.

Citizens type on phones: often without diacritics, with teencode ("ko", "dc", "mik"), telex
leftovers from a misbehaving input method ("ddawng kys" for "đăng ký") and stretched letters
("caaaan"). This module turns such input into plain Vietnamese that the lexical (BM25) and
semantic retrievers can match, and provides the folding used to index text without diacritics.

All mapping tables live here as module-level constants so they can be reviewed in one place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable
from typing import NamedTuple

__all__ = ["bigrams", "fold", "has_diacritics", "nfc", "normalize_query", "syllables"]


# --- Folding ------------------------------------------------------------------------------------

def _build_fold_table() -> dict[int, int | None]:
    """Map every precomposed Latin letter to its base letter and drop combining marks.

    A translate table is several times faster than NFD + filtering per call, and it also folds
    NFD input because the loose combining marks are deleted.
    """
    table: dict[int, int | None] = {}
    for start, end in ((0x00C0, 0x0530), (0x1E00, 0x2000)):  # Latin, Greek, Cyrillic
        for code in range(start, end):
            decomposed = unicodedata.normalize("NFD", chr(code))
            if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
                table[code] = ord(decomposed[0])
    for code in range(0x0300, 0x0370):  # combining diacritical marks
        table[code] = None
    # đ is a letter of its own in Unicode, not d + mark, but citizens type it as "d".
    table[ord("đ")] = ord("d")
    table[ord("Đ")] = ord("D")
    return table


_FOLD_TABLE = _build_fold_table()
# Syllables for BM25: letters and digits; "_" is excluded because it joins bigrams.
_SYLLABLE_RE = re.compile(r"[^\W_]+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (composed) form, the form the knowledge base is indexed in."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lowercase and strip all diacritics (tone and vowel marks), mapping đ to d.

    Works on NFC and NFD input alike: ``fold("Đăng ký") == "dang ky"``.
    """
    return text.lower().translate(_FOLD_TABLE)


def has_diacritics(text: str) -> bool:
    """Whether ``text`` carries any Vietnamese mark or đ (so it was not typed folded)."""
    lowered = nfc(text).lower()
    return fold(lowered) != lowered


def syllables(text: str) -> list[str]:
    """Folded syllable tokens (letters and digits), the unit of the lexical index."""
    return _SYLLABLE_RE.findall(fold(text))


def bigrams(tokens: Iterable[str]) -> list[str]:
    """Adjacent token pairs joined with "_" (``["dang", "ky"]`` -> ``["dang_ky"]``)."""
    tokens = list(tokens)
    return [f"{left}_{right}" for left, right in zip(tokens, tokens[1:], strict=False)]


# --- Teencode and abbreviation tables ----------------------------------------------------------
# Keys are exact lowercase NFC tokens (diacritics matter: "hông" is "không", "hong" may be
# "hỏng"). Values are plain Vietnamese with diacritics. A word is only listed when, in a
# citizen-service query, it almost always means the expansion; ambiguous ones ("tt": thủ tục,
# thông tin, tạm trú, thông tư...; "hs": hồ sơ or học sinh; "dt": diện tích or điện thoại;
# "hn": Hà Nội or hôm nay; "ca": công an or a real word) are left alone on purpose.

# Negation and question particles: "ko", "k" ... are by far the most frequent teencode.
_NEGATION = {
    "k": "không", "ko": "không", "kh": "không", "khg": "không", "kô": "không", "hok": "không",
    "hông": "không", "khum": "không", "khôg": "không",
}
# Chat spellings of common words (the formal knowledge base never contains these forms).
_CHAT_WORDS = {
    "dc": "được", "đc": "được", "dk": "đăng ký", "đk": "đăng ký", "dky": "đăng ký",
    "đky": "đăng ký", "dki": "đăng ký", "đki": "đăng ký", "dkí": "đăng ký", "đkí": "đăng ký",
    "j": "gì", "ji": "gì", "jì": "gì", "ntn": "như thế nào", "bn": "bao nhiêu", "bnh": "bao nhiêu",
    "z": "vậy", "dzậy": "vậy", "dzay": "vậy", "zậy": "vậy", "zay": "vậy",
    "r": "rồi", "rùi": "rồi", "ròi": "rồi", "lm": "làm", "ng": "người", "ngta": "người ta",
    "trc": "trước", "ms": "mới", "cx": "cũng", "cg": "cũng", "vs": "với", "mún": "muốn",
    "bít": "biết", "bik": "biết", "bjk": "biết", "nhìu": "nhiều", "lun": "luôn", "đag": "đang",
    "dag": "đang", "thui": "thôi", "hum": "hôm", "wá": "quá", "ak": "à", "ạk": "à", "nge": "nghe",
    "h": "giờ", "oi": "ơi", "tks": "cảm ơn", "thks": "cảm ơn", "đ": "đồng",
}
# People: pronouns and kin words used to address the bot or name the applicant.
_PEOPLE = {
    "mn": "mọi người", "mng": "mọi người", "mik": "mình", "mjk": "mình", "mh": "mình",
    "mềnh": "mình", "t": "tôi", "ny": "người yêu", "vk": "vợ", "ck": "chồng", "bme": "bố mẹ",
    "sv": "sinh viên",
}
# Administrative and legal abbreviations of this domain.
_ADMIN = {
    "cccd": "căn cước công dân", "cmnd": "chứng minh nhân dân", "cmt": "chứng minh thư",
    "gks": "giấy khai sinh", "ks": "khai sinh", "hktt": "hộ khẩu thường trú",
    "sđt": "số điện thoại", "sdt": "số điện thoại", "tp": "thành phố",
    "tphcm": "thành phố hồ chí minh", "hcm": "hồ chí minh", "vn": "việt nam",
    "ubnd": "ủy ban nhân dân", "hđnd": "hội đồng nhân dân", "bhyt": "bảo hiểm y tế",
    "bhxh": "bảo hiểm xã hội", "bhtn": "bảo hiểm thất nghiệp", "bh": "bảo hiểm",
    "gplx": "giấy phép lái xe", "gpkd": "giấy phép kinh doanh", "gpxd": "giấy phép xây dựng",
    "đkkd": "đăng ký kinh doanh", "dkkd": "đăng ký kinh doanh", "đkkh": "đăng ký kết hôn",
    "dkkh": "đăng ký kết hôn", "hkd": "hộ kinh doanh", "qsdđ": "quyền sử dụng đất",
    "qsdd": "quyền sử dụng đất", "gcn": "giấy chứng nhận",
    "gcnqsdđ": "giấy chứng nhận quyền sử dụng đất", "gcnqsdd": "giấy chứng nhận quyền sử dụng đất",
    "xn": "xác nhận", "xnct": "xác nhận cư trú", "tthc": "thủ tục hành chính",
    "dvc": "dịch vụ công", "csdl": "cơ sở dữ liệu", "csgt": "cảnh sát giao thông",
    "pccc": "phòng cháy chữa cháy", "cty": "công ty", "cti": "công ty", "dn": "doanh nghiệp",
    "tnhh": "trách nhiệm hữu hạn", "mst": "mã số thuế", "tncn": "thu nhập cá nhân",
    "gtgt": "giá trị gia tăng", "xnk": "xuất nhập khẩu", "lltp": "lý lịch tư pháp",
    "hđ": "hợp đồng", "hđlđ": "hợp đồng lao động", "nlđ": "người lao động",
    "thpt": "trung học phổ thông", "thcs": "trung học cơ sở",
    "tnlđ": "tai nạn lao động", "tnld": "tai nạn lao động", "bnn": "bệnh nghề nghiệp",
}
_ABBREVIATIONS: dict[str, str] = {**_NEGATION, **_CHAT_WORDS, **_PEOPLE, **_ADMIN}


class _ContextRule(NamedTuple):
    """How to expand a token whose meaning depends on its neighbours."""

    default: str
    clause_final: str | None = None  # form when the token ends a clause ("lm ntn a" -> "ạ")
    after: dict[str, str] | None = None  # folded previous word -> form; checked first


# Words after which a lone letter is a grade or class, not a pronoun: "bằng lái hạng a".
_GRADE_WORDS = (
    "hang", "bang", "loai", "lop", "khoi", "nhom", "mau", "diem", "muc", "luc", "chuong", "vitamin"
)
_KEEP_AS_GRADE = {word: "" for word in _GRADE_WORDS}  # "" means: keep the token as typed
# Tokens that end a clause when they follow a word ("dc k ạ", "lm ntn a mn").
_CLAUSE_END_PARTICLES = frozenset({"ạ", "nhé", "nhe", "nha", "nhỉ", "hả", "à", "ad", "admin", "mn"})
# Ambiguous short forms resolved by position. Lone letters only ever match whole tokens, so the
# "a" inside "a1" or "a-xít" is never touched.
_CONTEXT_RULES: dict[str, _ContextRule] = {
    # "a ơi", "của a": anh; "lm ntn a": the politeness particle ạ typed without its mark.
    "a": _ContextRule("anh", clause_final="ạ", after=_KEEP_AS_GRADE),
    "e": _ContextRule("em", after=_KEEP_AS_GRADE),
    "c": _ContextRule("chị", after=_KEEP_AS_GRADE),
    "v": _ContextRule("vậy", after=_KEEP_AS_GRADE),  # "phụ lục v" is a roman five
    # "sổ hk", "tách hk": hộ khẩu; "dc hk" at the end of a question: không.
    "hk": _ContextRule(
        "hộ khẩu",
        clause_final="không",
        after=dict.fromkeys(("so", "nhap", "tach", "cat", "chuyen", "xoa"), "hộ khẩu"),
    ),
    # "quên mk": mật khẩu (VNeID accounts); otherwise the pronoun mình.
    "mk": _ContextRule(
        "mình",
        after=dict.fromkeys(("quen", "doi", "nhap", "lay", "dat", "sai", "reset"), "mật khẩu"),
    ),
    # "vc e đk kết hôn": vợ chồng; "làm vc", "nghỉ vc": việc.
    "vc": _ContextRule(
        "vợ chồng", after=dict.fromkeys(("lam", "lm", "tim", "xin", "nghi", "cong", "mat"), "việc")
    ),
}

# --- Telex residue -------------------------------------------------------------------------------
# Telex tone keys typed after the syllable; no Vietnamese syllable ends in s, f, r, x or j.
_TELEX_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_TELEX_DOUBLES = (("aa", "â"), ("ee", "ê"), ("oo", "ô"))
# The w key hooks the nearest vowel before it: a -> ă, o -> ơ, u -> ư ("uo" -> "ươ").
_TELEX_HOOKS = {"a": "ă", "o": "ơ", "u": "ư"}
# English words that would otherwise read as telex ("bus" -> "bú").
_NOT_TELEX = frozenset({"bus", "gas", "pos", "sos", "yes"})
# An ASCII token is plainly telex if it has a telex digraph or a w, or ends in a tone key that
# follows a vowel, possibly with a final and w between them ("kys", "lamf", "thuowngf").
_TELEX_HINT_RE = re.compile(r"dd|aa|ee|oo|w|[aeiouy][a-z]{0,3}[sfrxj]$")
_ASCII_WORD_RE = re.compile(r"[a-z]+")
_STRAY_DOUBLE_RE = re.compile(r"([iuy])\1")
_VOWELS = "aăâeêioôơuưy"
_SHAPE_MARKS = "ăâêôơư"

# --- Syllable structure --------------------------------------------------------------------------
# Used to accept a telex conversion or a squeezed token only when it is a possible Vietnamese
# syllable, so that English words ("facebook", "shopee") are left alone. "p" alone as an
# initial is only found in loanwords, so it is excluded to keep "pass"/"pas" untouched.
_SYLLABLE_SHAPE_RE = re.compile(
    rf"(ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnrstvx])?([{_VOWELS}]+)(ch|ng|nh|[cmnpt])?"
)
# Nuclei (vowel clusters with glides) that may close a syllable on their own.
_OPEN_NUCLEI = frozenset(
    "a e ê i y o ô ơ u ư ai ao au âu ay ây eo êu ia iu oa oe oi ôi ơi ua uê ui uy ưa ưi ưu "
    "iêu yêu oai oao oay oeo uây uôi ươi ươu uya uyu".split()
)
# Nuclei that may be followed by a final consonant.
_CLOSED_NUCLEI = frozenset("a ă â e ê i y o ô ơ u ư iê yê oa oă oe uâ uê uô ươ uy uyê".split())
_STOP_FINALS = frozenset({"c", "ch", "p", "t"})
_TONE_MARKS = frozenset(_TELEX_TONES.values())
# Only sắc and nặng can sit on a syllable closed by a stop (c, ch, p, t).
_STOP_TONES = frozenset({"\u0301", "\u0323"})

# --- Tokenising queries ---------------------------------------------------------------------------
_QUERY_TOKEN_RE = re.compile(
    r"""
    (?P<keep>                                    # left exactly as typed (lowercased)
        (?:https?://|www\.)\S+?(?=[.,;!?)]*(?:\s|$))   # URLs, minus trailing punctuation
      | [\w.+-]+@\w+(?:[.-]\w+)+                 # e-mail addresses
      | \w+(?:[-/.:]\w+)+                        # codes, dates, domains: pa-2026-000123, gov.vn
      | \w*\d\w*                                 # anything with a digit: 1022, a1, ct07, m2
    )
    | (?P<word>[^\W\d_]+)
    | (?P<other>[^\w\s]+|_+)
    """,
    re.VERBOSE,
)
_LONG_RUN_RE = re.compile(r"([^\W\d_])\1{2,}")  # 3+ times the same letter: "caaaan"
# A vowel (any shape or tone) followed by its own base letter: "aa", "ạa", "ée". Never
# Vietnamese outside telex, except ư + u, which is a real rhyme ("hưu", "cứu").
_STRETCHED_VOWEL_RE = re.compile(
    "|".join(
        f"{vowel}{fold(vowel)}+"
        for vowel in (
            unicodedata.normalize("NFC", base + tone)
            for base in _VOWELS
            for tone in ("", *_TELEX_TONES.values())
        )
        if fold(vowel) != "u" or vowel in "uùúủũụ"
    )
)


def _strip_tone(syllable: str) -> tuple[str, str | None]:
    """Split an NFC syllable into its toneless form (vowel shapes kept) and its tone mark."""
    tone = None
    kept = []
    for char in unicodedata.normalize("NFD", syllable):
        if char in _TONE_MARKS:
            tone = char
        else:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _parse_syllable(toneless: str) -> tuple[str, str, str] | None:
    """Split a toneless syllable into (initial, nucleus, final) if it is a possible one."""
    match = _SYLLABLE_SHAPE_RE.fullmatch(toneless)
    if match is None:
        return None
    initial, nucleus, final = match.group(1) or "", match.group(2), match.group(3) or ""
    if nucleus not in (_CLOSED_NUCLEI if final else _OPEN_NUCLEI):
        return None
    return initial, nucleus, final


def _is_syllable(word: str) -> bool:
    """Whether ``word`` (NFC, lowercase, marked or not) is a possible Vietnamese syllable."""
    toneless, tone = _strip_tone(word)
    parts = _parse_syllable(toneless)
    if parts is None:
        return False
    return not (tone and parts[2] in _STOP_FINALS and tone not in _STOP_TONES)


def _place_tone(nucleus: str, has_final: bool, tone: str) -> str:
    """Put ``tone`` on the right vowel of ``nucleus``.

    Uses the traditional placement ("hòa", "thủy"), which is what the national procedure
    portal mostly uses, so converted words match the knowledge base as written.
    """
    shaped = [i for i, char in enumerate(nucleus) if char in _SHAPE_MARKS]
    if shaped:
        index = shaped[-1]  # "ươ" takes the tone on ơ
    elif has_final:
        index = len(nucleus) - 1  # "oan" -> "oán"
    elif len(nucleus) == 3:
        index = 1  # "oai" -> "oái"
    else:
        index = 0  # "hoa" -> "hòa", "mua" -> "múa"
    marked = unicodedata.normalize("NFC", nucleus[index] + tone)
    return nucleus[:index] + marked + nucleus[index + 1 :]


def _telex_to_vietnamese(token: str) -> str | None:
    """Convert an ASCII telex leftover ("thuowngf") to the syllable it spells ("thường").

    Returns None when the keys do not spell a possible Vietnamese syllable.
    """
    tone = _TELEX_TONES.get(token[-1]) if len(token) > 1 else None
    body = token[:-1] if tone else token
    if body.startswith("dd"):
        body = "đ" + body[2:]
    for keys, letter in _TELEX_DOUBLES:
        body = body.replace(keys, letter)
    body = _STRAY_DOUBLE_RE.sub(r"\1", body)  # "truus" -> "trú": a slipped key, not telex
    while "w" in body:
        at = body.index("w")
        vowel_at = max((i for i in range(at) if body[i] in _VOWELS), default=-1)
        if vowel_at < 0:
            body = body[:at] + "ư" + body[at + 1 :]  # a bare w types ư: "nhw" -> "như"
            continue
        if body[vowel_at] not in _TELEX_HOOKS:
            return None
        hooked = _TELEX_HOOKS[body[vowel_at]]
        if body[vowel_at] == "o" and vowel_at and body[vowel_at - 1] == "u":
            body = body[: vowel_at - 1] + "ư" + body[vowel_at:]  # "uow" -> "ươ"
        body = body[:vowel_at] + hooked + body[vowel_at + 1 : at] + body[at + 1 :]
    body = body.replace("ưo", "ươ")  # "nguwoif": ư typed, o left bare
    parts = _parse_syllable(body)
    if parts is None:
        return None
    initial, nucleus, final = parts
    if not tone:
        return body
    if final in _STOP_FINALS and tone not in _STOP_TONES:
        return None
    return initial + _place_tone(nucleus, bool(final), tone) + final


def _known(word: str, vocabulary: Container[str] | None) -> bool:
    """Whether a rewritten word is acceptable: a possible syllable the knowledge base knows."""
    return vocabulary is None or fold(word) in vocabulary


def _expand(word: str, previous: str | None, clause_final: bool) -> str | None:
    """Expand teencode or an abbreviation; None when ``word`` is not one."""
    rule = _CONTEXT_RULES.get(word)
    if rule is None:
        return _ABBREVIATIONS.get(word)
    if rule.after and previous in rule.after:
        return rule.after[previous] or word
    if clause_final and rule.clause_final:
        return rule.clause_final
    return rule.default


def _normalize_word(
    word: str, previous: str | None, clause_final: bool, vocabulary: Container[str] | None
) -> str:
    """Normalise one letters-only token (already NFC and lowercase)."""
    expanded = _expand(word, previous, clause_final)
    if expanded is not None:
        return expanded
    squeezed = word
    if _LONG_RUN_RE.search(word):
        squeezed = _LONG_RUN_RE.sub(r"\1", word)  # "caaaan" -> "can": stretched letters
        if len(squeezed) == 1:
            # "kkk" is laughter, not "k" (không). Squeezed to one letter, it would be read as
            # teencode when normalised again, so it stays as typed.
            return word
        expanded = _expand(squeezed, previous, clause_final)  # "kooo" -> "ko" -> "không"
        if expanded is not None:
            return expanded
    if (
        squeezed not in _NOT_TELEX
        and _ASCII_WORD_RE.fullmatch(squeezed)
        and _TELEX_HINT_RE.search(squeezed)
    ):
        converted = _telex_to_vietnamese(squeezed)
        if converted is not None and _known(converted, vocabulary):
            return _expand(converted, previous, clause_final) or converted
    # Undo a stretched vowel ("nhaa", "đii", "dạaa") when that leaves a real syllable, so that
    # English words such as "facebook" survive, and not in a word the knowledge base uses
    # ("huu" is "hưu" typed without marks, not a stretched "hu").
    known_as_typed = vocabulary is not None and fold(squeezed) in vocabulary
    if not known_as_typed and _STRETCHED_VOWEL_RE.search(squeezed):
        unstretched = _STRETCHED_VOWEL_RE.sub(lambda match: match.group()[0], squeezed)
        if _is_syllable(unstretched) and _known(unstretched, vocabulary):
            return _expand(unstretched, previous, clause_final) or unstretched
    return squeezed


def normalize_query(text: str, *, vocabulary: Container[str] | None = None) -> str:
    """Turn a citizen's message into plain lowercase Vietnamese for retrieval.

    NFC, lowercase, single spaces; stretched letters squeezed ("caaaan" -> "can"); telex
    leftovers converted ("ddawng kys" -> "đăng ký"); teencode and abbreviations expanded
    ("dc" -> "được", "cccd" -> "căn cước công dân"). Codes, numbers, URLs and punctuation are
    kept. ``vocabulary`` is a set of folded syllables from the knowledge base: when given, a
    telex or squeezing rewrite is only made if its folded result is in it. Words typed without
    diacritics stay that way; :class:`retrieval._restore.DiacriticRestorer` restores them.
    """
    text = nfc(text).lower()
    tokens = list(_QUERY_TOKEN_RE.finditer(text))
    pieces: list[str] = []
    previous: str | None = None  # folded previous word, for context rules; reset by punctuation
    for index, token in enumerate(tokens):
        if pieces and token.start() > tokens[index - 1].end():
            pieces.append(" ")
        value = token.group()
        if token.lastgroup == "word":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            clause_final = (
                following is None
                or following.lastgroup == "other"
                or following.group() in _CLAUSE_END_PARTICLES
            )
            pieces.append(_normalize_word(value, previous, clause_final, vocabulary))
            previous = fold(value)
        else:
            pieces.append(value)
            previous = None
    # A combining mark with no precomposed form is a token of its own ("j̣" is "j" + U+0323), so
    # it ends up after whatever its letter became ("gì" + U+0323), which is NFC only once composed.
    return nfc("".join(pieces))
