"""Figures of the test-system chapter: the feeder diagram, voltage profiles and daily curves.

The feeder diagram needs bus positions. :func:`feeder_layout` computes them for any radial
:class:`~sopev_lib.system.feeder.Feeder` (no hand-typed coordinates): the feeder is split into
sections by a longest-path decomposition, the main trunk (the longest path from the substation)
runs left to right on row 0, and every lateral hangs below or above the bus it leaves from and
runs to the right on the nearest row where it does not collide with an earlier section.

Every plotting function takes computed results (kW, kvar, p.u.) and returns a matplotlib Figure;
none of them solves anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from sopev_lib.book.style import COLUMN_IN, MIN_FONT_PT, PALETTE, displayed_pt, step
from sopev_lib.system.feeder import Feeder

__all__ = [
    "FeederLayout",
    "draw_feeder",
    "feeder_layout",
    "legible_font_pt",
    "plot_daily_power_flow",
    "plot_daily_profiles",
    "plot_voltage_profile",
]

PV_COLOR = PALETTE[1]
WIND_COLOR = PALETTE[0]
EV_COLOR = PALETTE[2]
SOP_COLOR = PALETTE[3]
TIE_COLOR = "0.45"
LINE_COLOR = "0.15"
PERIOD_COLORS = {"peak": PALETTE[3], "flat": PALETTE[8], "valley": PALETTE[9]}


@dataclass(frozen=True, eq=False)
class FeederLayout:
    """Bus positions of a radial feeder diagram.

    Attributes:
        xy: (n_bus, 2) positions in drawing units: x counts branches along a section, y is the
            row (0 = main trunk; laterals on rows above (+) and below (-)).
        sections: 0-based bus indices of each section in order, the main trunk first.
        attach: for each section, the 0-based index of the bus it leaves from (-1 for the
            trunk, which starts at the substation).
    """

    xy: np.ndarray
    sections: tuple[tuple[int, ...], ...]
    attach: tuple[int, ...]

    @property
    def row(self) -> np.ndarray:
        """Row of each bus (int), shape (n_bus,)."""
        return np.rint(self.xy[:, 1]).astype(int)


def _children(feeder: Feeder) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in range(feeder.n_bus)]
    for f, t in zip(feeder.from_idx, feeder.to_idx, strict=True):
        kids[int(f)].append(int(t))
    return kids


def _heights(kids: list[list[int]]) -> np.ndarray:
    """Number of branches on the longest path from each bus down to a leaf of its subtree."""
    order = [0]
    for u in order:  # breadth-first: parents before children
        order.extend(kids[u])
    height = np.zeros(len(kids), dtype=int)
    for u in reversed(order):
        if kids[u]:
            height[u] = 1 + max(height[v] for v in kids[u])
    return height


def _sections(feeder: Feeder) -> tuple[list[list[int]], list[int]]:
    """Longest-path decomposition: each section follows the child with the deepest subtree."""
    kids = _children(feeder)
    height = _heights(kids)
    sections: list[list[int]] = []
    attach: list[int] = []
    queue: list[tuple[int, int]] = [(0, -1)]
    for start, parent in queue:  # the queue grows while iterating: sections in discovery order
        path = [start]
        u = start
        while kids[u]:
            ranked = sorted(kids[u], key=lambda v: (-height[v], int(feeder.bus[v])))
            for v in ranked[1:]:
                queue.append((v, u))
            u = ranked[0]
            path.append(u)
        sections.append(path)
        attach.append(parent)
    return sections, attach


def _free(intervals: list[tuple[float, float]], lo: float, hi: float, gap: float) -> bool:
    """True if [lo, hi] keeps more than ``gap`` from every interval."""
    return all(hi < a - gap or lo > b + gap for a, b in intervals)


def feeder_layout(feeder: Feeder) -> FeederLayout:
    """Positions of every bus for a tree diagram of a radial feeder.

    The main trunk is the longest path (in branches) from the substation, drawn on row 0 from
    x = 0. Each lateral starts directly above or below the bus it leaves from (a vertical
    branch) and runs to the right. Laterals leaving the trunk alternate below/above and take the
    nearest free row; laterals leaving a lateral go further outward. A row is free when the new
    section keeps at least one empty unit from sections already there and its vertical branch
    crosses no section on the rows in between.
    """
    sections, attach = _sections(feeder)
    xy = np.zeros((feeder.n_bus, 2))
    occupied: dict[int, list[tuple[float, float]]] = {}
    n_trunk_laterals = 0
    max_rows = feeder.n_bus + 1
    for sec, parent in zip(sections, attach, strict=True):
        if parent < 0:
            x0, row = 0.0, 0
        else:
            x0 = float(xy[parent, 0])
            prow = int(np.rint(xy[parent, 1]))
            x1 = x0 + len(sec) - 1
            if prow == 0:
                first = -1 if n_trunk_laterals % 2 == 0 else 1
                n_trunk_laterals += 1
                candidates = [prow + s * d for d in range(1, max_rows) for s in (first, -first)]
            else:
                out = 1 if prow > 0 else -1
                candidates = [prow + out * d for d in range(1, max_rows)]

            def passes(r: int, *, prow: int = prow, x0: float = x0, x1: float = x1) -> bool:
                step = 1 if r > prow else -1
                between = range(prow + step, r, step)
                clear = all(_free(occupied.get(m, []), x0, x0, 0.0) for m in between)
                return clear and _free(occupied.get(r, []), x0, x1, 1.0)

            chosen = next((r for r in candidates if passes(r)), None)
            if chosen is None:  # crowded tree: accept crossings, keep rows distinct
                chosen = next(r for r in candidates if _free(occupied.get(r, []), x0, x1, 1.0))
            row = chosen
            step = 1 if row > prow else -1
            for m in range(prow + step, row, step):  # the vertical branch occupies its column
                occupied.setdefault(m, []).append((x0, x0))
        for k, b in enumerate(sec):
            xy[b] = (x0 + k, row)
        occupied.setdefault(row, []).append((x0, x0 + len(sec) - 1))
    return FeederLayout(xy=xy, sections=tuple(tuple(s) for s in sections), attach=tuple(attach))


def _tint(color: Sequence[float], amount: float = 0.25) -> tuple[float, float, float]:
    """An opaque light tint of ``color`` (mixed with white)."""
    r, g, b = color[:3]
    return (1 - amount + amount * r, 1 - amount + amount * g, 1 - amount + amount * b)


def _bezier(p0: np.ndarray, c: np.ndarray, p1: np.ndarray, n: int = 41) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t**2 * p1


def _tie_control(
    p0: np.ndarray, p1: np.ndarray, obstacles: np.ndarray, y_scale: float
) -> np.ndarray:
    """Control point of a tie's quadratic curve.

    Candidates bulge to either side by several depths and lean towards either end; the chosen
    curve spends the least length close to ``obstacles`` (points of buses, branches and labels):
    a curve may cross a branch, but should not run along one. Flatter curves win ties.
    """
    mid = (p0 + p1) / 2
    d = p1 - p0
    length = max(float(np.hypot(*d)), 1e-9)
    tangent = d / length
    normal = np.array([-tangent[1], tangent[0]])
    scaled = np.array([1.0, y_scale])
    far = np.minimum(
        np.hypot(*((obstacles - p0) * scaled).T), np.hypot(*((obstacles - p1) * scaled).T)
    )
    near = obstacles[far > 0.3]  # the tie's own buses and the branches leaving them do not count
    best, best_cost = mid, np.inf
    for depth in (0.1, 0.2, 0.3, 0.45, 0.6):
        for sign in (1.0, -1.0):
            for lean in (-0.25, 0.0, 0.25):
                c = mid + (sign * depth * normal + lean * tangent) * length
                curve = _bezier(p0, c, p1)[1:-1]
                if len(near):
                    diff = (curve[:, None, :] - near[None, :, :]) * scaled
                    dist = np.sqrt((diff**2).sum(-1)).min(axis=1)
                    crowding = float(np.mean(np.clip(0.55 - dist, 0.0, None)))
                else:
                    crowding = 0.0
                cost = crowding + 0.02 * depth + 0.01 * abs(lean)
                if cost < best_cost - 1e-12:
                    best, best_cost = c, cost
    return best


def _label_point(curve: np.ndarray, obstacles: np.ndarray, y_scale: float) -> np.ndarray:
    """The point of the middle half of ``curve`` farthest from the obstacles (for its label)."""
    n = len(curve)
    middle = curve[n // 4 : n - n // 4]
    diff = middle[:, None, :] - obstacles[None, :, :]
    diff[..., 1] *= y_scale
    clearance = np.sqrt((diff**2).sum(-1)).min(axis=1)
    return middle[int(np.argmax(clearance))]


@dataclass(frozen=True)
class _Geometry:
    """Sizes of a feeder diagram drawn :data:`COLUMN_IN` wide: inches per drawing unit along x
    and y, the font size (pt) that shows at :data:`MIN_FONT_PT` or more in the book, and the
    bus marker diameter (pt)."""

    x_unit_in: float
    y_unit_in: float
    font_pt: float
    bus_pt: float

    @property
    def y_scale(self) -> float:
        """Drawing units along y per unit along x at equal length on the page."""
        return self.y_unit_in / self.x_unit_in

    def offset_units(self, points: float) -> float:
        """A vertical offset in points, in drawing units."""
        return points / 72.0 / self.y_unit_in


#: Inches between two rows of a feeder diagram, above the top row / below the bottom row
#: (room for two stacked badges), and per row of the legend below the drawing.
_ROW_IN, _MARGIN_IN, _LEGEND_ROW_IN = 0.62, 0.5, 0.2


def legible_font_pt(width_in: float) -> float:
    """The smallest font size (pt, rounded up to 0.1) that shows at :data:`MIN_FONT_PT` or more
    in a figure ``width_in`` wide once the page has fitted it into the text column."""
    return float(np.ceil(10.0 * MIN_FONT_PT / displayed_pt(1.0, width_in)) / 10.0)


def _geometry(x_span: float, width_in: float) -> _Geometry:
    font = legible_font_pt(width_in)
    x_unit = width_in / x_span
    # a bus circle holds a two-digit number but leaves at least a third of the spacing free
    bus = min(2.0 * font, 0.66 * 72.0 * x_unit)
    return _Geometry(x_unit_in=x_unit, y_unit_in=_ROW_IN, font_pt=font, bus_pt=bus)


def draw_feeder(
    feeder: Feeder,
    *,
    sop_sites: Sequence[str] = (),
    pv_kw: Mapping[int, float] | None = None,
    wind_kw: Mapping[int, float] | None = None,
    stations: Mapping[int, str] | None = None,
    layout: FeederLayout | None = None,
    title: str | None = None,
) -> Figure:
    """Single-line diagram of a radial feeder, drawn at the width of the book's text column.

    The figure is :data:`~sopev_lib.book.style.COLUMN_IN` wide, every text at the smallest size
    that shows at :data:`~sopev_lib.book.style.MIN_FONT_PT` in the book
    (:func:`legible_font_pt`); bus numbers sit in their circles, DG units and stations in
    badges next to their bus (``PV 800``: a PV unit of 800 kW), tie lines are dashed curves.

    Args:
        feeder: the feeder; in-service branches are drawn solid, tie lines dashed and labelled.
        sop_sites: names of the tie lines that carry an SOP (highlighted), e.g. ``["12-22"]``.
        pv_kw, wind_kw: rating (kW) of the PV / wind unit at each 1-based bus.
        stations: label of the EV charging station at each 1-based bus, e.g. ``{18: "EV 1"}``
            (keep it short: a badge is about as wide as its text).
        layout: bus positions; default :func:`feeder_layout` of ``feeder``.
        title: optional title above the drawing.

    Returns:
        The figure (one axes, no ticks; the substation is bus ``feeder.bus[0]``).
    """
    layout = layout or feeder_layout(feeder)
    xy, rows = layout.xy, layout.row
    sop = set(sop_sites)
    unknown = sop - {t.name for t in feeder.ties}
    if unknown:
        raise ValueError(f"sop_sites {sorted(unknown)} are not tie lines of {feeder.name!r}")
    geo = _geometry(float(np.ptp(xy[:, 0])) + 2.0, COLUMN_IN)
    margin = _MARGIN_IN + (0.3 if title else 0.0)
    drawing_in = float(rows.max() - rows.min()) * geo.y_unit_in + 2 * _MARGIN_IN
    legend_in = 0.08 + _LEGEND_ROW_IN * (3 if sop else 2)  # 3 columns of 6 or 7 entries
    height = drawing_in + legend_in + (0.3 if title else 0.0)
    # axes placed by hand (no layout engine: the drawing units must keep their size in inches);
    # a placeholder engine, since matplotlib restores "no engine" as the rcParams default
    fig = plt.figure(figsize=(COLUMN_IN, height), layout=PlaceHolderLayoutEngine(True, True))
    ax = fig.add_axes((0.0, legend_in / height, 1.0, (drawing_in + margin - _MARGIN_IN) / height))
    placed = _place_badges(feeder, layout, pv_kw, wind_kw, stations, geo)
    obstacles = _obstacles(feeder, xy, placed, geo)
    for f, t in zip(feeder.from_idx, feeder.to_idx, strict=True):
        ax.plot(*xy[[f, t]].T, color=LINE_COLOR, lw=1.5, zorder=1, solid_capstyle="round")
    _draw_ties(ax, feeder, xy, sop, obstacles, geo)
    _draw_buses(ax, feeder, xy, placed, geo)
    _feeder_legend(fig, geo, has_sop=bool(sop))
    ax.set_xlim(xy[:, 0].min() - 1.0, xy[:, 0].max() + 1.0)
    ax.set_ylim(
        rows.min() - _MARGIN_IN / geo.y_unit_in,
        rows.max() + (margin) / geo.y_unit_in,
    )
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=geo.font_pt + 1, y=1.0, va="top")
    return fig


#: A badge: bus index, vertical offset (points), text, colour.
_Badge = tuple[int, float, str, tuple]


def _place_badges(
    feeder: Feeder,
    layout: FeederLayout,
    pv_kw: Mapping[int, float] | None,
    wind_kw: Mapping[int, float] | None,
    stations: Mapping[int, str] | None,
    geo: _Geometry,
) -> list[_Badge]:
    """Labels of DG units and stations, stacked away from the bus's vertical branches."""
    xy, rows = layout.xy, layout.row
    badges: dict[int, list[tuple[str, tuple]]] = {}
    for mapping, kind, color in ((pv_kw, "PV", PV_COLOR), (wind_kw, "WT", WIND_COLOR)):
        for bus, kw in (mapping or {}).items():
            badges.setdefault(feeder.index_of(bus), []).append((f"{kind} {kw:g}", color))
    for bus, label in (stations or {}).items():
        badges.setdefault(feeder.index_of(bus), []).append((label, EV_COLOR))
    vertical = [
        (int(f), int(t))
        for f, t in zip(feeder.from_idx, feeder.to_idx, strict=True)
        if xy[f, 0] == xy[t, 0]
    ]
    first = geo.bus_pt / 2 + 0.9 * geo.font_pt  # centre of the first badge from the bus centre
    step = 1.75 * geo.font_pt  # from one stacked badge to the next
    placed: list[_Badge] = []
    for i, items in badges.items():
        up_used = any(i in (a, b) and xy[a + b - i, 1] > xy[i, 1] for a, b in vertical)
        down_used = any(i in (a, b) and xy[a + b - i, 1] < xy[i, 1] for a, b in vertical)
        outward = 1 if rows[i] >= 0 else -1
        if (outward > 0 and up_used) or (outward < 0 and down_used):
            outward = -outward
        placed.extend((i, outward * (first + step * k), t, c) for k, (t, c) in enumerate(items))
    return placed


