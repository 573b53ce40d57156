"""The arrows of DEVELOPERS.md, read from the source: every import statement of every module of a
package (at the top, inside functions, under ``if TYPE_CHECKING``), relative imports resolved,
and ``importlib.import_module`` / ``__import__`` with a literal name."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

# Each package, and the top-level packages none of its modules may import.
FORBIDDEN = {
    "retrieval": ("bot", "handlers", "knowledge", "tickets"),
    "handlers": ("bot",),  # the channels are bot.channels
    "tickets": ("bot", "handlers"),
    "knowledge": ("bot", "handlers", "tickets"),
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


def violations(package: str, forbidden: tuple[str, ...], root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(package, root, path)
        source = path.read_text(encoding="utf-8")
        for line, target in sorted(imported_modules(source, module, is_package=path.name == "__init__.py")):
            if target.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(root.parent)}:{line} imports {target}")
    return found


@pytest.mark.parametrize(("package", "forbidden"), FORBIDDEN.items(), ids=FORBIDDEN.keys())
def test_the_package_imports_none_of_the_packages_above_it(package: str, forbidden: tuple[str, ...]) -> None:
    root = package_dir(package)
    assert list(root.rglob("*.py")), f"no modules found under {root}"
    assert violations(package, forbidden, root) == []


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


PACKAGES = ("bot", "handlers", "knowledge", "retrieval", "tickets")


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
