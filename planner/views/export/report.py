"""One-file PDF scenario report: indicators, parameters, the map, solver results, tables.

Written with matplotlib's PDF backend (``PdfPages``) in the same CJK font as the maps,
so no further PDF library is needed. A4 portrait pages, the map on an A4 landscape
page:

1. title, scenario, key indicators (village coverage, 村/社区覆盖, included, with the
   count of villages and communities left without a station in reach and where their
   list is), parameters, sources and caveats;
2. the plan map (:func:`planner.views.export.static_map.map_figure`);
3. solver results per tier (status, objective, bound, proven gap), the per-county
   table with a city total, the sites per action (新建 / 标准化改造 / 保留 / 关停) per
   county and tier with the costs (one-off by action, yearly running cost, budgets, unit
   costs, and the note that default unit costs are planning assumptions), and the
   per-township table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from planner.data.regions import Region
from planner.data.standards import load_standard
from planner.format import count, number, share
from planner.i18n import t, value_label
from planner.plan import Plan
from planner.plan.actions import costs_assumed
from planner.plan.kpi import distance_mode_text
from planner.plan.location import schematic_note
from planner.plan.quality import plan_quality
from planner.plan.tables import tier_word
from planner.plan.villages import city_area_columns, within_radius
from planner.scenario import CAPACITY_STANDARDS
from planner.scenario.compliance import minimum_floor_area
from planner.views.export.common import (
    ACTION_COLUMNS,
    COST_COLUMNS,
    TIER_COST_COLUMNS,
    UNIT_COST_COLUMNS,
    Column,
    MapNotice,
    action_table,
    area_rows,
    cost_tables,
    dates_line,
    sources_line,
)
from planner.views.export.fonts import font_families
from planner.views.export.kind_report import kind_section
from planner.views.export.market_report import market_section
from planner.views.export.phasing_report import phasing_section
from planner.views.export.static_map import fontprops, map_figure, wrap_text
from planner.views.labels import (
    COLUMN_LABEL,
    DISTANCE_LABEL,
    EXPORT_PLAN_STATUS_LABEL,
    EXPORT_TIER_LABEL,
    MODEL_LABEL,
    PER_COMMUNITY_LABEL,
    STANDARD_LABEL,
)
from planner.views.style import PRINT
from planner.views.text import area_names

__all__ = ["PAGE_SIZE", "TITLE_BOX", "draw_title", "export_report"]


# A4 portrait in inches, and the title's box (figure fractions x0, y0, x1, y1):
# draw_title centres the title in it, so a test can find and re-render it.
PAGE_SIZE = (210 / 25.4, 297 / 25.4)
TITLE_BOX = (0.06, 0.905, 0.94, 0.955)
TITLE_SIZE = 18.0
MARGIN_PT = 48.0


def draw_title(fig: Figure, text: str, families: Sequence[str] | None = None) -> None:
    """The report title, centred in :data:`TITLE_BOX`.

    ``families`` overrides the font (the tests draw the same title in a CJK and in a
    Latin-only font to compare with the rendered report).
    """
    x0, y0, x1, y1 = TITLE_BOX
    fig.text(
        (x0 + x1) / 2,
        (y0 + y1) / 2,
        text,
        ha="center",
        va="center",
        parse_math=False,
        family=list(families or font_families()),
        size=TITLE_SIZE,
        weight="bold",
    )


#: Chinese section numbers (一、二、…); index 0 unused.
_CHINESE_NUMBERS = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
                    "十一", "十二", "十三", "十四", "十五")  # fmt: skip


class _Writer:
    """Flows headings, paragraphs and tables down A4 pages, breaking where needed."""

    def __init__(self, pdf: PdfPages, lang: str, footer: str) -> None:
        self.pdf, self.lang, self.footer = pdf, lang, footer
        self.page = 0
        self.sections = 0  # headings so far, for their numbers
        self.fig: Figure | None = None
        self.y = 0.0  # points from the top
        self.width_pt = PAGE_SIZE[0] * 72
        self.height_pt = PAGE_SIZE[1] * 72

    # --- pages ---------------------------------------------------------------------
    def new_page(self) -> Figure:
        self.flush()
        self.page += 1
        self.fig = Figure(figsize=PAGE_SIZE)
        FigureCanvasAgg(self.fig)
        self.renderer = self.fig.canvas.get_renderer()
        self.y = MARGIN_PT
        self._text(
            self.width_pt - MARGIN_PT,
            self.height_pt - 28,
            t("export.report.page", self.lang, page=self.page),
            7.5,
            ha="right",
            color="#666",
        )
        self._text(MARGIN_PT, self.height_pt - 28, self.footer, 7.5, color="#666")
        return self.fig

    def flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def add_figure(self, fig: Figure) -> None:
        """A whole page drawn elsewhere (the map)."""
        self.flush()
        self.page += 1
        fig.text(
            0.975,
            0.012,
            t("export.report.page", self.lang, page=self.page),
            ha="right",
            va="bottom",
            fontproperties=fontprops(7.5),
            color="#666",
        )
        self.pdf.savefig(fig)

    def room(self, height: float) -> None:
        if self.fig is None or self.y + height > self.height_pt - MARGIN_PT:
            self.new_page()

    # --- drawing helpers (points from the top-left corner) -------------------------
    def _text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        weight: str = "normal",
        ha: str = "left",
        color: str = "#000",
    ) -> None:
        assert self.fig is not None
        self.fig.text(
            x / self.width_pt,
            1 - y / self.height_pt,
            text,
            ha=ha,
            va="baseline",
            fontproperties=fontprops(size, weight),
            color=color,
            parse_math=False,
        )

    def _rect(self, x: float, y: float, w: float, h: float, **style) -> None:
        assert self.fig is not None
        self.fig.patches.append(
            Rectangle(
                (x / self.width_pt, 1 - (y + h) / self.height_pt),
                w / self.width_pt,
                h / self.height_pt,
                transform=self.fig.transFigure,
                figure=self.fig,
                **style,
            )
        )

    def _lines(self, text: str, size: float, width_pt: float) -> list[str]:
        width_px = width_pt * self.renderer.points_to_pixels(1.0)
        return wrap_text(text, fontprops(size), width_px, self.renderer).split("\n")

    # --- content -----------------------------------------------------------------------
    def heading(self, text: str, numbered: bool = True) -> None:
        """A section heading, numbered in the report's order (一、二、… / 1. 2. …)."""
        if numbered:
            self.sections += 1
            n = self.sections
            number_ = _CHINESE_NUMBERS[n] if self.lang == "zh" and n < len(_CHINESE_NUMBERS) else n
            text = t("export.report.section", self.lang, number=number_, title=text)
        self.room(60)
        self.y += 10
        self._text(MARGIN_PT, self.y + 12, text, 13, "bold")
        self.y += 24

    def paragraph(
        self, text: str, size: float = 9.5, color: str = "#000", box: str | None = None
    ) -> None:
        width = self.width_pt - 2 * MARGIN_PT - (16 if box else 0)
        lines = [line for part in text.split("\n") for line in self._lines(part, size, width)]
        step = size * 1.55
        self.room(step * len(lines) + (12 if box else 0))
        if box:
            self._rect(
                MARGIN_PT,
                self.y,
                self.width_pt - 2 * MARGIN_PT,
                step * len(lines) + 10,
                facecolor=box,
                edgecolor=PRINT.note[2],
                linewidth=0.6,
            )
            self.y += 5
        x = MARGIN_PT + (8 if box else 0)
        for line in lines:
            self._text(x, self.y + size * 1.1, line, size, color=color)
            self.y += step
        self.y += 6 + (5 if box else 0)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        numeric: Sequence[bool],
        size: float = 8.5,
    ) -> None:
        """A ruled table; ``widths`` are fractions of the text width."""
        total = self.width_pt - 2 * MARGIN_PT
        cols = [w * total for w in widths]
        pad = 4.0
        line_h = size * 1.45

        def cells(row, bold=False):
            return [self._lines(str(v), size, c - 2 * pad) for v, c in zip(row, cols, strict=True)]

        def draw(row_lines, bold=False, shade=None):
            h = max(len(ls) for ls in row_lines) * line_h + 5
            if shade:
                self._rect(MARGIN_PT, self.y, total, h, facecolor=shade, edgecolor="none")
            x = MARGIN_PT
            for lines, c, num in zip(row_lines, cols, numeric, strict=True):
                for i, line in enumerate(lines):
                    xx, ha = (x + c - pad, "right") if num else (x + pad, "left")
                    self._text(
                        xx,
                        self.y + 3 + size * 1.05 + i * line_h,
                        line,
                        size,
                        "bold" if bold else "normal",
                        ha=ha,
                    )
                x += c
            self.y += h
            self._rect(MARGIN_PT, self.y - 0.3, total, 0.3, facecolor="#bbb", edgecolor="none")

        head = cells(header, bold=True)
        head_h = max(len(ls) for ls in head) * line_h + 5
        self.room(head_h * 2)
        draw(head, bold=True, shade="#dde6f0")
        for row in rows:
            lines = cells(row)
            h = max(len(ls) for ls in lines) * line_h + 5
            if self.y + h > self.height_pt - MARGIN_PT:
                self.new_page()
                draw(head, bold=True, shade="#dde6f0")
            draw(lines)
        self.y += 8