def _obstacles(feeder: Feeder, xy: np.ndarray, placed: list[_Badge], geo: _Geometry) -> np.ndarray:
    """Points the tie curves avoid: buses, points along branches, badges (drawing units)."""
    pts = [xy]
    for f, t in zip(feeder.from_idx, feeder.to_idx, strict=True):
        s = np.linspace(0.0, 1.0, 5)[:, None]
        pts.append((1 - s) * xy[f] + s * xy[t])
    for i, off, _, _ in placed:
        y = xy[i, 1] + geo.offset_units(off)
        pts.append(np.array([[xy[i, 0] + dx, y] for dx in (-0.5, 0.0, 0.5)]))
    return np.vstack(pts)


def _draw_ties(
    ax: plt.Axes,
    feeder: Feeder,
    xy: np.ndarray,
    sop: set[str],
    obstacles: np.ndarray,
    geo: _Geometry,
) -> None:
    """Tie lines as dashed curves around the obstacles, SOP sites highlighted, each labelled."""
    for tie in feeder.ties:
        a, b = feeder.index_of(tie.bus_a), feeder.index_of(tie.bus_b)
        c = _tie_control(xy[a], xy[b], obstacles, geo.y_scale)
        is_sop = tie.name in sop
        color = SOP_COLOR if is_sop else TIE_COLOR
        path = MplPath([xy[a], c, xy[b]], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3])
        ax.add_patch(
            PathPatch(
                path,
                fill=False,
                edgecolor=color,
                lw=2.2 if is_sop else 1.2,
                linestyle=(0, (4, 2.5)),
                zorder=0.5,
            )
        )
        mid = _label_point(_bezier(xy[a], c, xy[b]), obstacles, geo.y_scale)
        ax.text(
            *mid,
            tie.name,
            ha="center",
            va="center",
            fontsize=geo.font_pt,
            color=color,
            fontweight="bold" if is_sop else "normal",
            zorder=4,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.9},
        )


