"""Command line: batch runs from the shell.

``python -m planner plan --region jinjiang [--scenario FILE] [--network ROADS] --out DIR
[--lang en]`` writes the plan (see :class:`planner.plan.Plan`) and prints a summary.
``--network`` names a road file (``.osm``, ``.graphml``, road lines as GeoJSON,
GeoPackage, Shapefile or KML) for a scenario with ``distance_mode: network``, instead of
the road file stored with the region; a scenario with straight-line distances does not
use it, and the command says so. ``--layers DIR`` reads zones, points of interest and
demand tables (:mod:`planner.data.io.layer_folder`) into the region for the scenario's
standalone facility kinds; without it, a folder ``<scenario>.layers`` beside the
scenario file is read when there is one (``examples/jinjiang_kinds.layers``).

``python -m planner export --plan DIR --out DIR [--formats all|html,png,...]
[--paper a4|a3] [--lang en]`` writes maps, site lists, GIS layers and the report of a
written plan (see :mod:`planner.views.export`).

``python -m planner sweep --region wenzhou --sweep FILE --out DIR [--scheduler ADDR]
[--workers N] [--db PATH] [--lang en]`` solves every point of a scenario sweep (see
:mod:`planner.sweep`) on a local Dask cluster or an existing scheduler, stores the
results in the database as they finish (running the same command again resumes), and
writes ``sweep.csv`` and ``sweep.png`` into DIR. Exit status 0 when every point is
solved, 1 when some failed.

``python -m planner users add|list|set-role|disable|enable|reset-password …`` manages
the accounts (:mod:`planner.accounts.commands`); ``python -m planner db upgrade|check``
the database's schema (:mod:`planner.store.commands`).

Every error is one line on standard error, in the language of ``--lang``, with exit
status 2 and no traceback: a :class:`~planner.i18n.PlannerError` prints its message
(its details on the same line), an output folder that cannot be used says why (it is a
file, it lies under a file, it is not writable) before anything is computed, any other
operating-system error names the file and the reason, and an unexpected exception
prints its type and a hint. ``--debug`` (or ``PLANNER_DEBUG=1``) shows the traceback
of an unexpected exception instead. Warnings about the scenario (the scenario page's,
:mod:`planner.scenario.checks`) are printed to standard error before solving.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from planner import format as fmt
from planner.accounts.commands import add_parser as add_users_parser
from planner.data.regions import load_region
from planner.i18n import LANGUAGES, PlannerError, t
from planner.plan import Plan
from planner.run import run_plan
from planner.scenario import Scenario, default_scenario
from planner.scenario.checks import check_region, value_warnings
from planner.store.commands import add_parser as add_db_parser

if TYPE_CHECKING:
    from planner.sweep import SweepProgress

#: A plan's tiers and solver statuses (:data:`planner.models.STATUSES`) -> their words.
_TIER_LABEL = {
    "station": "tier.station",
    "sorting_centre": "tier.sorting_centre",
    "market": "tier.market",
}
_STATUS_LABEL = {
    "optimal": "status.optimal",
    "time_limit_feasible": "status.time_limit_feasible",
    "infeasible": "status.infeasible",
    "unbounded": "status.unbounded",
    "error": "status.error",
}


def _label(labels: dict[str, str], value: Any, lang: str) -> str:
    """The word for ``value`` in ``lang``; a value without one (from a file) as it is."""
    key = labels.get(value)
    return t(key, lang) if key else str(value)


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
    acts, costs = k.get("actions"), k.get("costs")
    if acts and costs:
        for tier in ("station", "sorting_centre"):
            a = acts[tier]
            if a["upgrade"] or a["keep"] or a["close"]:
                lines.append(
                    t(
                        "cli.actions", lang, tier=_label(_TIER_LABEL, tier, lang),
                        new=a["new"], upgrade=a["upgrade"], keep=a["keep"], close=a["close"],
                    )
                )  # fmt: skip
        lines.append(
            t(
                "cli.costs", lang, one_off=fmt.count(costs["one_off_yuan"]),
                yearly=fmt.count(costs["operation_yuan_per_year"]),
                assumed=t("cli.costs_assumed", lang) if costs["unit_costs"]["assumed"] else "",
            )
        )  # fmt: skip
    from planner.plan.tables import tier_word

    for r in plan.results:
        tier = tier_word(r, lang, _TIER_LABEL)
        lines.append(
            t(
                "cli.tier", lang, tier=tier,
                status=_label(_STATUS_LABEL, r.status, lang), objective=fmt.number(r.objective),
                bound=fmt.number(r.bound), gap=fmt.share(r.gap, 2), seconds=r.seconds,
            )
        )  # fmt: skip
        lines += ["    " + d[lang] for d in r.diagnoses]
    return "\n".join(lines)


def output_folder(path: str | Path) -> Path:
    """Create output folder ``path`` if needed and check that it can be written.

    Called before anything is computed, so a bad ``--out`` fails in a second, not after
    the solve.

    Raises
    ------
    PlannerError
        ``cli.out_is_file``, ``cli.out_under_file``, ``cli.out_not_writable`` or
        ``cli.out_failed``.
    """
    folder = Path(path)
    try:
        if folder.exists() and not folder.is_dir():
            raise PlannerError("cli.out_is_file", path=folder)
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if existing.exists() and not existing.is_dir():
            raise PlannerError("cli.out_under_file", path=folder, file=existing)
        folder.mkdir(parents=True, exist_ok=True)
        # Write access as this process has it (os.access is wrong for root and ACLs).
        with tempfile.TemporaryFile(dir=folder):
            pass
    except PermissionError as err:
        raise PlannerError("cli.out_not_writable", path=folder) from err
    except OSError as err:
        raise PlannerError("cli.out_failed", path=folder, reason=_reason(err)) from err
    return folder


def road_file(path: str | Path) -> Path:
    """Check the ``--network`` road file before anything is computed.

    Only that it is an existing file: what it holds is read by the run
    (:func:`planner.run.resolve_network`), which names a format it does not know or a
    file it cannot read before any model is solved.

    Raises
    ------
    PlannerError
        ``cli.network_not_found`` or ``cli.network_not_file``.
    """
    file = Path(path)
    if not file.exists():
        raise PlannerError("cli.network_not_found", path=file)
    if not file.is_file():
        raise PlannerError("cli.network_not_file", path=file)
    return file


def _plan(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    lang = args.lang
    region = load_region(args.region)
    if args.existing:
        region = _with_inventory(region, Path(args.existing), args.existing_crs, lang)
    scenario = Scenario.load(args.scenario) if args.scenario else default_scenario(args.region)
    if scenario.region != args.region:
        scenario = scenario.with_changes(region=args.region)
    layers = _layer_folder(args.layers, args.scenario)
    if layers is not None:
        from planner.data.io.layer_folder import read_layer_folder

        def say(message: str) -> None:
            print(t("cli.warning", lang, message=message), file=sys.stderr)

        region = read_layer_folder(region, layers, lang=lang, say=say)
        print(t("cli.layers_read", lang, path=layers), file=sys.stderr)
    roads = road_file(args.network) if args.network else None
    warnings = [w.message(lang) for w in value_warnings(scenario) + check_region(region, scenario)]
    if roads is not None and scenario.distance_mode != "network":
        warnings.append(t("cli.network_unused", lang, path=roads))
    for warning in warnings:
        print(t("cli.warning", lang, message=warning), file=sys.stderr)
    folder = output_folder(args.out)
    plan = run_plan(region, scenario, network=roads)
    out = plan.write(folder)
    print(summary(plan, args.lang))
    print(t("cli.written", args.lang, path=out, seconds=time.perf_counter() - started))
    return 0 if plan.status in ("optimal", "time_limit_feasible") else 1


def _layer_folder(given: str | None, scenario: str | None) -> Path | None:
    """``--layers``, else the folder ``<scenario file without suffix>.layers`` beside the
    scenario file when there is one (how an example brings its made-up layers)."""
    if given:
        return Path(given)
    if scenario:
        beside = Path(scenario).with_suffix(".layers")
        if beside.is_dir():
            return beside
    return None


def _with_inventory(region, path: Path, system: str | None, lang: str):
    """``region`` with its existing sites replaced by the inventory in ``path``.

    Read and checked like an upload on the Data page; a file with errors stops the run
    with its validation report (nothing half-read is planned on).
    """
    from planner.data.io import import_layer

    if not path.is_file():
        raise PlannerError("cli.inventory_not_file", path=path)
    result = import_layer(
        path,
        "sites",
        coordinate_system=system,
        parents={
            "counties": region.counties,
            "townships": region.townships,
            "communities": region.communities,
        },
        region_boundary=region.boundary(),
        lang=lang,
    )
    for message in result.messages(lang):
        print(t("cli.warning", lang, message=message), file=sys.stderr)
    if not result.ok or result.data is None:
        raise PlannerError("cli.inventory_refused", path=path)
    return region.with_layer("sites", result.data)


def _export(args: argparse.Namespace) -> int:
    from planner.views.export import MapNotice, export_plan, parse_formats, read_plan

    started = time.perf_counter()
    formats = parse_formats(args.formats)  # a bad name fails before the plan is read
    plan = read_plan(Path(args.plan))
    folder = output_folder(args.out)
    notice = MapNotice(args.approval[:60], args.basemap_statement[:300])
    written = export_plan(plan, folder, formats, lang=args.lang, paper=args.paper,
                          notice=notice)  # fmt: skip
    files = [path for paths in written.values() for path in paths]
    print(
        t("cli.exported", args.lang, count=len(files), path=Path(args.out),
          seconds=time.perf_counter() - started)
    )  # fmt: skip
    for path in files:
        print(f"  {path}")
    return 0


def _point_line(event: SweepProgress, lang: str) -> str:
    """One progress line for a finished sweep point."""
    point = event.point
    params = ", ".join(f"{k}={v}" for k, v in point.params.items())
    common = {"finished": event.finished, "total": event.total, "params": params}
    if point.status != "done":
        return t("cli.sweep.failed", lang, **common, error=point.error_message(lang))
    result = point.result or {}
    k = result.get("kpis", {})
    return t(
        "cli.sweep.done", lang, **common, status=_label(_STATUS_LABEL, result.get("status"), lang),
        stations=k.get("stations"), coverage=k.get("coverage_share") or 0.0,
        mean=k.get("mean_distance_m") or 0.0, seconds=point.seconds or 0.0,
        attempts=point.attempts,
    )  # fmt: skip


def _sweep(args: argparse.Namespace) -> int:
    from planner.store import Store
    from planner.sweep import SweepDefinition, load_curve, run_sweep

    started = time.perf_counter()
    lang = args.lang
    definition = SweepDefinition.load(args.sweep, region=args.region)
    store = Store(args.db) if args.db else Store()
    out = output_folder(args.out)
    where = (
        t("cli.sweep.remote", lang, address=args.scheduler)
        if args.scheduler
        else t("cli.sweep.local", lang, workers=args.workers)
    )

    def progress(event: SweepProgress) -> None:
        if event.point is None:
            print(
                t("cli.sweep.start", lang, id=definition.id, name=definition.name,
                  total=event.total, done=event.done, failed=event.failed),
                flush=True,
            )  # fmt: skip
            if event.done < event.total:  # else no cluster is started
                print(where, flush=True)
        else:
            print(_point_line(event, lang), flush=True)

    try:
        run = run_sweep(
            definition,
            store,
            scheduler=args.scheduler,
            workers=args.workers,
            progress=progress,
            reuse_instances=not args.no_reuse,
            start_from_neighbours=args.start_from_neighbours,
        )
    except KeyboardInterrupt:
        print(t("cli.sweep.stopped", lang), file=sys.stderr)
        return 130
    sweep = run.sweep
    print(
        t("cli.sweep.summary", lang, computed=run.computed, skipped=run.skipped,
          done=sweep.done, total=sweep.total, failed=sweep.failed,
          seconds=time.perf_counter() - started)
    )  # fmt: skip
    curve = load_curve(store, sweep.id)
    knees = curve.knees()
    for _, knee in knees.iterrows():
        label = f" ({knee['curve']})" if knee["curve"] else ""
        print(
            t("cli.sweep.knee", lang, curve=label, stations=int(knee["stations"]),
              coverage=float(knee["coverage_share"]))
        )  # fmt: skip
    if knees.empty:
        print(t("cli.sweep.no_knee", lang))
    try:
        files = [curve.write_csv(out / "sweep.csv", lang), curve.write_png(out / "sweep.png", lang)]
    except OSError as err:
        raise PlannerError("export.bad_out", path=out, error=err) from err
    print(t("cli.sweep.written", lang))
    for path in files:
        print(f"  {path}")
    return 0 if sweep.complete else 1


def _positive_int(text: str) -> int:
    """``argparse`` type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line in the chosen language."""

    lang = "zh"

    def error(self, message: str) -> NoReturn:
        print(t("cli.usage", self.lang, message=message), file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m planner", description="Recycling network planner")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="message language")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an unexpected error (or set PLANNER_DEBUG=1)",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("plan", help="solve a scenario and write the plan")
    p.add_argument("--region", required=True, help="region id, e.g. wenzhou or jinjiang")
    p.add_argument("--scenario", help="scenario file (.json/.yaml/.toml); default: the region's")
    p.add_argument(
        "--network",
        metavar="PATH",
        help="road file (.osm, .graphml, or road lines: .geojson/.gpkg/.shp/.zip/.kml) for a "
        "scenario with distance_mode: network; default: the road file stored with the region",
    )
    p.add_argument(
        "--layers",
        help="folder of zones, points of interest and demand tables (tables/<name>.csv) to "
        "plan the scenario's facility kinds with; default: <scenario>.layers beside the "
        "scenario file, if any",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument(
        "--existing",
        help="inventory of existing sites (CSV/XLSX/GeoJSON/GPKG/zipped SHP) to plan on "
        "top of, instead of the sites stored with the region",
    )
    p.add_argument(
        "--existing-crs",
        choices=["wgs84", "gcj02", "bd09", "cgcs2000"],
        help="coordinate system of --existing (default: declared or detected)",
    )
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
    e.add_argument("--approval", default="", help="map approval number (审图号) to print")
    e.add_argument("--basemap-statement", default="", help="base-map statement to print on maps")
    e.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)
    e.set_defaults(func=_export)
    w = sub.add_parser("sweep", help="solve a scenario sweep on Dask and draw its curves")
    w.add_argument("--region", required=True, help="region id, e.g. wenzhou or jinjiang")
    w.add_argument("--sweep", required=True, help="sweep definition (.yaml/.json/.toml)")
    w.add_argument("--out", required=True, help="output folder for sweep.csv and sweep.png")
    w.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    w.add_argument(
        "--workers", type=_positive_int, default=2, help="local worker processes (default 2)"
    )
    w.add_argument("--db", help="database file (default: $PLANNER_DB or $PLANNER_HOME's)")
    w.add_argument(
        "--no-reuse",
        action="store_true",
        help="build every point's instance anew (default: a worker reuses it)",
    )
    w.add_argument(
        "--start-from-neighbours",
        action="store_true",
        help="start each point from the worker's solved plan with the nearest station count",
    )
    w.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS)
    w.set_defaults(func=_sweep)
    add_users_parser(sub)
    add_db_parser(sub)
    return parser


def _asked_lang(argv: Sequence[str]) -> str:
    """The ``--lang`` of a command line that may not parse (for its error message)."""
    lang = "zh"
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    return lang if lang in LANGUAGES else "zh"


def one_line(err: PlannerError, lang: str) -> str:
    """``err``'s message and its details on one line."""
    return " ".join(line.strip() for line in err.message(lang).splitlines() if line.strip())


