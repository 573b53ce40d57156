import pytest

from retrieval import Lexicon, LexiconFormatError


def test_longest_phrase_wins_and_blocks_shorter_entries():
    lexicon = Lexicon.parse("bị mất\tcấp lại\nmất bao lâu\t\nsổ đỏ\tgiấy chứng nhận quyền sử dụng đất\n")
    assert lexicon.expansions("mất sổ đỏ làm lại mất bao lâu") == ["giấy chứng nhận quyền sử dụng đất"]
    assert lexicon.expansions("so do bi mat") == ["giấy chứng nhận quyền sử dụng đất", "cấp lại"]


def test_matching_ignores_diacritics_and_case_but_respects_word_boundaries():
    lexicon = Lexicon.parse("cà vẹt\tchứng nhận đăng ký xe\n")
    assert lexicon.expansions("Mất CA VET xe rồi") == ["chứng nhận đăng ký xe"]
    assert lexicon.expansions("cavet") == []


def test_bad_lines_name_their_line():
    with pytest.raises(LexiconFormatError, match="x.tsv:2:"):
        Lexicon.parse("# comment\nno tab here\n", source="x.tsv")
    with pytest.raises(LexiconFormatError, match="x.tsv:3: 'So Do' is already listed on line 1"):
        Lexicon.parse("sổ đỏ\tgiấy chứng nhận\nxe\txe\nSo Do\tbìa\n", source="x.tsv")


def test_bundled_lexicon_loads_and_maps_everyday_words():
    lexicon = Lexicon.default()
    assert len(lexicon) > 100
    assert "xác nhận thông tin về cư trú" in lexicon.expansions("xin giấy ct07 ở đâu")
    assert lexicon.expansions("hộ chiếu làm mất bao lâu") == ["hộ chiếu phổ thông"]