def _kpi_rows(plan: Plan, lang: str) -> list[tuple[str, str]]:
    k = plan.kpis
    rows = [
        (t("export.col.stations", lang), number(k.get("stations"))),
        (t("export.col.sorting_centres", lang), number(k.get("sorting_centres"))),
        (t("term.population", lang), number(k.get("population"))),
        (t("term.households", lang), number(k.get("households"))),
        (t("term.communities", lang), number(k.get("communities"))),
        (t("term.population_within_radius", lang), share(k.get("coverage_share"))),
        (t("term.urban_coverage", lang), share(k.get("coverage_share_urban"))),
        (t("term.rural_coverage", lang), share(k.get("coverage_share_rural"))),
        *_village_rows(plan, lang),
        (t("term.mean_distance_m", lang), number(k.get("mean_distance_m"))),
        (t("export.col.p95_distance_m", lang), number(k.get("p95_distance_m"))),
        (t("export.col.max_distance_m", lang), number(k.get("max_distance_m"))),
        (
            t("export.col.stations_per_1000_households", lang),
            number(k.get("stations_per_1000_households"), 3),
        ),
        (t("export.col.uncovered_communities", lang), number(k.get("uncovered_communities"))),
        (t("export.col.uncovered_population", lang), number(k.get("uncovered_population"))),
    ]
    if "centre_load_t_per_day" in k:
        rows.append(
            (
                t("export.report.load", lang),
                f"{number(k.get('centre_load_t_per_day'), 1)} / "
                f"{number(k.get('centre_capacity_t_per_day'), 1)}",
            )
        )
    if "max_centre_utilisation" in k:
        rows.append((t("export.report.max_util", lang), share(k.get("max_centre_utilisation"))))
    rows.append((t("kpi.distance_mode", lang), distance_mode_text(k, lang)))
    return rows


