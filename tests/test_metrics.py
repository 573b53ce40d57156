import json

import pytest

from retrieval import LabelledQuestion, Outcome, QuestionFormatError, read_questions, summarize


def outcome(qid, gold, ranking, *, style="diacritics", answered=True, abstained=False):
    question = LabelledQuestion(qid, f"q{qid}", tuple(gold), style)
    return Outcome(question, tuple(ranking), answered=answered, abstained=abstained)


def test_recall_mrr_and_abstention_on_a_hand_made_set():
    outcomes = [
        outcome("1", ["A"], ["A", "B"]),  # rank 1
        outcome("2", ["B", "X"], ["C", "X", "B"], answered=False),  # rank 2, clarified
        outcome("3", ["D"], ["C", "E", "F", "G", "H", "D"], style="teencode"),  # rank 6, answered wrongly
        outcome("4", ["Z"], ["C"], style="teencode", answered=False, abstained=True),  # missed
        outcome("5", [], ["A"], style="complaint", answered=False, abstained=True),
        outcome("6", [], ["A"], style="complaint"),  # answered an out-of-scope message
    ]
    summary = summarize(outcomes)
    assert summary["n"] == 4 and summary["n_oos"] == 2
    assert summary["recall@1"] == pytest.approx(1 / 4)
    assert summary["recall@5"] == pytest.approx(2 / 4)
    assert summary["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 6) / 4)
    assert summary["answered_wrong"] == pytest.approx(1 / 4)
    assert summary["abstain_oos"] == pytest.approx(1 / 2)
    assert summary["by_style"]["teencode"]["recall@5"] == 0
    assert summary["by_style"]["complaint"]["abstain_oos"] == pytest.approx(1 / 2)


def test_read_questions_reports_the_bad_line(tmp_path):
    path = tmp_path / "q.jsonl"
    rows = [{"id": "a", "query": "x", "gold": ["1.000001"], "style": "typo"}, {"id": "b"}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    with pytest.raises(QuestionFormatError, match=r"q.jsonl:2:"):
        read_questions(path)
    path.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    assert read_questions(path)[0].gold == ("1.000001",)
