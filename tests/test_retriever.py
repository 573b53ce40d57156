import dataclasses

import numpy as np
import pytest

from retrieval import (
    FEATURES,
    Calibration,
    Decision,
    EmbeddingCache,
    Retriever,
    RetrieverSettings,
    SearchDoc,
    normalize_query,
    query_tokens,
)

DOCS = [
    SearchDoc("1.004194", "Đăng ký tạm trú", body=("Tờ khai thay đổi thông tin cư trú",), popularity=1.0, local=True),
    SearchDoc("1.004222", "Đăng ký thường trú", body=("Tờ khai thay đổi thông tin cư trú",), popularity=0.9, local=True),
    SearchDoc("1.001193", "Thủ tục đăng ký khai sinh", body=("Tờ khai đăng ký khai sinh", "Giấy chứng sinh"), local=True),
    SearchDoc("1.000894", "Thủ tục đăng ký kết hôn", body=("Tờ khai đăng ký kết hôn",), local=True),
    SearchDoc("2.000001", "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", body=("Đơn đề nghị cấp giấy phép",)),
    SearchDoc("vneid-muc-2", "Làm sao có tài khoản định danh điện tử mức độ 2?", aliases=("VNeID mức 2",), local=True),
]


@pytest.fixture
def retriever(hashing_embedder):
    return Retriever(DOCS, hashing_embedder)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("đăng ký tạm trú ở đâu ạ", "1.004194"),
        ("dang ky tam tru o dau", "1.004194"),
        ("dk thuong tru can gi", "1.004222"),
        ("lam giay khai sinh cho con can gi", "1.001193"),
        ("ddawng kys keets hoon", "1.000894"),
        ("xin phép xây nhà", "2.000001"),
        ("lam vneid muc 2 the nao", "vneid-muc-2"),
    ],
)
def test_finds_the_entry_for_everyday_questions(retriever, query, expected):
    assert retriever.search(query).hits[0].doc_id == expected


def test_everyday_words_reach_official_names_through_the_lexicon(retriever):
    # "hộ khẩu" never appears in the documents; the lexicon maps it to "thường trú".
    assert retriever.search("nhập hộ khẩu cho con").hits[0].doc_id == "1.004222"


def test_decisions_follow_the_calibrated_probabilities(hashing_embedder):
    always = Calibration.neutral()  # every probability 0.5
    settings = RetrieverSettings(min_in_scope=0.5, answer_confidence=0.5)
    answer = Retriever(DOCS, hashing_embedder, calibration=always, settings=settings)
    assert answer.search("đăng ký tạm trú").decision is Decision.ANSWER
    settings = RetrieverSettings(min_in_scope=0.5, answer_confidence=0.6)
    clarify = Retriever(DOCS, hashing_embedder, calibration=always, settings=settings)
    result = clarify.search("đăng ký tạm trú")
    assert result.decision is Decision.CLARIFY and len(result.choices) == 3
    abstain = Retriever(DOCS, hashing_embedder, calibration=always, settings=RetrieverSettings(min_in_scope=0.6))
    result = abstain.search("đăng ký tạm trú")
    assert result.decision is Decision.ABSTAIN and result.choices == ()


def test_out_of_scope_messages_abstain_with_a_fitted_calibration(retriever):
    rows, top_correct, in_scope = [], [], []
    labelled = [
        ("đăng ký tạm trú", "1.004194"),
        ("dang ky thuong tru", "1.004222"),
        ("khai sinh cho con", "1.001193"),
        ("đăng ký kết hôn", "1.000894"),
        ("giấy phép xây dựng nhà ở", "2.000001"),
        ("tài khoản định danh điện tử", "vneid-muc-2"),
        ("giá vàng hôm nay bao nhiêu", None),
        ("thời tiết ngày mai thế nào", None),
        ("chó nhà hàng xóm sủa suốt đêm", None),
        ("cho xin bài thơ tình", None),
    ]
    for query, gold in labelled:
        features, ranking = retriever.features(query)
        rows.append(features)
        top_correct.append(ranking[0][0] == gold)
        in_scope.append(gold is not None)
    retriever.calibration = Calibration.fit(rows, top_correct, in_scope)
    assert retriever.search("giá vàng hôm nay").decision is Decision.ABSTAIN
    assert retriever.search("đăng ký tạm trú ở đâu").decision is not Decision.ABSTAIN


