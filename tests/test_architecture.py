"""The arrows of DEVELOPERS.md, read from the source: every import statement of every module of a
package (at the top, inside functions, under ``if TYPE_CHECKING``), relative imports resolved,
and ``importlib.import_module`` / ``__import__`` with a literal name.

Between the packages; between the sub-packages of ``bot``, which sit in layers; the test tools
(``bot.devtools``, ``bot.testing``) out of the bot that answers citizens; and every package, ``bot``'s
sub-packages included, used from outside only through its ``__init__``."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGES = ("bot", "handlers", "retrieval", "knowledge", "tickets")

# Each package, and the top-level packages none of its modules may import.
FORBIDDEN = {
    "retrieval": ("bot", "handlers", "knowledge", "tickets"),
    "handlers": ("bot",),  # the channels are bot.channels
    "tickets": ("bot", "handlers"),
    "knowledge": ("bot", "handlers", "tickets"),
}

# The tools that come with the bot: the command line, the developers' commands and the test doubles
# they share with the tests. The bot that answers citizens imports none of them.
TOOLS = ("bot.cli", "bot.devtools", "bot.testing")
# Each sub-package of bot, and the parts of bot none of its modules may import: storage at the
# bottom (with bot's own _config, _logging, _limits, _metrics, _http, _search beside it), the
# channels, then delivery, the officials' side, privacy, reports and ops, the web console over them;
# bot._app puts them together.
_ABOVE_DELIVERY = ("bot._app", "bot.console", "bot.officials", "bot.privacy", "bot.reports", "bot.ops", *TOOLS)
BOT_FORBIDDEN = {
    "bot.storage": ("bot.channels", "bot.delivery", *_ABOVE_DELIVERY),
    "bot.channels": ("bot.storage", "bot.delivery", *_ABOVE_DELIVERY),
    "bot.delivery": _ABOVE_DELIVERY,
    "bot.officials": ("bot._app", "bot.console", "bot.privacy", "bot.reports", "bot.ops", *TOOLS),
    "bot.privacy": ("bot._app", "bot.console", "bot.delivery", "bot.officials", "bot.reports", "bot.ops", *TOOLS),
    "bot.reports": (
        "bot._app",
        "bot.console",
        "bot.channels",
        "bot.delivery",
        "bot.officials",
        "bot.privacy",
        "bot.ops",
        *TOOLS,
    ),
    "bot.ops": (
        "bot._app",
        "bot.console",
        "bot.channels",
        "bot.delivery",
        "bot.officials",
        "bot.privacy",
        "bot.reports",
        *TOOLS,
    ),
    # The knowledge base as the console manages it: files and the store, below any front end.
    "bot.kbadmin": (
        "bot._app",
        "bot.console",
        "bot.channels",
        "bot.delivery",
        "bot.officials",
        "bot.privacy",
        "bot.reports",
        "bot.ops",
        *TOOLS,
    ),
    # The web console: on top of the parts whose work it shows (tickets' service, reports, storage).
    "bot.console": ("bot._app", "bot.ops", *TOOLS),
    "bot.testing": ("bot",),  # fakes of the platforms, knowing nothing of the bot they talk to
    "bot.devtools": ("bot.cli",),
    "bot.cli": (),  # the top: it may use everything
}

# Outside its package, a package is imported through its __init__, except bot.channels'
# implementations: each pulls in its platform's client, so they are imported where they are used.
CHANNEL_IMPLEMENTATIONS = tuple(
    f"bot.channels.{name}" for name in ("_console", "_telegram", "_web", "_zalo", "_zalo_tokens")
)


def package_dir(package: str) -> Path:
    """Where the package the tests import lives, found without importing it."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"{package} is not an importable package"
    return Path(next(iter(spec.submodule_search_locations)))


