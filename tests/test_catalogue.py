"""The message catalogues: every key used exists in both languages, every key defined is
used, placeholders agree between languages, and no key is put together at run time."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from planner.i18n import LANGUAGES, LOCALES, catalogue, t

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((ROOT / "planner").rglob("*.py")), ROOT / "app.py"]
CATALOGUE = catalogue()
# Calls whose first argument is a message key.
MESSAGE_CALLS = {
    "t",
    "tr",
    "_tr",
    "Text",
    "PlannerError",
    "Finding",
    "Diagnosis",
    "ScenarioProblem",
    "Problem",
    "known",
    "Term",
}


def _placeholders(template: str) -> set[str]:
    return {
        name.split(".")[0].split("[")[0]
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }


def _strings(tree: ast.AST) -> set[str]:
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


@pytest.fixture(scope="module")
def trees() -> dict[Path, ast.AST]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}


def test_every_key_has_both_languages_and_matching_placeholders():
    for key, texts in CATALOGUE.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(texts[lang].strip() for lang in LANGUAGES), key
        assert _placeholders(texts["zh"]) == _placeholders(texts["en"]), key


def test_no_key_is_built_at_run_time(trees):
    built = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) in MESSAGE_CALLS and node.args:
                first = node.args[0]
                if isinstance(first, ast.JoinedStr | ast.BinOp):
                    built.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not built, "message keys put together at run time:\n" + "\n".join(built)


def test_every_key_used_exists(trees):
    missing = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) in MESSAGE_CALLS and node.args:
                first = node.args[0]
                if (
                    isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                    and first.value not in CATALOGUE
                ):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {first.value}")
    assert not missing, "\n".join(missing)


def test_every_key_defined_is_used(trees):
    literals = set().union(*(_strings(tree) for tree in trees.values()))
    unused = sorted(key for key in CATALOGUE if key not in literals)
    assert not unused, f"{len(unused)} keys defined but never used: {unused[:40]}"


def test_one_term_one_translation():
    # The same pair of texts under two keys means a term is translated twice: use the
    # glossary's key instead (a longer message may still contain the term).
    seen: dict[tuple[str, str], str] = {}
    repeated = []
    for key, texts in CATALOGUE.items():
        pair = (texts["zh"], texts["en"])
        if pair in seen:
            repeated.append(f"{seen[pair]} = {key}: {pair}")
        else:
            seen[pair] = key
    assert not repeated, "\n".join(repeated)


def test_unknown_key_is_visible_not_silent():
    assert t("no.such.key", "en") == "no.such.key"


def test_catalogue_files_are_toml_with_zh_and_en_side_by_side():
    files = sorted(LOCALES.glob("*.toml"))
    assert (LOCALES / "glossary.toml") in files
    for path in files:
        text = path.read_text(encoding="utf-8")
        # zh directly followed by en for every key
        assert len(re.findall(r"^zh = ", text, re.M)) == len(re.findall(r"^en = ", text, re.M))
