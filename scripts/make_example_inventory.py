"""Make the example inventory of existing recycling sites in Jinjiang (MADE UP).

``examples/jinjiang_existing_sites.csv`` is a synthetic list for learning the import
flow: 120 recycling stations and 2 sorting yards that do not exist. It looks like a
list a planner receives — Chinese headers, mixed spellings of the answers (有/已办/是,
合格/通过, 在用/运营 ...), a few blanks, coordinates copied from Amap (GCJ-02) — and every
name, address and operator says 示例 (example).

How it is made (seeded, so the file is byte-identical on every run):

* Stations stand near the representative points of the built-in Jinjiang region's
  communities, 50–300 m away in a random direction, inside the region; communities are
  drawn without replacement with probability proportional to their population (the
  virtual communities of development zones left out).
* The two yards stand 300–800 m from the seats of 安海镇 and 磁灶镇; one is compliant,
  the other not standardised and small (it needs an upgrade where the standard or the
  planner's minimum floor area asks for one).
* Answers come in the shares below (exactly, up to rounding) in random order, each
  spelled one of a list's ways; floor areas are lognormal with a median of 25 m² (about
  15 % below 10 m², at evenly spaced quantiles); capacities lognormal around 1 t/day.
* WGS84 positions are shifted to GCJ-02 with :func:`planner.data.crs.wgs84_to_gcj02`
  and written with 6 decimals, as Amap shows them.

Usage::

    python scripts/make_example_inventory.py           # write the example
    python scripts/make_example_inventory.py --check   # compare with the committed file
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from statistics import NormalDist

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.data.crs import wgs84_to_gcj02  # noqa: E402
from planner.data.regions import load_region  # noqa: E402

OUT = ROOT / "examples" / "jinjiang_existing_sites.csv"
SEED = 20241115
STATIONS = 120
#: Township codes of the towns whose seats get a sorting yard (south and north-west).
YARD_TOWNS = ("350582101", "350582102")
HEADER = (
    "编号",
    "名称",
    "级别",
    "地址",
    "经营者",
    "营业面积（平方米）",
    "营业执照",
    "消防",
    "在用",
    "标准化",
    "日处理能力（吨）",
    "经度",
    "纬度",
)
TITLE = "晋江市现有再生资源回收站点清单（示例：虚构数据，并非真实站点，仅供熟悉导入流程）"
NOTE = "坐标：高德地图拾取（GCJ-02）；由 scripts/make_example_inventory.py 生成"
#: Each answer: its share, and the ways a list spells it (drawn evenly).
LICENCE = {"yes": (0.70, ("有", "已办", "是")), "no": (0.10, ("无", "未办")),
           "unknown": (0.20, ("", "待核实", "不详"))}  # fmt: skip
FIRE = {"pass": (0.80, ("合格", "通过")), "fail": (0.08, ("不合格",)),
        "unknown": (0.12, ("", "未检查", "待查"))}  # fmt: skip
IN_USE = {"yes": (0.92, ("在用", "运营", "正常")), "no": (0.08, ("停用", "闲置"))}
STANDARDISED = {"yes": (0.45, ("是", "已标准化")), "no": (0.45, ("否", "未标准化")),
                "unknown": (0.10, ("", "不详"))}  # fmt: skip
OPERATORS = (
    ("示例再生资源有限公司", 0.35),
    ("示例环保科技有限公司", 0.25),
    ("示例物资回收服务部", 0.25),
    ("示例个体回收户", 0.15),
)
#: Floor area: lognormal median (m²) and spread; P(area < 10 m²) ≈ 15 %.
AREA_MEDIAN_M2, AREA_SIGMA = 25.0, 0.92
BLANK_AREAS = 4
BLANK_CAPACITIES = 6


def _counts(shares: list[float], n: int) -> list[int]:
    """``n`` split by ``shares`` into whole numbers (largest remainder)."""
    exact = np.array(shares) / sum(shares) * n
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


def _answers(rng: np.random.Generator, table: dict, n: int) -> list[str]:
    """``n`` answers in the table's shares (exactly, up to rounding), in random order,
    each spelled one of its ways."""
    names = list(table)
    counts = _counts([table[name][0] for name in names], n)
    drawn = rng.permutation(np.repeat(np.arange(len(names)), counts))
    out = []
    for k in drawn:
        spellings = table[names[k]][1]
        out.append(spellings[rng.integers(len(spellings))])
    return out


def _areas(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` floor areas (m²) at evenly spaced quantiles of the lognormal, shuffled."""
    normal = NormalDist()
    z = np.array([normal.inv_cdf((k + 0.5) / n) for k in range(n)])
    areas = np.round(AREA_MEDIAN_M2 * np.exp(AREA_SIGMA * z))
    return rng.permutation(np.maximum(areas, 3))


def _place(rng, centre, near, far, inside) -> shapely.Point:
    """A point ``near``–``far`` metres from ``centre`` in a random direction, inside."""
    for _ in range(200):
        distance, angle = rng.uniform(near, far), rng.uniform(0, 2 * np.pi)
        point = shapely.Point(
            centre.x + distance * np.cos(angle), centre.y + distance * np.sin(angle)
        )
        if inside.contains(point):
            return point
    raise RuntimeError(f"no place {near}-{far} m from {centre} inside the region")


