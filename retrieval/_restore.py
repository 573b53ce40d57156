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
    ) -> None:
        """Use :meth:`fit` or :meth:`from_dict` rather than calling this directly.

        ``forms`` maps a folded syllable to its accented forms with their counts;
        ``bigram_counts`` maps a form (or the chain boundary ``"<s>"``) to the forms (or
        boundary) that followed it, with counts; ``follower_types`` is, per form, how many
        distinct words followed it (before pruning); ``chains`` is how many word chains were
        seen. ``max_candidates`` caps the forms tried per syllable (most frequent first).
        """
        self.forms = {folded: dict(counts) for folded, counts in forms.items()}
        self.bigram_counts = {left: dict(right) for left, right in bigram_counts.items()}
        self.follower_types = dict(follower_types)
        self.chains = chains
        self.max_candidates = max_candidates
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
        for word, count in zip(words[1:], unigram_counts[1:]):
            forms[fold(word)][word] = count
        # A pair between two syllables with a single accented form each scores the same for
        # every path through the lattice, so dropping it changes no decision and saves memory.
        ambiguous = np.zeros(len(words), dtype=bool)
        for variants in forms.values():
            if len(variants) > 1:
                ambiguous[[ids_of[form] for form in variants]] = True
        pair_codes, pair_counts = np.unique(
            sequence[:-1] * len(words) + sequence[1:], return_counts=True
        )
        left_ids, right_ids = np.divmod(pair_codes, len(words))
        types = np.bincount(left_ids, minlength=len(words)).tolist()
        follower_types = {word: n for word, n in zip(words, types) if n}
        keep = ambiguous[left_ids] | ambiguous[right_ids]
        bigram_counts: dict[str, dict[str, int]] = defaultdict(dict)
        for left_id, right_id, count in zip(
            left_ids[keep].tolist(), right_ids[keep].tolist(), pair_counts[keep].tolist()
        ):
            bigram_counts[words[left_id]][words[right_id]] = count
        chains = unigram_counts[0] - 1  # one boundary more than chains
        return cls(forms, bigram_counts, follower_types, chains, **options)

    def vocabulary(self) -> frozenset[str]:
        """The folded syllables the model knows (the ``vocabulary`` of ``normalize_query``)."""
        return self._vocabulary

    def _decode(self, lattice: list[tuple[str, ...]]) -> list[str]:
        """Most probable path through the per-position candidate forms (Viterbi).

        Each step scores log P(right | left) = log((count(left right) + T(left) * P(right))
        / (count(left) + T(left))), T being the follower types of left (Witten-Bell), from the
        chain boundary to the chain boundary.
        """
        no_pairs: dict[str, int] = {}
        scores = {_BOUNDARY: 0.0}
        back_pointers: list[dict[str, str]] = []
        for candidates in (*lattice, (_BOUNDARY,)):
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
            for form in candidates:
                prob = self._unigram_prob.get(form, self._unseen_prob)
                best_left, best_score = "", -math.inf
                for left, base, pairs, weight in rows:
                    score = base + math.log(pairs.get(form, 0) + weight * prob)
                    if score > best_score:
                        best_left, best_score = left, score
                next_scores[form] = best_score
                pointers[form] = best_left
            scores = next_scores
            back_pointers.append(pointers)
        path = [_BOUNDARY]
        for pointers in reversed(back_pointers):
            path.append(pointers[path[-1]])
        return path[-2:0:-1]  # drop both boundaries, first word first

    def restore(self, text: str) -> str:
        """Return ``text`` with diacritics restored on the words typed without them.

        Words carrying marks the knowledge base uses are kept as typed and condition their
        neighbours; a marked form it never uses, of a word it knows, is a typo ("kêt hôn",
        "sỗ bảo hiểm") and is restored like a word typed without marks. Words the knowledge base
        never used are kept as they are. Punctuation, spacing and word order are preserved, and
        so is the capitalisation of each word.
        """
        text = nfc(text)
        pieces: list[str] = []
        position = 0
        for chain in _chains(text):
            lattice = []
            for match in chain:
                typed = match.group().lower()
                folded = fold(typed)
                if folded in self._candidates and (folded == typed or typed not in self.forms[folded]):
                    lattice.append(self._candidates[folded])
                else:
                    lattice.append((typed,))
            for match, form in zip(chain, self._decode(lattice)):
                pieces.append(text[position : match.start()])
                pieces.append(_match_case(form, match.group()))
                position = match.end()
        pieces.append(text[position:])
        return "".join(pieces)

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-able form of the model, for caching next to the index."""
        return {
            "format": _FORMAT,
            "max_candidates": self.max_candidates,
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
        )
