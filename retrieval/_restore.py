"""Restore Vietnamese diacritics of a query from the knowledge base's own vocabulary.

Citizens often type without marks ("dang ky tam tru o dau"). BM25 copes by folding both sides,
but a dense model reads "dang ky" very differently from "đăng ký". :class:`DiacriticRestorer`
learns from properly accented knowledge-base text which accented forms each folded syllable
has, and how often accented syllables follow each other, then picks the most likely accented
sentence with a Viterbi search over a smoothed bigram model.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from retrieval._normalize import fold, nfc

__all__ = ["CONVERSATIONAL_TEXT", "DiacriticRestorer"]

# How citizens phrase questions, which formal procedure text never shows: pronouns ("tôi",
# "em"), question words ("ở đâu", "thế nào"), particles ("rồi", "ạ"), everyday names of
# papers and offices ("sổ đỏ", "ra phường"). Without it "toi" is restored to "tối" (from
# "tối đa") and "o dau" has no candidate at all. Written by hand as generic phrasing, phrases
# ended by full stops (each is a chain of its own); learnt CONVERSATIONAL_WEIGHT times so that
# its syllables also compete in the unigram prior with the knowledge base's millions of words.
CONVERSATIONAL_TEXT = """
tôi muốn hỏi. cho tôi hỏi. cho em hỏi. em muốn hỏi. mình muốn hỏi. xin hỏi
muốn hỏi. muốn làm. muốn xin. muốn đăng ký. muốn đổi. muốn biết. muốn chuyển. nghe nói
tôi muốn làm. tôi cần làm. tôi phải làm gì. tôi có được không. tôi đã. tôi đang. tôi bị
tôi là. tôi có. của tôi. con tôi. vợ tôi. chồng tôi. bố tôi. mẹ tôi. bố mẹ tôi. nhà tôi
em muốn làm. em cần. em đã. em đang. em bị. của em. con em. nhà em. bố em. mẹ em
nhà mình. con mình. bé nhà tôi. cho bé. cho con. cho bố mẹ. anh chị. mọi người ơi
làm ở đâu. nộp ở đâu. xin ở đâu. đăng ký ở đâu. cấp ở đâu. đổi ở đâu. ở đâu ạ. ở đâu vậy
làm như thế nào. như thế nào. làm thế nào. thế nào. làm sao. phải làm sao. ra sao
bao nhiêu. bao nhiêu tiền. mất bao nhiêu tiền. hết bao nhiêu. bao lâu. mất bao lâu
có được không. được không. có phải không. có cần không. có mất phí không. không ạ
cần những gì. cần gì. giấy tờ gì. thủ tục gì. làm gì. là gì. cái gì. gì ạ
khi nào. lúc nào. bao giờ. ngày nào. chỗ nào. nơi nào. ai. tại sao. vì sao
bị mất rồi. hết hạn rồi. rồi. vậy. nhé. ạ. ơi. nhỉ. à. thôi. nữa. luôn. với
ra phường. lên phường. công an phường. ủy ban phường. ở phường. phường xã
sổ đỏ. sổ hồng. làm sổ. sổ hộ khẩu. sổ bảo hiểm. bằng lái xe. cà vẹt xe. bằng đại học
nhà trọ. phòng trọ. chủ trọ. ở trọ. đám cưới. người yêu. bạn trai. bạn gái
làm giấy tờ. làm hồ sơ. làm lại. làm sổ đỏ. làm khai sinh. làm căn cước. làm thủ tục. đi làm
bị mất. mất rồi. mất giấy. làm mất. đánh mất. mất lâu rồi. đã mất. mới mất. vừa mất
đất nhà tôi. mảnh đất. lô đất. đất ở. sổ đỏ nhà tôi. chưa có sổ. lưu sổ. năm ngoái. năm nay
photo công chứng. đi công chứng. bản sao. hai đứa. con tôi. cháu tôi. hôm qua. sắp tới
tôi xin hỏi. tôi được. tôi không. tôi chưa. tôi vẫn. tôi cũng. tôi sẽ. tôi thấy. tôi nghe
tôi đi. tôi ở. tôi về. tôi sinh năm. tôi năm nay. tôi làm. tôi mua. tôi bán. tôi thuê. tôi nộp
gia đình tôi. em tôi. anh tôi. chị tôi. ông tôi. bà tôi. cha tôi. bạn tôi. cho tôi. với tôi
hiện nay tôi. nay tôi. nhưng tôi. vậy tôi. nên tôi. thì tôi. mà tôi. khi tôi. tôi và vợ tôi
xin cho biết. xin cảm ơn. trân trọng cảm ơn. mong được giải đáp. mong được hướng dẫn
như vậy có đúng không. như vậy có được không. vậy thì. vì vậy. do đó. nên. nhưng. những
năm nay. hiện nay. bây giờ. hôm nay. ngày mai. tuần sau. tháng sau. năm sau. mấy ngày
một. hai. ba. bốn. năm. sáu. bảy. tám. chín. mười. một năm. hai năm. ba tháng. sáu tháng
hai người. ba người. bốn người. hai vợ chồng. hai số. ba mẹ. bố mẹ. ông bà. anh em. con cháu
già rồi. già yếu. ốm nặng. không tự đi được. đi làm xa. làm ăn xa. ở xa. đi xa. về quê
mới mua. mới cưới. mới sinh. mới chuyển đến. vừa mua. đã lâu. lâu rồi. từ lâu. trước đây
có phải nộp. có phải đi. có phải làm. có cần phải. có bắt buộc. có bị phạt không. bị phạt
"""
CONVERSATIONAL_WEIGHT = 20

_FORMAT = "wardbot.diacritic-restorer/1"
_WORD_RE = re.compile(r"[^\W_]+")
# Marks both ends of a chain in the bigram counts; "<" is not a word character, so no word
# can collide with it.
_BOUNDARY = "<s>"
# Knowledge-base text is not all accented: template file names such as "Mau 05a. Don dang ky
# the chap.docx" are typed without marks. A run of this many words without a single mark is
# such text (real Vietnamese marks almost every other syllable), and learning it would teach
# the model that "dang ky the chap" is a fine way to write "đăng ký thế chấp".
_MIN_UNMARKED_CHAIN = 3
# Only whitespace between two words lets a bigram through: punctuation starts a new chain, both
# when learning and when restoring, so a word never conditions on the one before a comma.
_CHAIN_BREAK_RE = re.compile(r"[^\w\s]+|_+")
_JOINING_GAP_RE = re.compile(r"\s*")
_ALPHA_RE = re.compile(r"[a-z]+")
# A folded syllable has a vowel; the knowledge base also holds letters ("điểm d") and
# abbreviations ("ng") that must not stand in for one.
_SYLLABLE_LIKE_RE = re.compile(r"[^aeiouy]*[aeiouy]+[^aeiouy]*")
# Initials and finals that many Vietnamese pronounce alike and so misspell ("tạm chú" for "tạm
# trú", "bổ xung", "nàm" for "làm", "việc nam"); folded, so "d" is both d and đ.
_CONFUSED_INITIALS = (
    ("ch", ("tr",)),
    ("tr", ("ch",)),
    ("gi", ("d", "r")),
    ("s", ("x",)),
    ("x", ("s",)),
    ("d", ("gi", "r")),
    ("r", ("d", "gi")),
    ("l", ("n",)),
    ("n", ("l",)),
)
_LONGER_INITIALS = {"n": ("ng", "nh")}
_CONFUSED_FINALS = (("ng", "n"), ("n", "ng"), ("c", "t"), ("t", "c"))
_LONGER_FINALS = {"c": ("ch",), "n": ("nh",)}


def _chains(text: str) -> Iterable[list[re.Match[str]]]:
    """Runs of word matches separated only by whitespace (positions kept, for restoring)."""
    chain: list[re.Match[str]] = []
    for match in _WORD_RE.finditer(text):
        if chain and not _JOINING_GAP_RE.fullmatch(text, chain[-1].end(), match.start()):
            yield chain
            chain = []
        chain.append(match)
    if chain:
        yield chain


def _word_chains(text: str) -> Iterable[list[str]]:
    """The words of :func:`_chains`, split in C rather than match by match (learning is bulk)."""
    for chunk in _CHAIN_BREAK_RE.split(text):
        words = chunk.split()
        if words:
            yield words


def _match_case(form: str, typed: str) -> str:
    """Give ``form`` the capitalisation the user typed ("Dang" -> "Đăng", "UBND" stays upper)."""
    if typed.islower():
        return form
    if typed.isupper() and len(typed) > 1:
        return form.upper()
    if typed[0].isupper():
        return form[0].upper() + form[1:]
    return form


def _confusable(folded: str) -> list[str]:
    """Syllables spelt like ``folded`` but for an initial or final that many Vietnamese
    pronounce alike (ch/tr, s/x, d/gi/r, l/n; n/ng, t/c)."""
    variants: list[str] = []
    for initial, others in _CONFUSED_INITIALS:
        if folded.startswith(initial) and not folded.startswith(_LONGER_INITIALS.get(initial, ("\0",))):
            variants.extend(other + folded[len(initial) :] for other in others)
            break
    for final, other in _CONFUSED_FINALS:
        if folded.endswith(final) and not folded.endswith(_LONGER_FINALS.get(final, ("\0",))):
            variants.append(folded[: -len(final)] + other)
            break
    return [variant for variant in variants if _SYLLABLE_LIKE_RE.fullmatch(variant)]


class DiacriticRestorer:
    """Bigram model of accented syllables, decoded with Viterbi.

    Build one with :meth:`fit` on accented knowledge-base text, cache it with :meth:`to_dict`
    and :meth:`from_dict`, and call :meth:`restore` on queries.
    """

    def __init__(
        self,
        forms: Mapping[str, Mapping[str, int]],
        bigram_counts: Mapping[str, Mapping[str, int]],
        follower_types: Mapping[str, int],
        chains: int,
        *,
        max_candidates: int = 8,
        misspelling_penalty: float = 1e-4,
    ) -> None:
        """Use :meth:`fit` or :meth:`from_dict` rather than calling this directly.

        ``forms`` maps a folded syllable to its accented forms with their counts;
        ``bigram_counts`` maps a form (or the chain boundary ``"<s>"``) to the forms (or
        boundary) that followed it, with counts; ``follower_types`` is, per form, how many
        distinct words followed it (before pruning); ``chains`` is how many word chains were
        seen. ``max_candidates`` caps the forms tried per syllable (most frequent first).
        ``misspelling_penalty`` is the probability factor of a corrected spelling (0: words are
        never split or corrected, only given their marks).
        """
        self.forms = {folded: dict(counts) for folded, counts in forms.items()}
        self.bigram_counts = {left: dict(right) for left, right in bigram_counts.items()}
        self.follower_types = dict(follower_types)
        self.chains = chains
        self.max_candidates = max_candidates
        if not 0 <= misspelling_penalty < 1:
            raise ValueError("misspelling_penalty is a probability factor in [0, 1)")
        self.misspelling_penalty = misspelling_penalty
        self._misspelling_cost = math.log(misspelling_penalty) if misspelling_penalty else None
        self._vocabulary = frozenset(self.forms)
        self._candidates = {
            folded: tuple(sorted(counts, key=counts.__getitem__, reverse=True)[:max_candidates])
            for folded, counts in self.forms.items()
        }
        unigram = {_BOUNDARY: chains}
        for counts in self.forms.values():
            unigram.update(counts)
        # Add-half smoothing of the unigram distribution, so that a form the knowledge base
        # never used (a word typed with marks) still has a price.
        denominator = sum(unigram.values()) + 0.5 * len(unigram) + 1
        self._unigram_prob = {form: (n + 0.5) / denominator for form, n in unigram.items()}
        self._unseen_prob = 0.5 / denominator
        # Witten-Bell smoothing: a row backs off to the unigram distribution with the weight of
        # its follower types, so that a rare word with a few observed followers does not hand
        # all unseen words a large probability. A left word never seen backs off entirely.
        self._row_weight = {form: self.follower_types.get(form, 0) or 1 for form in unigram}
        self._log_row_total = {
            form: math.log(unigram[form] + weight) for form, weight in self._row_weight.items()
        }

    @classmethod
    def fit(
        cls, texts: Iterable[str], *, conversational: bool = True, **options: Any
    ) -> DiacriticRestorer:
        """Learn accented forms and bigrams from properly accented text.

        With ``conversational`` (the default) the built-in question phrasing
        (:data:`CONVERSATIONAL_TEXT`) is learnt too. ``options`` are those of the constructor.
        """
        if conversational:
            texts = itertools.chain(texts, [CONVERSATIONAL_TEXT] * CONVERSATIONAL_WEIGHT)
        # Count with integer ids and numpy: a Counter of millions of string pairs takes seconds.
        ids_of: dict[str, int] = {_BOUNDARY: 0}
        ids: list[int] = [0]
        for text in texts:
            for words in _word_chains(nfc(text).lower()):
                if len(words) >= _MIN_UNMARKED_CHAIN and fold(joined := " ".join(words)) == joined:
                    continue
                ids.extend([ids_of.setdefault(word, len(ids_of)) for word in words])
                ids.append(0)  # the boundary ends this chain and starts the next
        words = list(ids_of)
        sequence = np.array(ids, dtype=np.int64)
        unigram_counts = np.bincount(sequence, minlength=len(words)).tolist()
        forms: dict[str, dict[str, int]] = defaultdict(dict)
        for word, count in zip(words[1:], unigram_counts[1:], strict=True):
            forms[fold(word)][word] = count
        # A pair between two syllables with a single accented form each, and no confusable
        # spelling, scores the same for every path through the lattice, so dropping it changes
        # no decision and saves memory.
        ambiguous = np.zeros(len(words), dtype=bool)
        for folded, variants in forms.items():
            if len(variants) > 1 or any(other in forms for other in _confusable(folded)):
                ambiguous[[ids_of[form] for form in variants]] = True
        pair_codes, pair_counts = np.unique(
            sequence[:-1] * len(words) + sequence[1:], return_counts=True
        )
        left_ids, right_ids = np.divmod(pair_codes, len(words))
        types = np.bincount(left_ids, minlength=len(words)).tolist()
        follower_types = {word: n for word, n in zip(words, types, strict=True) if n}
        keep = ambiguous[left_ids] | ambiguous[right_ids]
        bigram_counts: dict[str, dict[str, int]] = defaultdict(dict)
        for left_id, right_id, count in zip(
            left_ids[keep].tolist(), right_ids[keep].tolist(), pair_counts[keep].tolist(), strict=True
        ):
            bigram_counts[words[left_id]][words[right_id]] = count
        chains = unigram_counts[0] - 1  # one boundary more than chains
        return cls(forms, bigram_counts, follower_types, chains, **options)

    def vocabulary(self) -> frozenset[str]:
        """The folded syllables the model knows (the ``vocabulary`` of ``normalize_query``)."""
        return self._vocabulary

    def _decode(self, lattice: list[dict[str, float]]) -> list[str]:
        """Most probable path through the per-position candidate forms (Viterbi).

        Each step scores log P(right | left) = log((count(left right) + T(left) * P(right))
        / (count(left) + T(left))), T being the follower types of left (Witten-Bell), from the
        chain boundary to the chain boundary, plus the candidate's own log cost (0, or the price
        of a misspelling).
        """
        no_pairs: dict[str, int] = {}
        scores = {_BOUNDARY: 0.0}
        back_pointers: list[dict[str, str]] = []
        for candidates in (*lattice, {_BOUNDARY: 0.0}):
            rows = [
                (
                    left,
                    score - self._log_row_total.get(left, 0.0),
                    self.bigram_counts.get(left, no_pairs),
                    self._row_weight.get(left, 1),
                )
                for left, score in scores.items()
            ]
            next_scores: dict[str, float] = {}
            pointers: dict[str, str] = {}
            for form, cost in candidates.items():
                prob = self._unigram_prob.get(form, self._unseen_prob)
                best_left, best_score = "", -math.inf
                for left, base, pairs, weight in rows:
                    score = base + math.log(pairs.get(form, 0) + weight * prob)
                    if score > best_score:
                        best_left, best_score = left, score
                next_scores[form] = best_score + cost
                pointers[form] = best_left
            scores = next_scores
            back_pointers.append(pointers)
        path = [_BOUNDARY]
        for pointers in reversed(back_pointers):
            path.append(pointers[path[-1]])
        return path[-2:0:-1]  # drop both boundaries, first word first

    def _variants(self, folded: str) -> list[str]:
        """The known syllables a citizen may have meant by ``folded``."""
        return [variant for variant in _confusable(folded) if variant in self._candidates]

    def _candidates_of(self, typed: str) -> dict[str, float]:
        """The forms a typed word may stand for, with their log costs.

        A known marked form is kept as typed. A word with marks the knowledge base never uses
        for it ("kêt") may be any form of its folded syllable. A word without marks may be too
        and, with corrections on, any form of a confusable syllable at the price of a
        misspelling, which a neighbour that makes it far likelier can pay ("bổ xung" -> "bổ
        sung"). Marked words are not corrected: on real citizens' questions "rồi", "trọ",
        "trầy" and "nề" were "corrected" more often than real misspellings were.
        """
        folded = fold(typed)
        if folded in self._candidates and typed in self.forms[folded] and folded != typed:
            return {typed: 0.0}  # typed with marks the knowledge base uses: as the citizen wrote it
        candidates = dict.fromkeys(self._candidates.get(folded, (typed,)), 0.0)
        if self._misspelling_cost is not None and folded == typed and folded in self._candidates:
            for variant in self._variants(folded):
                for form in self._candidates[variant]:
                    candidates.setdefault(form, self._misspelling_cost)
        return candidates

    def _split(self, typed: str) -> int | None:
        """Where to cut two known syllables typed without the space between them ("hộchiếu"):
        where the knowledge base has seen the pair most often; None for any other word."""
        folded = fold(typed)
        # Only words typed with marks: unmarked ones are as often names and brands ("honda").
        if self._misspelling_cost is None or folded in self._candidates or folded == typed:
            return None
        if not _ALPHA_RE.fullmatch(folded):
            return None
        cuts = []
        for cut in range(2, len(folded) - 1):  # one-letter halves split real words ("rao")
            left, right = folded[:cut], folded[cut:]
            if all(half in self._candidates and _SYLLABLE_LIKE_RE.fullmatch(half) for half in (left, right)):
                # Pairs of two single-form syllables are not stored (see fit): then no count.
                seen = max(self.bigram_counts.get(a, {}).get(b, 0) for a in self.forms[left] for b in self.forms[right])
                cuts.append((seen, cut))
        seen, cut = max(cuts, default=(0, 0))
        # Without a count the cut is a guess, and real words the knowledge base lacks have one:
        # "giường" is also "giữ" + "ông".
        return cut if seen else None

    def restore(self, text: str) -> str:
        """Return ``text`` with diacritics restored on the words typed without them.

        Words carrying marks the knowledge base uses are kept as typed and condition their
        neighbours; a marked form it never uses, of a word it knows, is a typo ("kêt hôn",
        "sỗ bảo hiểm") and is restored like a word typed without marks. Words the knowledge base
        never used are kept as they are. With corrections on, two syllables typed as one are
        split and a dialect misspelling is corrected where the context makes it clear.
        Punctuation, spacing and the capitalisation of each word are preserved.
        """
        text = nfc(text)
        pieces: list[str] = []
        position = 0
        for chain in _chains(text):
            lattice: list[dict[str, float]] = []
            words: list[tuple[re.Match[str], list[str]]] = []
            for match in chain:
                typed = match.group()
                cut = self._split(typed.lower())
                parts = [typed[:cut], typed[cut:]] if cut else [typed]
                words.append((match, parts))
                lattice.extend(self._candidates_of(part.lower()) for part in parts)
            forms = iter(self._decode(lattice))
            for match, parts in words:
                pieces.append(text[position : match.start()])
                pieces.append(" ".join(_match_case(next(forms), part) for part in parts))
                position = match.end()
        pieces.append(text[position:])
        return "".join(pieces)

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-able form of the model, for caching next to the index."""
        return {
            "format": _FORMAT,
            "max_candidates": self.max_candidates,
            "misspelling_penalty": self.misspelling_penalty,
            "chains": self.chains,
            "forms": self.forms,
            "bigrams": self.bigram_counts,
            "follower_types": self.follower_types,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiacriticRestorer:
        """Rebuild a model saved with :meth:`to_dict`."""
        if data.get("format") != _FORMAT:
            raise ValueError(f"not a {_FORMAT} model: format={data.get('format')!r}")
        return cls(
            data["forms"],
            data["bigrams"],
            data["follower_types"],
            data["chains"],
            max_candidates=data["max_candidates"],
            misspelling_penalty=data["misspelling_penalty"],
        )