def _draw_buses(
    ax: plt.Axes, feeder: Feeder, xy: np.ndarray, placed: list[_Badge], geo: _Geometry
) -> None:
    """Bus circles with their numbers, the substation square and the DG / station badges."""
    size = geo.bus_pt**2  # scatter sizes are areas in pt^2
    ax.scatter(
        xy[1:, 0], xy[1:, 1], s=size, facecolor="white", edgecolor=LINE_COLOR, lw=1.0, zorder=3
    )
    ax.scatter(xy[0, 0], xy[0, 1], s=1.1 * size, marker="s", color=LINE_COLOR, zorder=3)
    for i, b in enumerate(feeder.bus):
        color = "white" if i == 0 else "black"
        ax.text(
            *xy[i], str(b), ha="center", va="center", fontsize=geo.font_pt, zorder=5, color=color
        )
    for i, off, text, color in placed:
        ax.annotate(
            text,
            xy[i],
            xytext=(0, off),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=geo.font_pt,
            zorder=6,
            bbox={"boxstyle": "round,pad=0.15", "fc": _tint(color), "ec": color, "lw": 0.9},
        )


def _feeder_legend(fig: Figure, geo: _Geometry, *, has_sop: bool) -> None:
    handles = [
        Line2D([], [], color=LINE_COLOR, marker="s", ms=7, lw=0, label="substation"),
        Line2D([], [], color=LINE_COLOR, lw=1.5, label="in-service branch"),
        Line2D([], [], color=TIE_COLOR, lw=1.2, ls=(0, (4, 2.5)), label="tie line (open)"),
        Patch(fc=_tint(PV_COLOR), ec=PV_COLOR, label="PV unit (kW)"),
        Patch(fc=_tint(WIND_COLOR), ec=WIND_COLOR, label="wind turbine, WT (kW)"),
        Patch(fc=_tint(EV_COLOR), ec=EV_COLOR, label="EV charging station"),
    ]
    if has_sop:
        handles.insert(
            2, Line2D([], [], color=SOP_COLOR, lw=2.2, ls=(0, (4, 2.5)), label="SOP site")
        )
    fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        fontsize=geo.font_pt,
        frameon=False,
        handlelength=2.2,
        columnspacing=1.2,
    )


