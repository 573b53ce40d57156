"""The citizen-question corpus: how people actually ask for each procedure.

One UTF-8 text file per procedure, ``questions/<code>.txt``, one question per line; a line starting
with ``#`` is a comment. The questions were written from each procedure's portal record (who files,
conditions, result, the life event that leads there), never from an evaluation set. The retriever
indexes them as extra passages pointing to their procedure, lexical and dense, and the embedding
model is fine-tuned on them (``retrieval/_train.py``).

wardbot ships a corpus for every procedure of the national portal (``knowledge/questions/``); a
ward adds its own in a ``questions/`` folder inside its knowledge-base folder. Both are read, and a
procedure's list is the union of its files' lines.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ._problems import Problem, code_problem

QUESTIONS_DIRNAME = "questions"


def bundled_questions_path() -> Path:
    """The corpus shipped with wardbot: questions for every procedure of the national portal."""
    return Path(str(resources.files("knowledge").joinpath(QUESTIONS_DIRNAME)))


def question_key(question: str) -> str:
    """What two questions share when they are the same question: NFC, case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFC", question).casefold().split())


@dataclass(frozen=True)
class _Question:
    text: str
    path: str
    line: int


def _question_files(folder: Path, problems: list[Problem]) -> list[Path]:
    if not folder.is_dir():
        problems.append(Problem(str(folder), 0, "no such folder"))
        return []
    return sorted(file for file in folder.glob("*.txt") if not file.name.startswith("."))


def read_question_corpus(folders: Sequence[str | Path]) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """The questions of every ``<code>.txt`` under ``folders``, by procedure code, and every problem:
    a file not named after a code, an empty line, a question repeated in one list, a question that
    two procedures' lists both hold (it could not tell them apart)."""
    problems: list[Problem] = []
    found: dict[str, list[_Question]] = {}
    for folder in folders:
        for file in _question_files(Path(folder), problems):
            code = file.stem
            reason = code_problem(code)
            if reason:
                problems.append(Problem(str(file), 0, f"the file must be named <procedure code>.txt: {reason}"))
                continue
            try:
                lines = file.read_text(encoding="utf-8").split("\n")
            except UnicodeDecodeError:
                problems.append(Problem(str(file), 0, "the file is not UTF-8 text"))
                continue
            except OSError as error:
                problems.append(Problem(str(file), 0, f"cannot be read: {error.strerror}"))
                continue
            if lines and lines[-1] == "":
                lines.pop()  # the newline that ends the last line
            for number, line in enumerate(lines, start=1):
                text = line.strip()
                if not text:
                    problems.append(Problem(str(file), number, "empty line: write one question per line"))
                elif not text.startswith("#"):
                    found.setdefault(code, []).append(_Question(text, str(file), number))
    problems.extend(_duplicates(found))
    return {code: tuple(dict.fromkeys(q.text for q in items)) for code, items in found.items()}, problems


def _duplicates(found: Mapping[str, Iterable[_Question]]) -> list[Problem]:
    problems = []
    owners: dict[str, list[tuple[str, _Question]]] = {}
    for code, questions in found.items():
        seen: dict[str, _Question] = {}
        for question in questions:
            key = question_key(question.text)
            first = seen.get(key)
            if first is not None:
                problems.append(
                    Problem(question.path, question.line, f"repeats the question at {first.path}:{first.line}")
                )
                continue
            seen[key] = question
            owners.setdefault(key, []).append((code, question))
    for places in owners.values():
        if len({code for code, _ in places}) < 2:
            continue
        for _code, question in places:
            others = ", ".join(f"{other} ({q.path}:{q.line})" for other, q in places if q is not question)
            problems.append(
                Problem(question.path, question.line, f"the same question is listed for procedure {others}: "
                        "it cannot tell them apart; keep it for one of them")
            )  # fmt: skip
    return problems


def question_folders(kb_paths: Sequence[str | Path]) -> list[Path]:
    """The bundled corpus, then the ``questions/`` folder of every knowledge-base folder that has one."""
    folders = [bundled_questions_path()]
    for path in map(Path, kb_paths):
        candidate = path / QUESTIONS_DIRNAME
        if path.is_dir() and candidate.is_dir() and candidate.resolve() != folders[0].resolve():
            folders.append(candidate)
    return folders
