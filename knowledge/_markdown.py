"""The human-editable entry format: one Markdown file per entry, with YAML front matter.

Ward officials edit these files in a text editor, so parsing is strict and every error names the
line of the file it concerns. The structured fields live in the front matter; the prose lives in
the body: a procedure's steps, conditions and result as ``##`` sections, an FAQ's answer as the
whole body. Text that the body cannot hold faithfully (leading or trailing whitespace, a carriage
return, a line that reads as a section heading) is written into the front matter instead, under
the same key, so that ``parse_entry(dump_entry(entry)) == entry`` holds for every entry.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from wardbot_errors import WardbotError

from ._schema import Channel, DocumentItem, Entry, Faq, LegalBasis, Procedure, SubmissionMethod

# A field's position inside an entry: ("code",), ("documents", 0, "originals"), ("steps", 2), ...
FieldKey = tuple[str | int, ...]

_NULL_TAG = "tag:yaml.org,2002:null"
_DELIMITER = "---"

_PROCEDURE_KEYS = (
    "kind", "code", "name", "field", "levels", "applicants", "implementing_agencies",
    "competent_agencies", "filing_address", "decision", "portal_url", "source_url", "updated",
    "methods", "documents", "legal_basis", "steps", "conditions", "result", "raw",
)  # fmt: skip
_FAQ_KEYS = ("kind", "id", "question", "variants", "tags", "legal_basis", "source", "updated", "answer")
_METHOD_KEYS = ("channel", "processing_time", "fee", "description")
_DOCUMENT_KEYS = ("name", "originals", "copies", "form", "group")
_LEGAL_BASIS_KEYS = ("number", "name", "issued", "issuer")
_KINDS = ("procedure", "faq")

# The procedure body's sections, in the order they are written, and the field each one holds.
_SECTIONS = {"steps": "Trình tự thực hiện", "conditions": "Yêu cầu, điều kiện", "result": "Kết quả"}
# A level-2 ATX heading ("## Title"); the title group is None for a bare "##".
_HEADING = re.compile(r"##(?:[ \t]+(.*?))?[ \t]*")
# A numbered step: "1. text" or "1) text".
_STEP = re.compile(r"([0-9]+)[.)](?:[ \t]+(.*))?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COUNT = re.compile(r"[0-9]+")
# Characters YAML itself treats as line breaks: only a double-quoted scalar keeps them as they are.
_YAML_BREAKS = frozenset("\r\x85\u2028\u2029")

# libyaml's parser where PyYAML was built with it: about ten times faster than the pure-Python
# one, which matters when hundreds of entries are loaded and fingerprinted at every start.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EntryError(WardbotError, ValueError):
    """An entry file that cannot be read, with the 1-based line of the file where the problem is."""

    def __init__(self, path: str | Path, line: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{line}: {message}")


@dataclass(frozen=True)
class LocatedEntry:
    """An entry with the file line of each of its fields, so later checks can point at them."""

    entry: Entry
    lines: Mapping[FieldKey, int] = field(default_factory=dict)
    default_line: int = 1

    def line(self, *key: str | int) -> int:
        """The line of ``key``, else of its closest enclosing field, else ``default_line``."""
        for end in range(len(key), 0, -1):
            found = self.lines.get(key[:end])
            if found is not None:
                return found
        return self.default_line


# --------------------------------------------------------------------------------------------
# Dumping


# libyaml's emitter where PyYAML was built with it, like ``_Loader``.
class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe YAML, with the representers below."""