def _village_rows(plan: Plan, lang: str) -> list[tuple[str, str]]:
    """Villages and communities with a station in reach: all (covered of all), 社区,
    村; with the scenario's rule, its target and the lowest county share. None for a
    plan made before they were counted."""
    v = plan.kpis.get("villages") or {}
    if not v:
        return []

    def of(key: str, covered: str, units: str) -> str:
        if not v.get(units):
            return share(None)
        return f"{share(v.get(key))} ({number(v.get(covered))} / {number(v.get(units))})"

    rows = [
        (t("term.village_coverage", lang), of("share", "covered", "units")),
        (t("term.community_coverage", lang),
         of("community_share", "community_covered", "community_units")),
        (t("term.rural_village_coverage", lang),
         of("village_share", "village_covered", "village_units")),
    ]  # fmt: skip
    target = plan.scenario.stations.min_village_share
    if target > 0:
        rows.append((t("term.village_target", lang), f"≥ {share(target)}"))
        rows.append((t("term.min_county_village_coverage", lang), share(v.get("min_county_share"))))
    return rows


def _village_note(plan: Plan, lang: str) -> str | None:
    """How many villages and communities have no station in reach, and where their list
    is; ``None`` for a plan made before they were counted."""
    v = plan.kpis.get("villages") or {}
    if not v:
        return None
    if not v.get("uncovered"):
        return t("term.every_village_covered", lang)
    demand = plan.demand
    people = None
    if demand is not None and len(demand):
        people = demand["population"].to_numpy(dtype=float)[~within_radius(demand)].sum()
    return t(
        "export.report.villages", lang, count=number(v["uncovered"]), population=number(people),
        sheet=t("export.sheet.uncovered", lang),
    )  # fmt: skip