def _reason(err: OSError) -> str:
    return err.strerror or " ".join(str(err).split()) or type(err).__name__


def os_error(err: OSError) -> PlannerError:
    """A file-system error as a message naming the file and the reason."""
    path = err.filename if err.filename is not None else "?"
    if isinstance(err, PermissionError):
        return PlannerError("cli.os.permission", path=path)
    if isinstance(err, IsADirectoryError):
        return PlannerError("cli.os.is_directory", path=path)
    if isinstance(err, NotADirectoryError):
        return PlannerError("cli.os.not_directory", path=path)
    if isinstance(err, FileNotFoundError):
        return PlannerError("cli.os.not_found", path=path)
    if err.errno == errno.ENOSPC:
        return PlannerError("cli.os.disk_full", path=path)
    if err.errno == errno.EROFS:
        return PlannerError("cli.os.read_only", path=path)
    return PlannerError("cli.os.other", path=path, reason=_reason(err))


def _error(message: str, lang: str) -> None:
    print(t("cli.error", lang, message=message), file=sys.stderr, flush=True)


def _debug(args: Any) -> bool:
    """Whether to show tracebacks: ``--debug`` or ``PLANNER_DEBUG`` set (not to 0)."""
    flag = os.environ.get("PLANNER_DEBUG", "").strip()
    return bool(getattr(args, "debug", False)) or flag not in ("", "0")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (0 done, 1 no plan or failed points,
    2 error, 130 interrupted)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    lang = _asked_lang(argv)
    _Parser.lang = lang
    args = build_parser().parse_args(argv)
    lang = args.lang
    try:
        return args.func(args)
    except PlannerError as err:
        _error(one_line(err, lang), lang)
    except KeyboardInterrupt:
        print(t("cli.interrupted", lang), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (``| head``): nothing left to tell it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as err:
        _error(one_line(os_error(err), lang), lang)
    except Exception as err:
        if _debug(args):
            raise
        detail = " ".join(str(err).split())[:200] or "-"
        _error(t("cli.unexpected", lang, kind=type(err).__name__, detail=detail), lang)
    return 2