def test_calibration_round_trips_and_checks_its_features():
    fitted = Calibration.fit([[0.1 * i] * len(FEATURES) for i in range(6)], [0, 0, 0, 1, 1, 1], [0, 1, 0, 1, 1, 1])
    again = Calibration.from_json(fitted.to_json())
    point = [0.45] * len(FEATURES)
    assert again.answer.probability(point) == pytest.approx(fitted.answer.probability(point))
    assert fitted.answer.probability([0.0] * len(FEATURES)) < 0.5 < fitted.answer.probability([0.5] * len(FEATURES))
    with pytest.raises(ValueError, match="features"):
        Calibration.from_json(fitted.to_json().replace("dense_max", "something_else"))


def test_the_shipped_calibration_loads():
    assert Calibration.load().fitted_on


def test_one_changed_entry_is_embedded_again_and_nothing_else(tmp_path, hashing_embedder):
    cache = EmbeddingCache(tmp_path / "vectors.sqlite3")
    first = Retriever(DOCS, hashing_embedder, cache=cache)
    passages = sum(1 + len(d.aliases) for d in DOCS)
    assert first.newly_embedded == passages == hashing_embedder.passages_encoded
    changed = [*DOCS[:-1], SearchDoc("vneid-muc-2", "Đăng ký tài khoản định danh điện tử mức độ 2", aliases=("VNeID mức 2",))]
    second = Retriever(changed, hashing_embedder, cache=EmbeddingCache(tmp_path / "vectors.sqlite3"))
    assert second.newly_embedded == 1
    assert hashing_embedder.passages_encoded == passages + 1
    assert second.search("đăng ký định danh điện tử").hits[0].doc_id == "vneid-muc-2"


def test_progress_is_reported_while_embedding(hashing_embedder):
    seen = []
    Retriever(DOCS, hashing_embedder, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 7) and seen[-1] == (7, 7)


def test_invalid_inputs_are_refused(hashing_embedder):
    with pytest.raises(ValueError, match="at least one"):
        Retriever([], hashing_embedder)
    with pytest.raises(ValueError, match="unique"):
        Retriever([DOCS[0], DOCS[0]], hashing_embedder)
    with pytest.raises(ValueError, match="positive"):
        RetrieverSettings(top_k=0)
    with pytest.raises(ValueError, match="probabilities"):
        RetrieverSettings(min_in_scope=1.5)


def test_dense_scores_take_each_documents_best_passage():
    from retrieval import DenseIndex

    vectors = np.eye(3, dtype=np.float32)
    index = DenseIndex(vectors, [0, 0, 1], n_docs=2)
    scores = index.scores(np.array([0.0, 1.0, 0.0], dtype=np.float32))
    assert scores[0] == pytest.approx(1.0) and scores[1] == pytest.approx(0.0)


def test_every_hit_carries_a_probability_anchored_at_the_calibrated_top(retriever):
    result = retriever.search("đăng ký tạm trú ở đâu")
    probabilities = [hit.confidence for hit in result.hits]
    assert probabilities[0] == pytest.approx(result.confidence)
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= p <= 1 for p in probabilities)


def test_the_temperature_follows_how_decisive_the_scores_are():
    from retrieval._calibration import fit_temperature

    rankings = [[5.0, 4.0, 3.9], [6.0, 5.1, 5.0], [4.2, 3.0, 2.9]]
    sharp = fit_temperature(rankings, [0, 0, 0])  # the right entry always leads clearly
    mixed = fit_temperature(rankings, [0, 1, 2])  # it is anywhere
    assert sharp < mixed