def _listing(items: Sequence[str], lang: str, key: str = "export.report.n_sites") -> str:
    if not items:
        return t("export.report.none", lang)
    shown = ", ".join(str(i) for i in list(items)[:12])
    return t(key, lang, n=len(items), items=shown + (" …" if len(items) > 12 else ""))


#: Site lists longer than this are given as a count: a report names a few sites, and
#: the site list (XLSX) holds them all.
_NAMED_SITES = 8


def _site_names(plan: Plan, region: Region | None) -> dict[str, str]:
    """Names of the plan's sites and the region's candidates by id (communities by
    code, township seats by ``t`` + code)."""

    def pairs(ids, labels, prefix: str = "") -> dict[str, str]:
        return {f"{prefix}{i}": str(n) for i, n in zip(ids, labels, strict=True)
                if isinstance(n, str) and n}  # fmt: skip

    names: dict[str, str] = {}
    if region is not None:
        names |= pairs(region.communities["code"], region.communities["name"])
        names |= pairs(region.townships["code"], region.townships["name"], "t")
        if region.sites is not None and "name" in region.sites:
            names |= pairs(region.sites["site_id"], region.sites["name"])
    return names | pairs(plan.sites["site_id"], plan.sites["name"])


def _sites_listing(ids: Sequence[str], names: dict[str, str], lang: str) -> str:
    """Sites a scenario lists, by name; a long list as its count (no internal ids)."""
    if not ids:
        return t("export.report.none", lang)
    if len(ids) > _NAMED_SITES:
        return t("export.report.many_sites", lang, n=number(len(ids)))
    sep = "、" if lang == "zh" else ", "
    shown = sep.join(names.get(str(i), t("export.report.unnamed_site", lang)) for i in ids)
    return t("export.report.n_sites", lang, n=len(ids), items=shown)


def _limits(limits: dict, names: dict[str, str], lang: str) -> str:
    items = [f"{names.get(str(c), c)} {n}" for c, n in sorted(limits.items())]
    return _listing(items, lang, "export.report.n_counties")


