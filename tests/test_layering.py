"""Imports run one way only: each top-level folder is one process or one layer.

    core        pure Python, imported by every process; imports no framework
    appeals     the database and the staff CLI; imports core
    actions     the action server; imports core and appeals, never the Rasa side
    akyikatchy  what the Rasa server loads; imports core (and devserver to start servers)
    console     the staff web console (Flask); imports core and appeals, never the Rasa side
    notifier    the outbox sender (status news on Telegram); imports core and appeals
    devserver   starts the processes; imports no project package
    scripts     tools people run; imported by nothing
    (nothing imports console or notifier but the tests)

Every import statement of every module is read with ``ast`` (also those inside functions).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", ".git", "models", "results", ".rasa", "__pycache__", ".pytest_cache"}
PROJECT = {"core", "appeals", "actions", "akyikatchy", "console", "notifier", "devserver", "scripts", "tests"}
WEB = {"flask", "flask_login", "flask_wtf", "werkzeug", "gunicorn"}
FRAMEWORKS = {"rasa", "rasa_sdk", "sqlalchemy", "alembic", "telegram", "sanic"} | WEB
RASA_SIDE = {"rasa", "rasa_sdk", "telegram", "sanic", "akyikatchy", "actions"}

#: package -> top-level names its modules must not import
FORBIDDEN: dict[str, set[str]] = {
    "core": FRAMEWORKS | PROJECT - {"core"},
    "appeals": {"rasa", "rasa_sdk", "telegram", "sanic"} | WEB | PROJECT - {"appeals", "core"},
    "actions": {
        "rasa",
        "telegram",
        "sanic",
        "akyikatchy",
        "console",
        "notifier",
        "devserver",
        "scripts",
        "tests",
    }
    | WEB,
    "akyikatchy": {"rasa_sdk", "actions", "appeals", "console", "notifier", "scripts", "tests"} | WEB,
    "console": RASA_SIDE | PROJECT - {"console", "core", "appeals"},
    "notifier": RASA_SIDE | WEB | PROJECT - {"notifier", "core", "appeals"},
    "devserver": FRAMEWORKS | PROJECT - {"devserver"},
    "scripts": {"tests", "console", "notifier"},
    "tests": {"scripts"},
}
MAX_LINES = 420  # "about 400"
LONG_BY_NATURE = {"core/validation/keywords.py"}  # keyword tables


def modules() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if not SKIPPED_DIRS.intersection(parts):
            yield path


def package_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_names(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = list(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def test_the_layers_exist():
    found = {package_of(p) for p in modules()}
    assert PROJECT <= found


def test_imports_run_the_right_way():
    wrong = []
    for path in modules():
        forbidden = FORBIDDEN.get(package_of(path), {"scripts"})  # nothing imports scripts
        for line, name in imported_names(path):
            top = name.split(".")[0]
            if top in forbidden:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    "source, package, expected",
    [
        ("import rasa.core\n", "core", "rasa.core"),
        ("from .db import x\n", "appeals", "appeals.db"),
        ("def f():\n    from scripts.bench import main\n", "tests", "scripts.bench"),
    ],
)
def test_the_checker_sees_every_kind_of_import(tmp_path, source, package, expected):
    module = tmp_path / package / "m.py"
    module.parent.mkdir()
    module.write_text(source, encoding="utf-8")
    assert [name for _, name in imported_names(module, root=tmp_path)] == [expected]


def test_no_module_is_much_longer_than_400_lines():
    long = []
    for path in modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("tests/") or rel in LONG_BY_NATURE:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{rel}: {lines} lines")
    assert not long, "split these modules:\n" + "\n".join(long)