def test_the_dense_model_reads_the_whole_message_or_its_end_and_the_official_terms(hashing_embedder):
    retriever = Retriever(DOCS, hashing_embedder, settings=RetrieverSettings(dense_query_chars=60))
    short = retriever.reader.dense_text("đăng ký tạm trú ở đâu", ["thường trú"])
    assert short == "đăng ký tạm trú ở đâu thường trú"
    story = "nhà tôi ở quê lâu rồi nay lên thành phố thuê trọ đi làm, chủ nhà bảo phải đăng ký tạm trú ở đâu"
    text = retriever.reader.dense_text(story, ["thường trú"])
    assert len(text) <= 60 and text.endswith("đăng ký tạm trú ở đâu thường trú")
    assert story.endswith(text.removesuffix(" thường trú"))  # whole words, from the end
    whole = Retriever(DOCS, hashing_embedder)  # the default: the whole message
    assert whole.reader.dense_text(story, ["thường trú"]) == story + " thường trú"


def test_asking_what_to_bring_names_no_procedure():
    # "cần những giấy tờ gì" must not match names such as "… người đã có hồ sơ, giấy tờ cá nhân".
    tokens = query_tokens("làm giấy khai sinh cho con cần những giấy tờ gì?")
    assert tokens == query_tokens("làm giấy khai sinh cho con")
    assert "ho_so" not in query_tokens("dang ky ket hon ho so the nao")
    assert "giay_to" in query_tokens("giấy tờ cá nhân bị mất")  # here they name the thing


def test_corrected_spelling_reaches_both_indexes(retriever):
    from retrieval._restore import DiacriticRestorer

    # The fixture's six titles are too few to vouch for a correction; a knowledge base of a real
    # size repeats "tạm trú" thousands of times.
    retriever.reader._restorer = DiacriticRestorer.fit([d.title for d in DOCS] * 1000)
    parts = retriever.component_scores("dang ky tam chu o dau")
    assert parts.normalized == "đăng ký tạm trú ở đâu"
    assert "tam_tru" in parts.tokens  # BM25 reads the corrected words, not only the dense model
    assert retriever.search("dang ky tam chu o dau").hits[0].doc_id == "1.004194"


def test_follow_ups_the_question_gives_no_reason_for_are_held_back(hashing_embedder):
    docs = [SearchDoc("3.000346", "Cấp giấy phép lái xe"), SearchDoc("3.000348", "Cấp lại giấy phép lái xe")]
    plain = Retriever(docs, hashing_embedder, settings=RetrieverSettings(follow_up_penalty=0))
    held = Retriever(docs, hashing_embedder, settings=RetrieverSettings(follow_up_penalty=0.1))

    def fused(retriever, query):
        return retriever.fuse(retriever.component_scores(query))

    first_time = "thi đậu bằng lái rồi thì cấp giấy phép lái xe ở đâu"
    assert fused(held, first_time) == pytest.approx(fused(plain, first_time) - [0, 0.1])
    lost = "bằng lái bị mất thì cấp giấy phép lái xe ở đâu"
    assert fused(held, lost) == pytest.approx(fused(plain, lost))


def with_questions(docs, questions: dict[str, tuple[str, ...]]):
    return [SearchDoc(d.id, d.title, d.aliases, d.body, questions.get(d.id, ()), d.popularity, d.local) for d in docs]


def test_a_citizens_question_in_the_corpus_finds_its_procedure(hashing_embedder):
    # "Hai đứa muốn thành vợ chồng" shares no word with "đăng ký kết hôn"; the corpus bridges it.
    asked = "Hai đứa mình muốn thành vợ chồng hợp pháp trên giấy tờ"
    plain = Retriever(DOCS, hashing_embedder)
    assert plain.search(asked).hits[0].doc_id != "1.000894"
    with_corpus = Retriever(with_questions(DOCS, {"1.000894": (asked, "Sắp cưới thì lên phường làm gì?")}), hashing_embedder)
    parts = with_corpus.component_scores("hai dua minh muon thanh vo chong hop phap")
    best = int(np.argmax(parts.question_lexical))
    assert with_corpus.docs[best].id == "1.000894" and parts.question_dense[best] == parts.question_dense.max()
    assert with_corpus.search("hai dua minh muon thanh vo chong hop phap").hits[0].doc_id == "1.000894"


