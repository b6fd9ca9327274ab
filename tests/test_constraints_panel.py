"""The Data page's panel for zones, points of interest and demand tables, driven through
the real app with ``streamlit.testing.v1.AppTest`` (no browser)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.data.crs import gcj02_to_wgs84
from planner.data.regions import load_region

pytestmark = pytest.mark.usefixtures("planner_home")


def _app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_points_of_interest_imported_as_gcj02_and_applied():
    region = load_region("jinjiang")
    p = region.communities.geometry.representative_point().iloc[:3]
    table = pd.DataFrame(
        {
            "名称": ["万达广场", "实验小学", "垃圾转运站一"],
            "类别": ["商圈", "学校", "垃圾转运站"],
            "经度": p.x.to_numpy(),
            "纬度": p.y.to_numpy(),
        }
    )
    at = _app()
    at.radio(key="con_what@zh").set_value("pois").run()
    (uploader,) = [u for u in at.file_uploader if u.key == "con_file_pois"]
    uploader.upload("兴趣点.csv", table.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception, at.exception
    assert any("还需要您做出选择" in w.value for w in at.warning)
    assert not [s for s in at.success if "兴趣点" in s.value]
    at.selectbox(key="con_crs_pois@zh").set_value("gcj02").run()
    assert not at.exception, at.exception
    assert any("3 个兴趣点" in s.value for s in at.success)
    (apply,) = [b for b in at.button if b.key == "con_apply_pois"]
    apply.click().run()
    assert not at.exception, at.exception
    pois = at.session_state["working_region"].pois
    assert list(pois["category"]) == ["shopping_district", "school", "transfer_station"]
    expected = np.array([gcj02_to_wgs84(x, y) for x, y in zip(p.x, p.y, strict=True)])
    np.testing.assert_allclose(np.c_[pois.geometry.x, pois.geometry.y], expected, atol=1e-7)