def _short(name: str) -> str:
    """A community's name without its committee's word (青新社区居委会 → 青新社区,
    西坑村委会 → 西坑村)."""
    for suffix, place in (("居民委员会", "社区"), ("居委会", "社区"), ("村民委员会", "村"),
                          ("村委会", "村")):  # fmt: skip
        if name.endswith(suffix):
            rest = name.removesuffix(suffix)
            return rest if rest.endswith(place) else rest + place
    return name


def rows() -> list[list[str]]:
    """The example's rows (without title and header), stations first."""
    rng = np.random.default_rng(SEED)
    region = load_region("jinjiang")
    metric = region.metric_crs
    inside = region.counties.to_crs(metric).geometry.union_all().buffer(-30)
    towns = dict(zip(region.townships["code"], region.townships["name"], strict=True))
    comms = region.communities.sort_values("code")
    comms = comms[~comms["name"].str.contains("虚拟")].reset_index(drop=True)  # no residents
    weights = comms["population"].to_numpy(dtype=float)
    chosen = np.sort(rng.choice(len(comms), STATIONS, replace=False, p=weights / weights.sum()))
    points = gpd.GeoSeries(
        gpd.points_from_xy(comms["point_lon"], comms["point_lat"]), crs="EPSG:4326"
    ).to_crs(metric)
    out: list[list[str]] = []
    places = []
    areas = _areas(rng, STATIONS)
    answers = zip(
        *(_answers(rng, table, STATIONS) for table in (LICENCE, FIRE, IN_USE, STANDARDISED)),
        strict=True,
    )
    blank_area = set(rng.choice(STATIONS, BLANK_AREAS, replace=False).tolist())
    capacities = np.round(rng.lognormal(0.0, 0.5, STATIONS), 1)
    blank_capacity = set(rng.choice(STATIONS, BLANK_CAPACITIES, replace=False).tolist())
    operators, shares = zip(*OPERATORS, strict=True)
    for k, (i, (licence, fire, in_use, standardised)) in enumerate(
        zip(chosen, answers, strict=True)
    ):
        places.append(_place(rng, points.iloc[i], 50, 300, inside))
        community = comms.iloc[i]
        address = (
            f"晋江市{towns[community['township_code']]}{_short(community['name'])}"
            f"示例路{rng.integers(1, 200)}号"
        )
        operator = operators[rng.choice(len(operators), p=np.array(shares))]
        out.append(
            [
                f"JJ-S{k + 1:03d}",
                f"示例回收站 {k + 1:03d}",
                "回收站点",
                address,
                operator,
                "" if k in blank_area else f"{areas[k]:.0f}",
                licence,
                fire,
                in_use,
                standardised,
                "" if k in blank_capacity else f"{capacities[k]:.1f}",
            ]
        )
    seats = region.townships.set_index("code")
    yards = (  # compliant; not standardised and small (needs an upgrade)
        ("有", "合格", "在用", "是", "6000", "60"),
        ("已办", "合格", "在用", "否", "1800", "35"),
    )
    for k, (code, answers) in enumerate(zip(YARD_TOWNS, yards, strict=True)):
        town = seats.loc[code]
        seat = gpd.GeoSeries(
            [shapely.Point(town["seat_lon"], town["seat_lat"])], crs="EPSG:4326"
        ).to_crs(metric)
        places.append(_place(rng, seat.iloc[0], 300, 800, inside))
        short = town["name"].removesuffix("镇")
        licence, fire, in_use, standardised, area, capacity = answers
        out.append(
            [
                f"JJ-C{k + 1:02d}",
                f"示例分拣中心（{short}）",
                "分拣中心",
                f"晋江市{town['name']}示例工业区{k + 3}号",
                "示例再生资源有限公司",
                area,
                licence,
                fire,
                in_use,
                standardised,
                capacity,
            ]
        )
    wgs = gpd.GeoSeries(places, crs=metric).to_crs("EPSG:4326")
    lon, lat = wgs84_to_gcj02(wgs.x.to_numpy(), wgs.y.to_numpy())
    for row, x, y in zip(out, lon, lat, strict=True):
        row += [f"{x:.6f}", f"{y:.6f}"]
    return out


def render() -> bytes:
    """The example file: UTF-8 with BOM (Excel opens it), a title and a note above the
    header, as a planner's list has them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    blank = [""] * (len(HEADER) - 1)
    writer.writerow([TITLE, *blank])
    writer.writerow([NOTE, *blank])
    writer.writerow(HEADER)
    writer.writerows(rows())
    return buffer.getvalue().encode("utf-8-sig")


def main() -> None:
    """Write the example, or with ``--check`` compare it with the committed file."""
    parser = argparse.ArgumentParser(description="Make the (made-up) example inventory.")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    data = render()
    if args.check:
        same = OUT.exists() and OUT.read_bytes() == data
        print("example inventory up to date" if same else f"{OUT} differs from a rebuild")
        sys.exit(0 if same else 1)
    OUT.write_bytes(data)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