def test_an_entry_without_corpus_questions_is_asked_by_its_names(hashing_embedder):
    # The FAQ has no corpus questions; a procedure has one on the same subject. Asked in the FAQ's
    # own words, the FAQ must win on the question scores too, from the vectors it already has.
    corpus = {"1.004194": ("Tôi muốn có tài khoản định danh điện tử để đăng ký tạm trú online",)}
    retriever = Retriever(with_questions(DOCS, corpus), hashing_embedder)
    assert retriever.newly_embedded == sum(1 + len(d.aliases) for d in DOCS) + 1
    parts = retriever.component_scores("Làm sao có tài khoản định danh điện tử mức độ 2?")
    faq = [d.id for d in retriever.docs].index("vneid-muc-2")
    assert parts.question_lexical[faq] == parts.question_lexical.max() > 0
    assert parts.question_dense[faq] == parts.question_dense.max()
    assert retriever.search("lam sao co tai khoan dinh danh dien tu muc do 2").hits[0].doc_id == "vneid-muc-2"


def test_corpus_questions_are_cached_passages_read_like_messages(tmp_path, hashing_embedder):
    corpus = {"1.001193": ("Con tôi mới sinh thì làm giấy gì?", "vo e moi de can lam giay to j")}
    cache = EmbeddingCache(tmp_path / "vectors.sqlite3")
    first = Retriever(with_questions(DOCS, corpus), hashing_embedder, cache=cache)
    names = sum(1 + len(d.aliases) for d in DOCS)
    assert first.newly_embedded == names + 2
    # Embedded as a citizen's message is read: normalised (teencode expanded), diacritics restored.
    assert first.reader.restore(normalize_query("vo e moi de can lam giay to j")) in hashing_embedder.passages_seen
    corpus["1.001193"] = (*corpus["1.001193"], "Bé nhà tôi chào đời ở trạm y tế")
    second = Retriever(with_questions(DOCS, corpus), hashing_embedder, cache=cache)
    assert second.newly_embedded == 1  # only the new question


def test_identical_documents_rank_as_the_first_with_the_best_of_their_scores(hashing_embedder):
    # The portal lists some procedures under several codes, record for record the same. Asked in
    # the words of the second code's corpus question, the first answers, alone and confident.
    asked = "Nhóm hộ nuôi bò trong thôn muốn xin hỗ trợ con giống"
    first = SearchDoc("1.002544", "Hỗ trợ phát triển sản xuất cộng đồng", body=("Đề nghị hỗ trợ dự án",), local=True)
    twin = dataclasses.replace(first, id="3.000274", questions=(asked,), same_as="1.002544")
    docs = [*DOCS, first, twin]
    apart = Retriever([*DOCS, first, dataclasses.replace(twin, same_as="")], hashing_embedder)
    merged = Retriever(docs, hashing_embedder)
    query = "nhom ho nuoi bo trong thon muon xin ho tro con giong"
    assert [h.doc_id for h in apart.search(query).hits[:2]] == ["3.000274", "1.002544"]
    result = merged.search(query)
    assert result.hits[0].doc_id == "1.002544" and "3.000274" not in [h.doc_id for h in result.hits]
    assert result.hits[0].score == apart.search(query).hits[0].score
    features, ranking = merged.features(query)
    assert [doc_id for doc_id, _ in ranking] == [h.doc_id for h in result.hits]
    assert features[FEATURES.index("margin")] > apart.features(query)[0][FEATURES.index("margin")]


def test_a_document_can_only_be_the_same_as_an_earlier_one(hashing_embedder):
    later = dataclasses.replace(DOCS[0], same_as=DOCS[1].id)
    with pytest.raises(ValueError, match="earlier document"):
        Retriever([later, DOCS[1]], hashing_embedder)
    unknown = dataclasses.replace(DOCS[1], same_as="9.999999")
    with pytest.raises(ValueError, match="earlier document"):
        Retriever([DOCS[0], unknown], hashing_embedder)
    chained = [
        DOCS[0],
        dataclasses.replace(DOCS[1], same_as=DOCS[0].id),
        dataclasses.replace(DOCS[2], same_as=DOCS[1].id),
    ]
    with pytest.raises(ValueError, match="same as no other"):
        Retriever(chained, hashing_embedder)