def _parameter_rows(plan: Plan, region: Region | None, lang: str) -> list[tuple[str, str]]:
    sc = plan.scenario
    s, c, g = sc.stations, sc.centres, sc.generation

    def yes(flag: bool) -> str:
        return t("export.report.yes" if flag else "export.report.no", lang)

    names = area_names(region, "counties")
    sites = _site_names(plan, region)
    standard = CAPACITY_STANDARDS.get(s.capacity_standard)
    standard_key = STANDARD_LABEL.get(s.capacity_standard)
    if standard is None:
        standard_text = t("export.standard.none", lang)
    elif standard_key is None:  # a standard without a wording yet: its name
        standard_text = s.capacity_standard
    else:
        standard_text = t(standard_key, lang, urban=standard[0], rural=standard[1])
    distance_key = DISTANCE_LABEL.get(sc.distance_mode)
    distance_text = (
        t(distance_key, lang, circuity=f"{sc.circuity:g}") if distance_key else sc.distance_mode
    )
    solver_name = {"highs": "HiGHS", "cbc": "CBC"}.get(sc.solver.name, sc.solver.name)
    solver = f"{solver_name} / {sc.solver.time_limit_s:g} s / {share(sc.solver.gap, 2)}"
    return [
        (
            t("export.param.stations.count", lang),
            count(s.count) if s.count is not None else t("export.report.derived", lang),
        ),
        (
            t("export.param.stations.objective", lang),
            value_label(MODEL_LABEL, s.objective, lang),
        ),
        (
            t("export.param.radius", lang),
            f"{number(s.radius_urban_m)} / {number(s.radius_rural_m)}",
        ),
        (t("export.param.capacity_standard", lang), standard_text),
        (t("export.param.use_capacity", lang), yes(s.use_capacity)),
        (t("export.param.one_per_township", lang), yes(s.one_per_township)),
        (
            t("export.param.one_per_community", lang),
            value_label(PER_COMMUNITY_LABEL, s.one_per_community, lang),
        ),
        (t("export.param.stations.county_min", lang), _limits(s.county_min, names, lang)),
        (t("export.param.stations.county_max", lang), _limits(s.county_max, names, lang)),
        (t("export.param.stations.required", lang), _sites_listing(s.required_sites, sites, lang)),
        (t("export.param.stations.excluded", lang), _sites_listing(s.excluded_sites, sites, lang)),
        (t("export.param.centres.count", lang), count(c.count)),
        (t("export.param.centres.capacity", lang), number(c.capacity_t_per_day, 1)),
        (t("export.param.centres.fixed_cost", lang), number(c.fixed_cost)),
        (t("export.param.centres.one_per_county", lang), yes(c.one_per_county)),
        (t("export.param.centres.county_min", lang), _limits(c.county_min, names, lang)),
        (t("export.param.centres.county_max", lang), _limits(c.county_max, names, lang)),
        (t("export.param.centres.required", lang), _sites_listing(c.required_sites, sites, lang)),
        (t("export.param.centres.excluded", lang), _sites_listing(c.excluded_sites, sites, lang)),
        (
            t("export.param.generation", lang),
            f"{g.urban_kg_per_person_day:g} / {g.rural_kg_per_person_day:g}",
        ),
        (
            t("export.param.distance_mode", lang),
            distance_text,
        ),
        (t("export.param.dense_grid_m", lang), f"{sc.dense_grid_m:g}"),
        *_network_rows(plan, names, lang),
        (t("export.param.solver", lang), solver),
    ]


#: How the counts are read (``existing.count_mode``).
COUNT_MODE_LABEL = {
    "total": "export.param.count_mode.total",
    "new_or_rebuilt": "export.param.count_mode.new_or_rebuilt",
}


def _network_rows(plan: Plan, names: dict[str, str], lang: str) -> list[tuple[str, str]]:
    """The scenario's existing-network, village and budget parameters."""
    sc = plan.scenario
    ex, costs = sc.existing, sc.costs
    none = t("export.report.none", lang)

    def area(tier: str) -> str:
        value = minimum_floor_area(tier, ex)
        return t("export.param.not_set", lang) if value is None else f"{value:g} m²"

    budgets = [
        f"{names.get(code, code)} {count(v)}"
        for code, v in sorted(costs.county_budget_yuan.items())
    ]
    return [
        (t("export.param.existing.standard", lang), load_standard(ex.standard).name[lang]),
        (t("export.param.existing.count_mode", lang), t(COUNT_MODE_LABEL[ex.count_mode], lang)),
        (
            t("export.param.existing.min_floor_area", lang),
            f"{area('station')} / {area('sorting_centre')}",
        ),
        (
            t("export.param.stations.min_village_share", lang),
            share(sc.stations.min_village_share) if sc.stations.min_village_share else none,
        ),
        (
            t("export.param.costs.budget", lang),
            none if costs.budget_yuan is None else count(costs.budget_yuan),
        ),
        (
            t("export.param.costs.county_budget", lang),
            _listing(budgets, lang, "export.report.n_counties"),
        ),
    ]


#: Headers of the solver results table, one per value of :func:`_result_rows`.
_RESULT_HEADERS = (
    "term.tier",
    "export.report.model",
    "term.status",
    "term.objective",
    "export.report.bound",
    "export.report.gap",
    "term.time_s",
)