class _FlowList(list):
    """A list of short words written on one line: ``levels: [Cấp xã]``."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _YAML_BREAKS.intersection(value):
        # Only a double-quoted scalar escapes these; any other style would load them as spaces.
        style: str | None = '"'
    elif "\n" in value:
        # A literal block reads as the text will be shown. Where one cannot hold the text
        # exactly, the emitter itself falls back to a quoted scalar.
        style = "|"
    else:
        style = None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow_list(dumper: yaml.SafeDumper, value: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(_FlowList, _represent_flow_list)


def dump_entry(entry: Entry) -> str:
    """The entry as a Markdown file with YAML front matter; ``parse_entry`` reads it back equal."""
    if isinstance(entry, Procedure):
        front, body = _procedure_parts(entry)
    elif isinstance(entry, Faq):
        front, body = _faq_parts(entry)
    else:
        raise TypeError(f"expected a Procedure or a Faq, got {type(entry).__name__}")
    text = yaml.dump(
        front,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1 << 30,  # never fold long lines: a folded value is hard to edit correctly
    )
    return f"{_DELIMITER}\n{text}{_DELIMITER}\n{body}"


def _put(mapping: dict[str, Any], key: str, value: Any) -> None:
    """Sets ``key`` unless ``value`` is empty: empty optional fields are left out of the file."""
    empty = value is None or (isinstance(value, (str, list, tuple, dict)) and not value)
    if not empty:  # a count of 0 is information, so only None and empty text or lists count
        mapping[key] = value


def _legal_basis_items(items: Sequence[LegalBasis]) -> list[dict[str, str]]:
    dumped = []
    for basis in items:
        item: dict[str, str] = {}
        _put(item, "number", basis.number)
        item["name"] = basis.name
        _put(item, "issued", basis.issued)
        _put(item, "issuer", basis.issuer)
        dumped.append(item)
    return dumped


def _procedure_parts(procedure: Procedure) -> tuple[dict[str, Any], str]:
    front: dict[str, Any] = {"kind": "procedure", "code": procedure.code, "name": procedure.name}
    _put(front, "field", procedure.field)
    _put(front, "levels", _FlowList(procedure.levels))
    for key in ("applicants", "implementing_agencies", "competent_agencies", "filing_address",
                "decision", "portal_url", "source_url", "updated"):  # fmt: skip
        _put(front, key, getattr(procedure, key))
    methods = []
    for method in procedure.methods:
        item: dict[str, Any] = {"channel": method.channel.value}
        _put(item, "processing_time", method.processing_time)
        _put(item, "fee", method.fee)
        _put(item, "description", method.description)
        methods.append(item)
    _put(front, "methods", methods)
    documents = []
    for document in procedure.documents:
        item = {"name": document.name}
        _put(item, "originals", document.originals)
        _put(item, "copies", document.copies)
        _put(item, "form", document.form)
        _put(item, "group", document.group)
        documents.append(item)
    _put(front, "documents", documents)
    _put(front, "legal_basis", _legal_basis_items(procedure.legal_basis))

    sections = []
    if procedure.steps:
        if all(_fits_step(step) for step in procedure.steps):
            sections.append(f"## {_SECTIONS['steps']}\n{_numbered(procedure.steps)}")
        else:
            front["steps"] = list(procedure.steps)
    for key in ("conditions", "result"):
        text = getattr(procedure, key)
        if text:
            if _fits_section(text):
                sections.append(f"## {_SECTIONS[key]}\n{text}")
            else:
                front[key] = text
    # Sorted so that equal contents give equal bytes, whatever order the portal listed them in.
    _put(front, "raw", dict(sorted(procedure.raw.items())))
    return front, "\n\n".join(sections) + "\n" if sections else ""


def _numbered(steps: Iterable[str]) -> str:
    """Steps as a numbered list, later lines of a step indented under its text."""
    lines = []
    for number, step in enumerate(steps, start=1):
        marker = f"{number}. "
        first, *rest = step.split("\n")
        lines.append(marker + first)
        lines.extend(" " * len(marker) + line if line else "" for line in rest)
    return "\n".join(lines)


def _faq_parts(faq: Faq) -> tuple[dict[str, Any], str]:
    front: dict[str, Any] = {"kind": "faq", "id": faq.id, "question": faq.question}
    _put(front, "variants", list(faq.variants))
    _put(front, "tags", _FlowList(faq.tags))
    _put(front, "legal_basis", _legal_basis_items(faq.legal_basis))
    _put(front, "source", faq.source)
    _put(front, "updated", faq.updated)
    if not faq.answer:
        return front, ""
    if _fits_body(faq.answer):
        return front, f"{faq.answer}\n"
    front["answer"] = faq.answer
    return front, ""


def _fits_body(text: str) -> bool:
    """Whether the text reads back unchanged from the body, where blank edges are trimmed."""
    return text == text.strip() and "\r" not in text


def _fits_step(text: str) -> bool:
    return bool(text) and _fits_body(text)


def _fits_section(text: str) -> bool:
    return _fits_body(text) and not any(_HEADING.fullmatch(line) for line in text.split("\n"))


# --------------------------------------------------------------------------------------------
# Parsing


def load_entry_file(path: str | Path) -> Entry:
    """Reads one entry file; raises ``EntryError`` naming the line of the first problem."""
    return locate_entry_file(path).entry


def locate_entry_file(path: str | Path) -> LocatedEntry:
    """Like ``load_entry_file``, with the line of each field."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise EntryError(path, line, "the file is not UTF-8 text; save it with UTF-8 encoding") from None
    return locate_entry(text, path=str(path))


