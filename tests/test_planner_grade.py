"""Issue 22, what a reader would catch: each card explains its own figure."""

from __future__ import annotations

import pytest

from planner.i18n import t
from planner.ui.pages.results import CARD_HELP


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_kpi_card_has_its_own_help(lang: str) -> None:
    texts = {card: t(key, lang) for card, key in CARD_HELP.items()}
    assert len(set(texts.values())) == len(texts)  # the 95 % card no longer copies the mean's
    assert "95" in texts["p95_distance_m"]
    assert "95" not in texts["mean_distance_m"]
