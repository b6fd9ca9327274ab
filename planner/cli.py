"""Command line: batch runs from the shell.

``python -m planner plan --region jinjiang [--scenario FILE] --out DIR [--lang en]``
writes the plan (see :class:`planner.plan.Plan`) and prints a summary.

``python -m planner export --plan DIR --out DIR [--formats all|html,png,...]
[--paper a4|a3] [--lang en]`` writes maps, site lists, GIS layers and the report of a
written plan (see :mod:`planner.export`).

Errors are printed as plain messages (no traceback) with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from planner.i18n import PlannerError, register, t
from planner.pipeline import run_plan
from planner.plan import Plan
from planner.scenario import Scenario, default_scenario

register(
    {
        "cli.summary": {
            "zh": "{region}：{stations} 个回收站点，{centres} 个分拣中心；"
            "半径内人口覆盖率 {coverage:.1%}，平均距离 {mean:.0f} 米，95% 分位距离 {p95:.0f} 米",
            "en": "{region}: {stations} recycling stations, {centres} sorting centres; "
            "{coverage:.1%} of people within radius, mean distance {mean:.0f} m, "
            "95th percentile {p95:.0f} m",
        },
        "cli.tier": {
            "zh": "  {tier}：{status}，目标值 {objective}，下界 {bound}，"
            "差距 {gap}，用时 {seconds:.1f} 秒",
            "en": "  {tier}: {status}, objective {objective}, bound {bound}, gap {gap}, "
            "{seconds:.1f} s",
        },
        "cli.written": {
            "zh": "结果已写入 {path}（{seconds:.1f} 秒）",
            "en": "Plan written to {path} ({seconds:.1f} s)",
        },
        "cli.error": {"zh": "错误：{message}", "en": "Error: {message}"},
        "cli.exported": {
            "zh": "已导出 {count} 个文件到 {path}（{seconds:.1f} 秒）：",
            "en": "Exported {count} files to {path} ({seconds:.1f} s):",
        },
        "tier.station": {"zh": "回收站点", "en": "Stations"},
        "tier.sorting_centre": {"zh": "分拣中心", "en": "Sorting centres"},
        "status.optimal": {"zh": "最优", "en": "optimal"},
        "status.time_limit_feasible": {
            "zh": "达到时间上限（可行解）",
            "en": "time limit (feasible)",
        },
        "status.infeasible": {"zh": "无可行解", "en": "infeasible"},
        "status.unbounded": {"zh": "无界", "en": "unbounded"},
        "status.error": {"zh": "出错", "en": "error"},
    }
)


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:.2%}" if pct else f"{value:,.0f}"


def summary(plan: Plan, lang: str) -> str:
    """Human summary of ``plan`` in ``lang``."""
    k = plan.kpis
    lines = [
        t(
            "cli.summary", lang, region=plan.scenario.region, stations=k["stations"],
            centres=k["sorting_centres"], coverage=k["coverage_share"],
            mean=k["mean_distance_m"], p95=k["p95_distance_m"],
        )
    ]  # fmt: skip
    for r in plan.results:
        lines.append(
            t(
                "cli.tier", lang, tier=t(f"tier.{r.tier}", lang),
                status=t(f"status.{r.status}", lang), objective=_fmt(r.objective),
                bound=_fmt(r.bound), gap=_fmt(r.gap, pct=True), seconds=r.seconds,
            )
        )  # fmt: skip
        lines += ["    " + d[lang] for d in r.diagnoses]
    return "\n".join(lines)


def _plan(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    scenario = Scenario.load(args.scenario) if args.scenario else default_scenario(args.region)
    if scenario.region != args.region:
        scenario = scenario.with_changes(region=args.region)
    plan = run_plan(args.region, scenario)
    out = plan.write(Path(args.out))
    print(summary(plan, args.lang))
    print(t("cli.written", args.lang, path=out, seconds=time.perf_counter() - started))
    return 0 if plan.status in ("optimal", "time_limit_feasible") else 1


def _export(args: argparse.Namespace) -> int:
    from planner.export import export_plan, parse_formats, read_plan

    started = time.perf_counter()
    formats = parse_formats(args.formats)  # a bad name fails before the plan is read
    plan = read_plan(Path(args.plan))
    written = export_plan(plan, Path(args.out), formats, lang=args.lang, paper=args.paper)
    files = [path for paths in written.values() for path in paths]
    print(
        t("cli.exported", args.lang, count=len(files), path=Path(args.out),
          seconds=time.perf_counter() - started)
    )  # fmt: skip
    for path in files:
        print(f"  {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m planner", description="Recycling network planner"
    )
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="message language")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plan", help="solve a scenario and write the plan")
    p.add_argument("--region", required=True, help="region id, e.g. wenzhou or jinjiang")
    p.add_argument("--scenario", help="scenario file (.json/.yaml/.toml); default: the region's")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)
    p.set_defaults(func=_plan)
    e = sub.add_parser("export", help="export a written plan: maps, tables, GIS layers, report")
    e.add_argument("--plan", required=True, help="folder of a plan written by 'plan'")
    e.add_argument("--out", required=True, help="output folder")
    e.add_argument(
        "--formats",
        default="all",
        help="all, or a comma list of html,png,pdf,xlsx,csv,gpkg,shp,geojson,report",
    )
    e.add_argument("--paper", choices=["a4", "a3"], default="a4", help="static map sheet")
    e.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)
    e.set_defaults(func=_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PlannerError as err:
        print(t("cli.error", args.lang, message=err.message(args.lang)), file=sys.stderr)
        return 2