def parse_entry(text: str, *, path: str = "<string>") -> Entry:
    """Parses the text of one entry file; raises ``EntryError`` naming the line of the problem."""
    return locate_entry(text, path=path).entry


def locate_entry(text: str, *, path: str = "<string>") -> LocatedEntry:
    """Like ``parse_entry``, with the line of each field."""
    # Editors on Windows add a byte-order mark and CRLF line ends; neither is content.
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    if lines[0].rstrip() != _DELIMITER:
        raise EntryError(path, 1, "the file must start with a '---' line that opens the YAML front matter")
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == _DELIMITER), None)
    if close is None:
        raise EntryError(path, 1, "the front matter opened on line 1 is never closed: add a '---' line after it")
    reader = _Reader(path, first_line=2)
    # With its final line break: a literal block ending the front matter keeps its own.
    root = reader.compose("".join(f"{line}\n" for line in lines[1:close]))
    body = _Body(path, lines[close + 1 :], first_line=close + 2)
    if root is None:
        raise EntryError(path, 1, "the front matter is empty; it must give at least `kind`")
    if not isinstance(root, yaml.MappingNode):
        reader.fail(root, f"the front matter must be `key: value` lines, not {_shown(root)}")
    kind_node = next((value for key, value in root.value if _is_key(key, "kind")), None)
    if kind_node is None:
        raise EntryError(path, 1, "the front matter is missing the required key `kind` (procedure or faq)")
    kind = reader.text(kind_node, "`kind`")
    if kind == "procedure":
        entry: Entry = reader.procedure(root, body)
    elif kind == "faq":
        entry = reader.faq(root, body)
    else:
        reader.fail(kind_node, f"field `kind` must be 'procedure' or 'faq', got {kind!r}{_suggestion(kind, _KINDS)}")
    return LocatedEntry(entry, reader.lines)


def _is_key(node: yaml.Node, name: str) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value == name


def _shown(node: yaml.Node) -> str:
    """How a value is described in a message: scalars quoted, collections by what they are."""
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.MappingNode):
        return "a set of `key: value` lines"
    return repr(node.value)


def _suggestion(word: str, choices: Iterable[str]) -> str:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""


def _heading_key(title: str) -> str:
    """A heading title compared loosely: editors differ in Unicode normalization, case, spacing."""
    return " ".join(unicodedata.normalize("NFC", title).casefold().split())