#: Font sizes (pt) of the line plots, drawn :data:`COLUMN_IN` wide: ticks, legends and notes;
#: axis labels. Both show at 9 pt or more in the book.
_SMALL, _LABEL = 8.5, 9.5


def _fonts(*axes: plt.Axes) -> None:
    """Tick labels at :data:`_SMALL`, axis labels at :data:`_LABEL`."""
    for ax in axes:
        ax.tick_params(labelsize=_SMALL)
        ax.xaxis.label.set_size(_LABEL)
        ax.yaxis.label.set_size(_LABEL)


def plot_voltage_profile(
    feeder: Feeder,
    v_pu: np.ndarray,
    *,
    v_min_pu: float | None = None,
    v_max_pu: float | None = None,
    layout: FeederLayout | None = None,
    title: str | None = None,
) -> Figure:
    """Bus voltage magnitude against bus number, one line per feeder section.

    Args:
        feeder: the feeder.
        v_pu: voltage magnitude per bus (p.u.), shape (n_bus,).
        v_min_pu, v_max_pu: limits drawn as dashed lines when given (and within the range of
            the voltages, give or take 0.02 p.u.).
        layout: supplies the sections (default :func:`feeder_layout`).
        title: optional axes title.

    Returns:
        The figure, one line (with markers) per section of ``layout`` in its order, so that
        line ``k`` holds the buses of ``layout.sections[k]``.
    """
    v = np.asarray(v_pu, dtype=float)
    if v.shape != (feeder.n_bus,):
        raise ValueError(f"v_pu: expected shape ({feeder.n_bus},), got {v.shape}")
    layout = layout or feeder_layout(feeder)
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.6))
    for k, (sec, parent) in enumerate(zip(layout.sections, layout.attach, strict=True)):
        idx = list(sec)
        ends = f"{feeder.bus[idx[0]]}-{feeder.bus[idx[-1]]}"
        label = f"trunk {ends}" if parent < 0 else f"lateral {ends} (at bus {feeder.bus[parent]})"
        ax.plot(feeder.bus[idx], v[idx], "o-", ms=3.5, lw=1.5, color=PALETTE[k % 10], label=label)
    i_min = int(np.argmin(v))
    ax.annotate(
        f"lowest: {v[i_min]:.4f} p.u.\nat bus {feeder.bus[i_min]}",
        (feeder.bus[i_min], v[i_min]),
        xytext=(-28, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=_SMALL,
        arrowprops={"arrowstyle": "->", "lw": 0.8, "color": "0.2"},
    )
    lo = min(v.min(), v_min_pu if v_min_pu is not None else v.min())
    hi = max(v.max(), 1.0)
    for lim, name, va in ((v_min_pu, "$V_{min}$", "bottom"), (v_max_pu, "$V_{max}$", "top")):
        if lim is not None and lo - 0.02 <= lim <= hi + 0.02:
            ax.axhline(lim, color="0.3", ls="--", lw=1.0)
            ax.text(feeder.bus.min(), lim, f" {name} = {lim:g} p.u.", va=va, fontsize=_SMALL)
    ax.set_ylim(lo - 0.012, hi + 0.006)
    ax.set_xlim(feeder.bus.min() - 0.7, feeder.bus.max() + 0.7)
    every = max(1, int(np.ceil(feeder.n_bus / 17)))  # about 17 tick labels fit the width
    ax.set_xticks(feeder.bus[::every])
    ax.set_xlabel("bus")
    ax.set_ylabel("voltage (p.u.)")
    ax.legend(fontsize=_SMALL, loc="upper right")
    _fonts(ax)
    if title:
        ax.set_title(title, fontsize=_LABEL)
    return fig


def plot_daily_profiles(
    hours: np.ndarray,
    load_kw: np.ndarray,
    pv_kw: np.ndarray,
    wind_kw: np.ndarray,
    tariff_rmb_per_kwh: np.ndarray,
    tariff_period: Sequence[str],
) -> Figure:
    """The planning day: total load and available DG (kW), and the purchase tariff (RMB/kWh).

    Args:
        hours: 0..T-1 (hour h is the interval [h, h+1)).
        load_kw: total feeder load per hour (kW), shape (T,).
        pv_kw, wind_kw: total available PV and wind output per hour (kW), shape (T,).
        tariff_rmb_per_kwh: purchase price per hour, shape (T,).
        tariff_period: "peak" / "flat" / "valley" per hour.

    Returns:
        Two axes: the four power curves (load, PV, wind, PV + wind, as steps in that order)
        and the tariff (one step line over one shaded span per hour).
    """
    hours = np.asarray(hours)
    fig, (ax, ax2) = plt.subplots(
        2, 1, figsize=(COLUMN_IN, 4.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]}
    )
    pv, wind = np.asarray(pv_kw, dtype=float), np.asarray(wind_kw, dtype=float)
    step(ax, np.asarray(load_kw), color=LINE_COLOR, lw=2.0, label="total load")
    step(ax, pv, color=PV_COLOR, lw=2.0, label="PV available")
    step(ax, wind, color=WIND_COLOR, lw=2.0, label="wind available")
    step(ax, pv + wind, color=PALETTE[4], lw=1.4, ls="--", label="PV + wind")
    ax.set_ylabel("power (kW)")
    top = max(float(np.max(load_kw)), float(np.max(pv + wind)))
    ax.set_ylim(0, 1.25 * top)  # headroom for the legend
    ax.legend(fontsize=_SMALL, ncol=2, loc="upper left")
    for h, period in zip(hours, list(tariff_period), strict=True):
        ax2.axvspan(h, h + 1, color=PERIOD_COLORS.get(period, "0.9"), alpha=0.25, lw=0)
    step(ax2, np.asarray(tariff_rmb_per_kwh), color=LINE_COLOR, lw=1.8)
    ax2.set_ylabel("tariff\n(RMB/kWh)")
    ax2.set_ylim(0, float(np.max(tariff_rmb_per_kwh)) * 1.45)
    ax2.legend(
        handles=[Patch(color=PERIOD_COLORS[p], alpha=0.35, label=p) for p in PERIOD_COLORS],
        fontsize=_SMALL,
        ncol=3,
        loc="upper left",
    )
    ax2.set_xlabel("hour of day")
    ax2.set_xlim(hours[0], hours[-1] + 1)
    ax2.set_xticks(np.arange(hours[0], hours[-1] + 2, 3))
    _fonts(ax, ax2)
    return fig