def module_name(package: str, root: Path, path: Path) -> str:
    parts = [package, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every module that ``source``, the code of ``module``,
    imports anywhere in its body."""
    # What "." means here: the module itself if it is a package's __init__, else its package.
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)] if node.level - 1 <= len(here) else []
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def imports_of(package: str, root: Path) -> Iterator[tuple[str, str, int, str]]:
    """(file as the repository names it, module, line, imported module) for every module under ``root``."""
    top = root.parents[package.count(".")]  # the folder the top-level package is in
    for path in sorted(root.rglob("*.py")):
        module = module_name(package, root, path)
        source = path.read_text(encoding="utf-8")
        for line, target in sorted(imported_modules(source, module, is_package=path.name == "__init__.py")):
            yield str(path.relative_to(top)), module, line, target


def violations(package: str, forbidden: tuple[str, ...], root: Path) -> list[str]:
    """The imports of ``forbidden`` packages or modules (and of anything inside them) by the modules
    of ``package``, except of ``package`` itself."""
    return [
        f"{file}:{line} imports {target}"
        for file, _, line, target in imports_of(package, root)
        if not within(target, package) and any(within(target, name) for name in forbidden)
    ]


def private_imports(package: str, root: Path) -> list[str]:
    """Imports of another package's private module (``x._y``, ``x.y._z``) by the modules of ``package``."""
    found = []
    for file, module, line, target in imports_of(package, root):
        parts = target.split(".")
        private = next((i for i, part in enumerate(parts) if part.startswith("_") and part != "__init__"), None)
        if private is None or private == 0:
            continue
        owner = ".".join(parts[:private])
        if not within(module, owner) and not any(within(target, name) for name in CHANNEL_IMPLEMENTATIONS):
            found.append(f"{file}:{line} imports {target}")
    return found


@pytest.mark.parametrize(("package", "forbidden"), FORBIDDEN.items(), ids=FORBIDDEN.keys())
def test_the_package_imports_none_of_the_packages_above_it(package: str, forbidden: tuple[str, ...]) -> None:
    root = package_dir(package)
    assert list(root.rglob("*.py")), f"no modules found under {root}"
    assert violations(package, forbidden, root) == []


@pytest.mark.parametrize(("package", "forbidden"), BOT_FORBIDDEN.items(), ids=BOT_FORBIDDEN.keys())
def test_each_part_of_bot_imports_none_of_the_parts_above_it(package: str, forbidden: tuple[str, ...]) -> None:
    root = package_dir(package)
    assert list(root.rglob("*.py")), f"no modules found under {root}"
    assert violations(package, forbidden, root) == []


def test_every_sub_package_of_bot_has_its_rules() -> None:
    root = package_dir("bot")
    sub_packages = {f"bot.{path.parent.name}" for path in root.glob("*/__init__.py")}
    assert sub_packages == set(BOT_FORBIDDEN)


def test_the_bot_that_answers_citizens_imports_no_tool() -> None:
    found = [
        f"{file}:{line} imports {target}"
        for file, module, line, target in imports_of("bot", package_dir("bot"))
        if not any(within(module, tool) for tool in TOOLS) and any(within(target, tool) for tool in TOOLS)
    ]
    assert found == []


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_are_used_from_outside_through_their_init(package: str) -> None:
    assert private_imports(package, package_dir(package)) == []


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    root = tmp_path / "handlers"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("from . import _a\n")
    (root / "_a.py").write_text("import json\nfrom retrieval import fold\n")
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "_b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from bot.channels import Channel\n"
        "def later():\n"
        "    import bot._app\n"
        "    from .. import _a\n"
        "    return importlib.import_module('bot.cli')\n"
    )
    assert violations("handlers", ("bot",), root) == [
        "handlers/sub/_b.py:3 imports bot.channels",
        "handlers/sub/_b.py:5 imports bot._app",
        "handlers/sub/_b.py:7 imports bot.cli",
    ]
    assert violations("handlers", ("retrieval",), root) == ["handlers/_a.py:2 imports retrieval"]
    # Relative imports are resolved, and stay inside the package however deep.
    assert [t for _, t in imported_modules("from .. import _a", "handlers.sub._b")] == ["handlers"]
    assert [t for _, t in imported_modules("from ._c import x", "handlers.sub._b")] == ["handlers.sub._c"]
    assert [t for _, t in imported_modules("from . import _a", "handlers", is_package=True)] == ["handlers"]


def test_the_checks_find_the_parts_and_the_private_modules_they_look_for(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    for folder in ("storage", "channels", "cli"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "_app.py").write_text("from .storage._storage import Storage\nfrom .channels._web import WebChannel\n")
    (root / "storage" / "_storage.py").write_text("from .._config import Config\nfrom ..channels import Channel\n")
    (root / "cli" / "_run.py").write_text("from .._app import Application\nfrom ..storage import Storage\n")
    storage = root / "storage"
    assert violations("bot.storage", BOT_FORBIDDEN["bot.storage"], storage) == [
        "bot/storage/_storage.py:2 imports bot.channels"
    ]
    # Its own modules and bot's private modules are inside; another package's private module is not,
    # a channel implementation excepted.
    assert private_imports("bot.storage", storage) == []
    assert private_imports("bot", root) == ["bot/_app.py:1 imports bot.storage._storage"]