class _Reader:
    """Turns the composed front matter into schema values, recording each field's line."""

    def __init__(self, path: str, *, first_line: int) -> None:
        self.path = path
        self.first_line = first_line  # the file line of the front matter's first YAML line
        self.lines: dict[FieldKey, int] = {}
        self._text = ""  # the front matter, once composed

    def line_of(self, node: yaml.Node) -> int:
        return self._line_at(node.start_mark.index)

    def _line_at(self, index: int) -> int:
        """The file line of the front matter's character at ``index``. Not from YAML's own line
        count, which also breaks lines at a lone CR, NEL, U+2028 and U+2029."""
        return self.first_line + self._text.count("\n", 0, index)

    def fail(self, node: yaml.Node, message: str) -> NoReturn:
        raise EntryError(self.path, self.line_of(node), message)

    def compose(self, text: str) -> yaml.Node | None:
        self._text = text
        try:
            return yaml.compose(text, Loader=_Loader)
        except yaml.MarkedYAMLError as error:
            mark, message = error.problem_mark, error.problem or ""
            if error.context_mark and (mark is None or mark.index >= len(text)):
                # Something never closed, such as a quote: where it opens is where to fix it.
                mark, message = error.context_mark, f"{error.context}, found no end before the '---' line"
            elif error.context and error.context_mark:
                message += f" ({error.context} on line {self._line_at(error.context_mark.index)})"
            if mark is None:
                raise EntryError(self.path, 1, f"the front matter is not valid YAML: {message}") from None
            line = self._line_at(mark.index)
            if "\t" in _indentation(text.split("\n")[line - self.first_line]):
                message = "a tab in the indentation; YAML needs spaces there"
            raise EntryError(self.path, line, f"the front matter is not valid YAML: {message}") from None
        except yaml.reader.ReaderError as error:
            line = self._line_at(error.position)
            raise EntryError(
                self.path, line, f"the front matter holds a character YAML does not allow (code {error.character:#x})"
            ) from None
        except UnicodeEncodeError as error:  # libyaml reads UTF-8, which half a surrogate pair is not
            code = ord(text[error.start])
            raise EntryError(
                self.path,
                self._line_at(error.start),
                f"the front matter holds a character YAML does not allow (code {code:#x})",
            ) from None

    def fields(
        self,
        node: yaml.Node,
        *,
        where: str,
        allowed: Sequence[str] | None,
        required: Sequence[str] = (),
        missing_line: int | None = None,
        other_kind: tuple[str, Sequence[str]] | None = None,
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The mapping's ``key: (key node, value node)``; rejects duplicate, unknown and missing keys."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{where} must be `key: value` lines, not {_shown(node)}")
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, f"a key in {where} must be a plain name, not {_shown(key_node)}")
            key = key_node.value
            if key in found:
                first = self.line_of(found[key][0])
                self.fail(key_node, f"duplicate key `{key}` in {where}; it was already given on line {first}")
            if allowed is not None and key not in allowed:
                self.fail(key_node, self._unknown_key_message(key, where, allowed, other_kind))
            found[key] = (key_node, value_node)
        for key in required:
            if key not in found:
                line = missing_line if missing_line is not None else self.line_of(node)
                raise EntryError(self.path, line, f"{where} is missing the required key `{key}`")
        return found

    @staticmethod
    def _unknown_key_message(
        key: str, where: str, allowed: Sequence[str], other_kind: tuple[str, Sequence[str]] | None
    ) -> str:
        message = f"unknown key `{key}` in {where}"
        if other_kind is not None and key in other_kind[1]:
            return f"{message}: `{key}` belongs to kind {other_kind[0]!r}; is `kind` right?"
        matches = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if matches:
            return f"{message}; did you mean `{matches[0]}`?"
        return f"{message}; expected one of: {', '.join(allowed)}"

    # Value converters. ``label`` names the field in messages, e.g. "`fee` of methods item 2".

    def text(self, node: yaml.Node, label: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, f"field {label} must be text, not {_shown(node)}")
        # The text as written: "1.001193" or "yes" stay text even though YAML would read a
        # number or a boolean; an empty value ("fee:") is empty text.
        return "" if node.tag == _NULL_TAG else node.value

    def texts(self, node: yaml.Node, label: str, key: FieldKey) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"field {label} must be a list such as [a, b] or '- a' lines, not {_shown(node)}")
        values = []
        for position, item in enumerate(node.value):
            self.lines[(*key, position)] = self.line_of(item)
            values.append(self.text(item, f"{label} item {position + 1}"))
        return tuple(values)

    def count(self, node: yaml.Node, label: str) -> int | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
            return None
        if isinstance(node, yaml.ScalarNode) and _COUNT.fullmatch(node.value):
            try:
                return int(node.value)
            except ValueError:  # int() refuses over 4,300 digits
                self.fail(node, f"field {label} must be a whole number ≥ 0, got one of {len(node.value)} digits")
        self.fail(node, f"field {label} must be a whole number ≥ 0, got {_shown(node)}")

    def date(self, node: yaml.Node, label: str) -> dt.date | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
            return None
        if not (isinstance(node, yaml.ScalarNode) and _DATE.fullmatch(node.value)):
            self.fail(node, f"field {label} must be a date written YYYY-MM-DD (e.g. 2026-07-20), got {_shown(node)}")
        try:
            return dt.date.fromisoformat(node.value)
        except ValueError as error:
            self.fail(node, f"field {label} is not a real date: {node.value!r} ({error})")

    def channel(self, node: yaml.Node, label: str) -> Channel:
        value = self.text(node, label)
        allowed = [channel.value for channel in Channel]
        if value not in allowed:
            self.fail(
                node, f"field {label} must be one of {', '.join(allowed)}; got {value!r}{_suggestion(value, allowed)}"
            )
        return Channel(value)

    def items(self, node: yaml.Node, key: str, build: Callable[[yaml.Node, str, FieldKey], Any]) -> tuple[Any, ...]:
        """A list of mappings, each built by ``build(item node, where, field key)``."""
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"field `{key}` must be a list of '- key: value' items, not {_shown(node)}")
        built = []
        for position, item in enumerate(node.value):
            self.lines[(key, position)] = self.line_of(item)
            built.append(build(item, f"{key} item {position + 1}", (key, position)))
        return tuple(built)

    def _values(
        self, found: dict[str, tuple[yaml.Node, yaml.Node]], where: str, key: FieldKey
    ) -> Iterable[tuple[str, yaml.Node, str]]:
        """Each ``(name, value node, label)``, recording the line of each key."""
        for name, (key_node, value_node) in found.items():
            self.lines[(*key, name)] = self.line_of(key_node)
            yield name, value_node, f"`{name}` of {where}" if where else f"`{name}`"

    def method(self, node: yaml.Node, where: str, key: FieldKey) -> SubmissionMethod:
        found = self.fields(node, where=where, allowed=_METHOD_KEYS, required=("channel",))
        values: dict[str, Any] = {}
        for name, value_node, label in self._values(found, where, key):
            values[name] = self.channel(value_node, label) if name == "channel" else self.text(value_node, label)
        return SubmissionMethod(**values)

    def document(self, node: yaml.Node, where: str, key: FieldKey) -> DocumentItem:
        found = self.fields(node, where=where, allowed=_DOCUMENT_KEYS, required=("name",))
        values: dict[str, Any] = {}
        for name, value_node, label in self._values(found, where, key):
            counted = name in ("originals", "copies")
            values[name] = self.count(value_node, label) if counted else self.text(value_node, label)
        return DocumentItem(**values)

    def legal_basis(self, node: yaml.Node, where: str, key: FieldKey) -> LegalBasis:
        found = self.fields(node, where=where, allowed=_LEGAL_BASIS_KEYS, required=("name",))
        return LegalBasis(**{name: self.text(value, label) for name, value, label in self._values(found, where, key)})

    def raw(self, node: yaml.Node) -> dict[str, str]:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
            return {}
        found = self.fields(node, where="`raw`", allowed=None)
        return {name: self.text(value, label) for name, value, label in self._values(found, "`raw`", ("raw",))}

    def procedure(self, root: yaml.MappingNode, body: _Body) -> Procedure:
        found = self.fields(
            root, where="the front matter", allowed=_PROCEDURE_KEYS, required=("code", "name"),
            missing_line=1, other_kind=("faq", _FAQ_KEYS),
        )  # fmt: skip
        values: dict[str, Any] = {}
        for name, node, label in self._values(found, "", ()):
            if name in ("levels", "steps"):
                values[name] = self.texts(node, label, (name,))
            elif name == "updated":
                values[name] = self.date(node, label)
            elif name == "methods":
                values[name] = self.items(node, name, self.method)
            elif name == "documents":
                values[name] = self.items(node, name, self.document)
            elif name == "legal_basis":
                values[name] = self.items(node, name, self.legal_basis)
            elif name == "raw":
                values[name] = self.raw(node)
            else:
                values[name] = self.text(node, label)
        del values["kind"]
        for name, (value, lines) in body.sections().items():
            if name in values:
                raise EntryError(
                    self.path, lines[(name,)],
                    f"`{name}` is given twice: in the front matter on line {self.lines[(name,)]} "
                    f"and as the '## {_SECTIONS[name]}' section; keep one",
                )  # fmt: skip
            values[name] = value
            self.lines.update(lines)
        return Procedure(**values)

    def faq(self, root: yaml.MappingNode, body: _Body) -> Faq:
        found = self.fields(
            root, where="the front matter", allowed=_FAQ_KEYS, required=("id", "question"),
            missing_line=1, other_kind=("procedure", _PROCEDURE_KEYS),
        )  # fmt: skip
        values: dict[str, Any] = {}
        for name, node, label in self._values(found, "", ()):
            if name in ("variants", "tags"):
                values[name] = self.texts(node, label, (name,))
            elif name == "updated":
                values[name] = self.date(node, label)
            elif name == "legal_basis":
                values[name] = self.items(node, name, self.legal_basis)
            else:
                values[name] = self.text(node, label)
        del values["kind"]
        answer, line = body.whole()
        if "answer" in values and answer:
            raise EntryError(
                self.path, line,
                f"the answer is given twice: as `answer` in the front matter on line {self.lines[('answer',)]} "
                "and as the text after the front matter; keep one",
            )  # fmt: skip
        if "answer" not in values:
            values["answer"] = answer
            self.lines[("answer",)] = line
        return Faq(**values)