def _result_rows(plan: Plan, lang: str) -> list[list[str]]:
    rows = []
    for r in plan.results:
        rows.append(
            [
                tier_word(r, lang, EXPORT_TIER_LABEL),
                value_label(MODEL_LABEL, r.model, lang),
                value_label(EXPORT_PLAN_STATUS_LABEL, r.status, lang),
                number(r.objective),
                number(r.bound),
                share(r.gap, 2),
                number(r.seconds, 1),
            ]
        )
    return rows


AREA_COLUMNS = (
    "population",
    "stations",
    "sorting_centres",
    "coverage_share",
    "village_coverage_share",
    "mean_distance_m",
    "p95_distance_m",
)
_SHARES = ("coverage_share", "village_coverage_share")


def _area_values(row) -> list[str]:
    """The :data:`AREA_COLUMNS` of one county/township indicator row, formatted."""
    return [share(row.get(c)) if c in _SHARES else number(row.get(c)) for c in AREA_COLUMNS]


def _cells(table, columns: Sequence[Column]) -> tuple[list[str], list[list[str]], list[bool]]:
    """Header, rows as text and which columns are numbers, of an export table, without
    its code columns (the report names areas)."""
    keep = [i for i, c in enumerate(columns) if c.kind != "code"]
    header = [str(table.columns[i]) for i in keep]
    numeric = [columns[i].kind in ("int", "money") for i in keep]
    rows = [
        [
            number(row[i], missing="") if num else str(row[i] or "")
            for i, num in zip(keep, numeric, strict=True)
        ]
        for row in table.itertuples(index=False)
    ]
    return header, rows, numeric


def _actions_section(w: _Writer, plan: Plan, region: Region, lang: str) -> None:
    """Sites per action per county and tier, then the costs in yuan."""
    w.heading(t("term.actions_heading", lang))
    header, rows, numeric = _cells(action_table(plan, lang, region), ACTION_COLUMNS)
    w.table(header, rows, [0.2, 0.16, 0.11, 0.14, 0.11, 0.11, 0.17], numeric, size=8)
    tables = cost_tables(plan, lang, region)
    if not tables:
        return
    w.paragraph(t("term.costs_heading", lang), 11, color="#222")
    if costs_assumed(plan.kpis):
        note, box, _ = PRINT.note
        w.paragraph(t("term.costs_assumed", lang), 9, color=note, box=box)
    for key, name, columns, widths in (
        ("tiers", "export.costs.by_tier", TIER_COST_COLUMNS, [0.15, 0.17, 0.17, 0.17, 0.17, 0.17]),
        ("counties", "export.costs.by_county", COST_COLUMNS,
         [0.12, 0.13, 0.12, 0.12, 0.13, 0.13, 0.12, 0.13]),
        ("units", "export.costs.units", UNIT_COST_COLUMNS, [0.2, 0.2, 0.2, 0.2, 0.2]),
    ):  # fmt: skip
        w.paragraph(t(name, lang), 9.5, color="#222")
        header, rows, numeric = _cells(tables[key], columns)
        w.table(header, rows, widths, numeric, size=7.5)


