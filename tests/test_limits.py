"""The limits module: defaults, environment variables, the message, the README table."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.i18n import PlannerError
from planner.limits import LIMITS, check_limit, limit, upload_ceiling_mb

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lists_every_limit_with_its_default():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Limits and safety") : text.index("## Layout")]
    for lim in LIMITS.values():
        assert f"| `{lim.env}` | {lim.default:,.0f} |" in section, lim.env


def test_environment_variable_raises_and_lowers_a_limit(monkeypatch):
    assert limit("rows") == 200_000
    monkeypatch.setenv("PLANNER_MAX_ROWS", "500000")
    assert limit("rows") == 500_000
    monkeypatch.setenv("PLANNER_MAX_ROWS", "10")
    with pytest.raises(PlannerError) as err:
        check_limit("rows", 11)
    assert err.value.message("zh") == (
        "表格或图层的行数超出上限：11 > 10（可通过环境变量 PLANNER_MAX_ROWS 调整）"
    )
    assert err.value.message("en") == (
        "Rows in a table or layer: 11 is over the limit of 10 (set PLANNER_MAX_ROWS to change it)"
    )
    check_limit("rows", 10)  # at the limit is allowed


@pytest.mark.parametrize("raw", ["", "abc", "-5", "0", "nan", "inf"])
def test_a_bad_variable_cannot_switch_a_limit_off(monkeypatch, raw):
    monkeypatch.setenv("PLANNER_MAX_CANDIDATES", raw)
    assert limit("candidates") == LIMITS["candidates"].default


def test_upload_ceiling_is_the_larger_of_upload_and_road_limits(monkeypatch):
    assert upload_ceiling_mb() == 1024
    monkeypatch.setenv("PLANNER_MAX_UPLOAD_MB", "2048.5")
    assert upload_ceiling_mb() == 2049
