"""The arrows of DEVELOPERS.md, read from the source: every import statement of every module of a
package (at the top, inside functions, under ``if TYPE_CHECKING``), relative imports resolved,
and ``importlib.import_module`` / ``__import__`` with a literal name.

Between the packages; ``bot.channels`` below the rest of ``bot``; every package used from outside
only through its ``__init__`` (the tests, which are not checked here, may import the private
modules of what they test); and ``wardbot_errors`` under all of them."""

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

# Outside its package, a package is imported through its __init__, except bot.channels'
# implementations: each pulls in its platform's client, so they are imported where they are used.
CHANNEL_IMPLEMENTATIONS = tuple(f"bot.channels.{name}" for name in ("_console", "_telegram", "_web", "_zalo"))

# bot.channels sits under the rest of bot (the application composes the channels, never the
# reverse), so its modules import nothing of bot outside bot.channels, but for these helpers, which
# the channels used before the rule and which are to move under bot/channels with the split of
# bot/ into sub-packages: what each is imported for.
CHANNELS_NOT_YET_MOVED = {
    "bot._logging": "chat_ref, how a log line names a chat",
    "bot._limits": "the web chat's rate limits",
    "bot._zalo_tokens": "Zalo's rotating access token",
}


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


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_are_used_from_outside_through_their_init(package: str) -> None:
    assert private_imports(package, package_dir(package)) == []


def test_the_channels_import_nothing_of_the_rest_of_bot() -> None:
    found = [
        f"{file}:{line} imports {target}"
        for file, _, line, target in imports_of("bot.channels", package_dir("bot.channels"))
        if within(target, "bot") and not within(target, "bot.channels") and target not in CHANNELS_NOT_YET_MOVED
    ]
    assert found == []


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


def test_the_errors_module_imports_nothing_of_the_project() -> None:
    """Every package imports ``wardbot_errors``, so it may import none of them."""
    spec = importlib.util.find_spec("wardbot_errors")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    imported = {target.split(".")[0] for _, target in imported_modules(source, "wardbot_errors")}
    assert imported <= {"__future__"}


def _defined_exceptions() -> Iterator[type[BaseException]]:
    """Every exception class a module of the five packages defines. Modules are read first and
    imported only where a class has a base at all, so that nothing heavy is imported for nothing."""
    for package in PACKAGES:
        root = package_dir(package)
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.bases}
            if not names:
                continue
            module = importlib.import_module(module_name(package, root, path))
            for name in sorted(names):
                value = getattr(module, name, None)
                if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                    yield value


def test_every_exception_the_project_defines_is_a_wardbot_error() -> None:
    from wardbot_errors import WardbotError

    found = list(_defined_exceptions())
    assert {"ConfigError", "DeliveryError", "KnowledgeBaseError", "AdapterError", "TicketConflict"} <= {
        error.__name__ for error in found
    }
    assert [f"{error.__module__}.{error.__qualname__}" for error in found if not issubclass(error, WardbotError)] == []


def test_the_checks_find_private_modules_and_the_channels_reaching_up(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    (root / "channels").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "_app.py").write_text("from .channels._web import WebChannel\nfrom handlers._intake import due_text\n")
    (root / "channels" / "__init__.py").write_text("from ._base import Channel\n")
    (root / "channels" / "_base.py").write_text("from .._pipeline import Pipeline\nfrom . import _web\n")
    # Its own private modules are inside; another package's are not, a channel implementation excepted.
    assert private_imports("bot", root) == ["bot/_app.py:2 imports handlers._intake"]
    assert private_imports("bot.channels", root / "channels") == []
    assert violations("bot.channels", ("bot",), root / "channels") == ["bot/channels/_base.py:1 imports bot._pipeline"]