def export_report(
    plan: Plan,
    path: str | Path,
    region: Region,
    lang: str = "zh",
    paper: str = "a4",
    notice: MapNotice | None = None,
) -> Path:
    """Write the scenario report as one PDF; returns the path.

    Parameters
    ----------
    plan, region
        The plan and its region.
    lang
        ``zh`` or ``en``.
    paper
        Sheet of the map page (``a4`` or ``a3`` landscape); text pages are A4 portrait.
    notice
        The map approval number and base-map statement, on the map page when set.
    """
    path = Path(path)
    font_families()  # fail early, with a clear message, when no CJK font is installed
    title = t("export.report.title", lang, region=region.name(lang))
    footer = f"{region.name(lang)} · {plan.scenario.name}"
    metadata = {"Title": title, "Subject": plan.scenario.name, "Creator": "recycling-planner"}
    with PdfPages(path, metadata=metadata) as pdf:
        w = _Writer(pdf, lang, footer)
        fig = w.new_page()
        draw_title(fig, title)
        w.y = (1 - TITLE_BOX[1]) * w.height_pt + 14
        w.paragraph(plan.scenario.name, 12, color="#222")
        if plan.scenario.description:
            w.paragraph(plan.scenario.description, 9.5, color="#333")
        w.paragraph(dates_line(plan, lang), 8.5, color="#444")
        if region.is_approximate:
            note, box, _ = PRINT.note
            w.paragraph(t("export.approximate", lang), 9, color=note, box=box)
            if schematic_note(plan.sites, lang):
                w.paragraph(schematic_note(plan.sites, lang), 9, color=note, box=box)
        w.heading(t("export.report.kpis", lang))
        header = [t("term.indicator", lang), t("export.report.value", lang)]
        w.table(header, _kpi_rows(plan, lang), [0.6, 0.4], [False, True])
        note = _village_note(plan, lang)
        if note:
            w.paragraph(note, 9, color="#222")
        # how good the plan is, in words; the solver's figures go to the appendix
        level, quality = plan_quality([r.__dict__ for r in plan.results], lang)
        colour = "#8a1c1c" if level == "none" else "#222"
        w.paragraph(quality, 9.5, color=colour)
        w.heading(t("export.report.parameters", lang))
        header = [t("export.report.parameter", lang), t("export.report.setting", lang)]
        w.table(header, _parameter_rows(plan, region, lang), [0.45, 0.55], [False, False])
        w.paragraph(sources_line(region, lang), 7.5, color="#444")

        area_headers = [t(COLUMN_LABEL[c], lang) for c in AREA_COLUMNS]
        w.heading(t("export.report.counties", lang))
        rows = [
            [r["county"] or str(r["county_code"]), *_area_values(r)]
            for _, r in area_rows(plan, "counties", region, lang, total=False).iterrows()
        ]
        city = {**plan.kpis, **city_area_columns(plan.kpis)}
        rows.append([t("export.total", lang), *_area_values(city)])
        widths = [0.14, 0.12, 0.1, 0.1, 0.13, 0.15, 0.13, 0.13]
        header = [t("term.county", lang), *area_headers]
        w.table(header, rows, widths, [False] + [True] * 7, size=8)
        _actions_section(w, plan, region, lang)
        market_section(w, plan, region, lang)  # plans with a market tier only
        kind_section(w, plan, region, lang)  # plans with standalone kinds only
        w.add_figure(map_figure(plan, region, lang, paper, notice=notice))
        phasing_section(w, plan, region, lang)  # phased plans only: a page of maps per year

        if len(plan.township_kpis):
            w.heading(t("export.report.townships", lang))
            rows = [
                [r["township"] or str(r["township_code"]), r["county"] or "", *_area_values(r)]
                for _, r in area_rows(plan, "townships", region, lang, total=False).iterrows()
            ]
            header = [t("term.township", lang), t("term.county", lang), *area_headers]
            widths = [0.13, 0.1, 0.1, 0.08, 0.09, 0.12, 0.14, 0.13, 0.11]
            w.table(header, rows, widths, [False, False] + [True] * 7, size=7.5)
        w.heading(t("export.report.appendix", lang), numbered=False)
        w.paragraph(t("export.report.appendix_note", lang), 8.5, color="#444")
        header = [t(k, lang) for k in _RESULT_HEADERS]
        w.table(
            header,
            _result_rows(plan, lang),
            [0.13, 0.25, 0.16, 0.14, 0.14, 0.09, 0.09],
            [False, False, False, True, True, True, True],
            size=8,
        )
        sep = "：" if lang == "zh" else ": "
        for r in plan.results:
            tier = tier_word(r, lang, EXPORT_TIER_LABEL)
            for d in r.diagnoses:  # a note where the tier has a plan, an error where not
                colour = "#444" if r.has_plan else "#8a1c1c"
                w.paragraph(f"{tier}{sep}{d.get(lang, '')}", 8.5, color=colour)
            if not r.has_plan:
                w.paragraph(f"{tier}{sep}{t('export.report.no_sites', lang)}", 8.5, color="#8a1c1c")
        w.flush()
    return path
