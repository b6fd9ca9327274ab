"""``python -m planner users …``: the round trip of issue 18 in a fresh PLANNER_HOME, and
each subcommand's effect on the store."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import main
from planner.store import Store

ROOT = Path(__file__).resolve().parents[1]


def test_add_then_list_in_a_fresh_home(tmp_path):
    env = {**os.environ, "PLANNER_HOME": str(tmp_path)}
    env.pop("PLANNER_DB", None)
    add = subprocess.run(
        [sys.executable, "-m", "planner", "--lang", "en", "users", "add", "alice",
         "--role", "reviewer", "--password-stdin"],
        input="a long secret\n", capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert add.returncode == 0, add.stderr
    assert "alice" in add.stdout and "asks for a login" in add.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "planner", "users", "list", "--lang", "en"],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()[1:]]
    assert [r[:3] for r in rows] == [["alice", "reviewer", "enabled"]]
    store = Store(tmp_path / "planner.sqlite")
    assert store.login("alice", "a long secret").user.role == "reviewer"


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "planner.sqlite"
    monkeypatch.setenv("PLANNER_DB", str(path))
    return path


def _run(monkeypatch, capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["--lang", "en", "users", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_subcommands(db, monkeypatch, capsys):
    code, out, _ = _run(monkeypatch, capsys, "list")
    assert code == 0 and "No accounts yet" in out
    code, _, _ = _run(
        monkeypatch, capsys, "add", "bob", "--role", "planner",
        "--display-name", "李四", "--password-stdin", stdin="first pass\n",
    )  # fmt: skip
    assert code == 0
    assert _run(monkeypatch, capsys, "set-role", "bob", "viewer")[0] == 0
    assert Store(db).get_user("bob").role == "viewer"
    assert _run(monkeypatch, capsys, "disable", "bob")[0] == 0
    assert not Store(db).get_user("bob").enabled
    code, out, _ = _run(monkeypatch, capsys, "list")
    assert out.splitlines()[1].split("\t") == ["bob", "viewer", "disabled", "-", "李四"]
    assert _run(monkeypatch, capsys, "enable", "bob")[0] == 0
    code, _, _ = _run(monkeypatch, capsys, "reset-password", "bob", "--password-stdin",
                      stdin="second pass\n")  # fmt: skip
    assert code == 0
    store = Store(db)
    assert store.login("bob", "second pass").user.enabled
    code, out, _ = _run(monkeypatch, capsys, "list")
    assert out.splitlines()[1].split("\t")[3] != "-"  # the last login is shown


def test_errors_are_one_bilingual_line(db, monkeypatch, capsys):
    code, _, err = _run(monkeypatch, capsys, "disable", "nobody")
    assert code == 2 and err.strip() == "Error: There is no account named “nobody”"
    code, _, err = _run(monkeypatch, capsys, "add", "carol", "--role", "viewer",
                        "--password-stdin", stdin="short\n")  # fmt: skip
    assert code == 2 and "at least 8 characters" in err
    assert not Store(db).has_accounts()


def test_password_is_asked_twice(db, monkeypatch, capsys):
    answers = iter(["typed secret", "typed secret", "one secret", "another one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert _run(monkeypatch, capsys, "add", "dan", "--role", "admin")[0] == 0
    assert Store(db).login("dan", "typed secret").user.role == "admin"
    code, _, err = _run(monkeypatch, capsys, "reset-password", "dan")
    assert code == 2 and "differ" in err
    assert Store(db).login("dan", "typed secret")  # unchanged