class _Body:
    """The lines after the front matter, with the file line of the first one."""

    def __init__(self, path: str, lines: list[str], *, first_line: int) -> None:
        self.path = path
        self.lines = lines
        self.first_line = first_line

    def whole(self) -> tuple[str, int]:
        """The body as one text, blank lines at its edges trimmed, and the line it starts on."""
        start, end = _trimmed(self.lines, 0, len(self.lines))
        return "\n".join(self.lines[start:end]), self.first_line + start if start < end else self.first_line

    def sections(self) -> dict[str, tuple[Any, dict[FieldKey, int]]]:
        """Each ``## `` section's field: ``name: (value, {field key: line})``."""
        titles = {_heading_key(title): name for name, title in _SECTIONS.items()}
        headings: list[tuple[int, str]] = []  # (index into lines, field name)
        for index, line in enumerate(self.lines):
            match = _HEADING.fullmatch(line)
            if match is None:
                continue
            title = match.group(1) or ""
            name = titles.get(_heading_key(title))
            if name is None:
                expected = ", ".join(f"'## {title}'" for title in _SECTIONS.values())
                hint = _suggestion(title, _SECTIONS.values()) or f"; expected one of {expected}"
                raise EntryError(self.path, self.first_line + index, f"unknown section '## {title}'{hint}")
            for seen_index, seen_name in headings:
                if seen_name == name:
                    raise EntryError(
                        self.path, self.first_line + index,
                        f"section '## {_SECTIONS[name]}' appears twice; it first appears on line {self.first_line + seen_index}",
                    )  # fmt: skip
            headings.append((index, name))
        lead_start, lead_end = _trimmed(self.lines, 0, headings[0][0] if headings else len(self.lines))
        if lead_start < lead_end:
            raise EntryError(
                self.path, self.first_line + lead_start,
                "text after the front matter must be under a section heading: "
                + ", ".join(f"'## {title}'" for title in _SECTIONS.values()),
            )  # fmt: skip
        sections: dict[str, tuple[Any, dict[FieldKey, int]]] = {}
        for position, (index, name) in enumerate(headings):
            end = headings[position + 1][0] if position + 1 < len(headings) else len(self.lines)
            lines: dict[FieldKey, int] = {(name,): self.first_line + index}
            start, end = _trimmed(self.lines, index + 1, end)
            if name == "steps":
                sections[name] = (self._steps(start, end, lines), lines)
            else:
                sections[name] = ("\n".join(self.lines[start:end]), lines)
        return sections

    def _steps(self, start: int, end: int, lines: dict[FieldKey, int]) -> tuple[str, ...]:
        """The numbered list in ``self.lines[start:end]``; a step's later lines are indented."""
        steps: list[list[str]] = []
        indent = 0  # how many spaces the current step's marker takes, stripped from its later lines
        pending: list[str] = []  # blank lines, kept only if the step goes on after them
        for index in range(start, end):
            line = self.lines[index]
            if not line.strip():
                pending.append(line)
                continue
            match = _STEP.fullmatch(line)
            if match is not None:
                if not match.group(2):
                    raise EntryError(self.path, self.first_line + index, f"step {match.group(1)} has no text")
                lines[("steps", len(steps))] = self.first_line + index
                steps.append([match.group(2)])
                indent = len(match.group(1)) + 2
                pending = []
            elif steps and line[0] in " \t":
                steps[-1].extend(_dedent(extra, indent) for extra in [*pending, line])
                pending = []
            else:
                raise EntryError(
                    self.path, self.first_line + index,
                    "expected a numbered step such as '1. Nộp hồ sơ ...', or a line indented under one",
                )  # fmt: skip
        return tuple("\n".join(step) for step in steps)


def _indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _dedent(line: str, indent: int) -> str:
    """The line without up to ``indent`` leading spaces."""
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


def _trimmed(lines: list[str], start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` narrowed past whitespace-only lines at both edges."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return start, end