def plot_daily_power_flow(
    hours: np.ndarray,
    v_min_pu: np.ndarray,
    v_max_pu: np.ndarray,
    p_substation_kw: np.ndarray,
    loss_kw: np.ndarray,
    *,
    v_limits: tuple[float, float] | None = None,
    p_substation_min_kw: float | None = None,
) -> Figure:
    """Hourly AC power-flow results of a day: voltage extremes, substation import, losses.

    Args:
        hours: 0..T-1.
        v_min_pu, v_max_pu: lowest and highest bus voltage per hour (p.u.), shape (T,).
        p_substation_kw: active power drawn from the upstream grid per hour (kW; negative =
            export), shape (T,).
        loss_kw: total network loss per hour (kW), shape (T,).
        v_limits: (V_min, V_max) drawn as dashed lines.
        p_substation_min_kw: lower limit of the substation import, drawn as a dashed line.

    Returns:
        Three axes sharing the hour axis: voltages (highest, lowest), import, losses.
    """
    hours = np.asarray(hours)
    fig, axes = plt.subplots(3, 1, figsize=(COLUMN_IN, 6.0), sharex=True)
    ax_v, ax_p, ax_l = axes
    step(ax_v, np.asarray(v_max_pu), color=PALETTE[0], lw=2.0, label="highest bus")
    step(ax_v, np.asarray(v_min_pu), color=PALETTE[3], lw=2.0, label="lowest bus")
    lo, hi = float(np.min(v_min_pu)), float(np.max(v_max_pu))
    if v_limits is not None:
        for lim, name in zip(v_limits, ("$V_{min}$", "$V_{max}$"), strict=True):
            ax_v.axhline(lim, color="0.3", ls="--", lw=1.0)
            ax_v.text(hours[0] + 0.3, lim, f"{name} = {lim:g}", va="bottom", fontsize=_SMALL)
            lo, hi = min(lo, lim), max(hi, lim)
    ax_v.set_ylim(lo - 0.012, hi + 0.02)  # room for the limits' labels above their lines
    ax_v.set_ylabel("voltage (p.u.)")
    ax_v.legend(fontsize=_SMALL, loc="lower right", bbox_to_anchor=(1.0, 0.12), ncol=2)
    step(ax_p, np.asarray(p_substation_kw), color=LINE_COLOR, lw=2.0)
    if p_substation_min_kw is not None:
        ax_p.axhline(p_substation_min_kw, color="0.3", ls="--", lw=1.0)
        ax_p.text(hours[0] + 0.3, p_substation_min_kw, "lower limit", va="bottom", fontsize=_SMALL)
    ax_p.set_ylabel("import (kW)")
    ax_p.set_ylim(bottom=min(0.0, float(np.min(p_substation_kw)) * 1.1))
    step(ax_l, np.asarray(loss_kw), color=PALETTE[4], lw=2.0)
    ax_l.set_ylabel("losses (kW)")
    ax_l.set_ylim(bottom=0)
    ax_l.set_xlabel("hour of day")
    ax_l.set_xlim(hours[0], hours[-1] + 1)
    ax_l.set_xticks(np.arange(hours[0], hours[-1] + 2, 3))
    _fonts(*axes)
    return fig
