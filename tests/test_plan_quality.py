"""A plan's quality in a planner's words (issue 22: not "最优" beside a 0.48 % gap)."""

from __future__ import annotations

import pytest

from planner.plan.quality import plan_quality


def _tiers(*rows: tuple[str, float | None]) -> list[dict]:
    tiers = ("station", "sorting_centre", "market")
    return [{"tier": tiers[i], "status": s, "gap": g} for i, (s, g) in enumerate(rows)]


@pytest.mark.parametrize(
    "rows, level, zh",
    [
        ((("optimal", 0.0), ("optimal", 1e-9)), "best", "这是满足全部要求的最佳方案（已证明）。"),
        ((("optimal", 0.0), ("optimal", 0.0048)), "near", "相差不超过 0.5%（已证明）"),
        ((("optimal", 0.0001), ("optimal", 0.0)), "near", "相差不超过 0.1%"),
        ((("optimal", 0.0), ("time_limit_feasible", 0.0168)), "stopped", "相差不超过 1.7%"),
        ((("time_limit_feasible", None),), "stopped", "未能证明"),
        ((("optimal", 0.0), ("infeasible", None)), "none", "分拣中心没有找到"),
    ],
)
def test_quality_sentence(rows, level, zh) -> None:
    got_level, text = plan_quality(_tiers(*rows), "zh")
    assert got_level == level and zh in text
    assert "最优" not in text and "目标值" not in text


def test_the_gap_is_rounded_up_never_down() -> None:
    _, text = plan_quality(_tiers(("optimal", 0.0041)), "en")
    assert text == "This plan is within 0.5% of the best possible plan (proven)."
