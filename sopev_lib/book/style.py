"""The one style of the book's figures: palette, plan colours, hourly step plots and axes.

:func:`book_style` applies the shared matplotlib style: readable on light and dark page themes
(opaque white figure background, dark text), colour-blind-safe palette, text no smaller than
9 pt at the figure's display width. Every figure module of :mod:`sopev_lib.book.figures` draws
hours, plans and ties with the helpers below, so a plan has the same colour in every chapter.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

__all__ = [
    "COLUMN_IN",
    "LABEL_PT",
    "MIN_FONT_PT",
    "PALETTE",
    "PEAK_SHADE",
    "PLAN_COLORS",
    "SMALL_PT",
    "TIE_COLORS",
    "band",
    "book_style",
    "displayed_pt",
    "hour_axis",
    "illegible_texts",
    "plan_color",
    "set_fonts",
    "shade_hours",
    "step",
]

PALETTE = sns.color_palette("colorblind")

#: Plan 1 grey, 2 blue, 3 green, 4 red, in every chapter.
PLAN_COLORS = {1: PALETTE[7], 2: PALETTE[0], 3: PALETTE[2], 4: PALETTE[3]}
#: One colour per tie line, in the order the caller gives the ties.
TIE_COLORS = (PALETTE[3], PALETTE[0], PALETTE[2], PALETTE[4], PALETTE[1], PALETTE[5])
#: Background of the peak-tariff hours.
PEAK_SHADE = "0.90"

#: Figures are saved at this resolution (dots per inch).
DPI = 110
#: Width (CSS px) of the book's text column at a 1280 px wide window; a wider image is shrunk.
DISPLAY_PX = 688
#: A figure this wide (inches) or narrower is shown at its own size in the text column.
COLUMN_IN = DISPLAY_PX / DPI
#: Smallest text a reader should meet in a figure, after the page has scaled it (points).
MIN_FONT_PT = 9.0


def book_style() -> None:
    """Apply the book's matplotlib style (call once at the top of a notebook)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "figure.figsize": (COLUMN_IN, 0.62 * COLUMN_IN),
            "axes.titleweight": "bold",
            "figure.constrained_layout.use": True,
        }
    )


def plan_color(plan: int | str, k: int = 0) -> tuple[float, float, float]:
    """The colour of a plan given by number (``4``) or name (``"Plan 4"``, ``"Plan 4 (K=12)"``);
    any other name takes the ``k``-th colour of the palette."""
    digits = "".join(ch for ch in str(plan) if ch.isdigit())
    number = int(digits[:1]) if digits else -1
    return PLAN_COLORS.get(number, PALETTE[k % len(PALETTE)])


def step(ax: plt.Axes, y: Sequence[float], start: int = 0, **kw: object) -> None:
    """Hourly values as steps: hour ``t`` is the interval [t, t+1), the last value held to the
    end of its hour."""
    y = np.asarray(y, dtype=float)
    x = start + np.arange(y.size + 1)
    ax.step(x, np.r_[y, y[-1]], where="post", **kw)


def band(
    ax: plt.Axes, lo: Sequence[float], hi: Sequence[float], start: int = 0, **kw: object
) -> None:
    """A shaded band between two hourly series, drawn as steps like :func:`step`."""
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    x = start + np.arange(lo.size + 1)
    ax.fill_between(x, np.r_[lo, lo[-1]], np.r_[hi, hi[-1]], step="post", linewidth=0, **kw)


def hour_axis(ax: plt.Axes, n_hours: int = 24, start: int = 0, label: bool = True) -> None:
    """An x axis of clock hours over ``[start, start + n_hours]`` (ticks every 6 h, or 2 h for
    spans up to 12 h)."""
    ax.set_xlim(start, start + n_hours)
    ticks = np.arange(start, start + n_hours + 1, 6 if n_hours > 12 else 2)
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t % 24:02d}" for t in ticks])
    if label:
        ax.set_xlabel("hour of day")


def shade_hours(ax: plt.Axes, hours: Sequence[int], **kw: object) -> None:
    """Grey background over the given hour slots (e.g. the peak-tariff hours)."""
    for h in hours:
        ax.axvspan(h, h + 1, color=PEAK_SHADE, zorder=0, linewidth=0, **kw)


def displayed_pt(font_pt: float, fig_width_in: float) -> float:
    """Size (points on the reader's screen) of ``font_pt`` text in a figure ``fig_width_in``
    wide, once the page has fitted the image into its text column (96 CSS px per inch)."""
    shrink = min(1.0, DISPLAY_PX / (DPI * fig_width_in))
    return font_pt * DPI / 96.0 * shrink


def illegible_texts(fig: mpl.figure.Figure, min_pt: float = MIN_FONT_PT) -> list[str]:
    """Texts of ``fig`` (titles, labels, ticks, legends, annotations) that a reader would see
    smaller than ``min_pt`` points in the book's text column: ``["'bus 7': 6.2 pt", ...]``."""
    fig.canvas.draw()  # tick labels exist only once drawn
    width = fig.get_figwidth()
    small = []
    for text in fig.findobj(mpl.text.Text):
        label = text.get_text().strip()
        if not label or not text.get_visible():
            continue
        pt = displayed_pt(text.get_fontsize(), width)
        if pt < min_pt - 1e-6:
            small.append(f"{label[:40]!r}: {pt:.1f} pt")
    return small


#: Font sizes (pt) of a figure drawn :data:`COLUMN_IN` wide: ticks, legends and notes; axis
#: labels and titles. Both show at 9 pt or more in the book (:func:`displayed_pt`).
SMALL_PT, LABEL_PT = 8.5, 9.5


def set_fonts(*axes: plt.Axes, titles: bool = False) -> None:
    """Tick labels at :data:`SMALL_PT`, axis labels (and, with ``titles``, titles) at
    :data:`LABEL_PT`."""
    for ax in axes:
        ax.tick_params(labelsize=SMALL_PT)
        ax.xaxis.label.set_size(LABEL_PT)
        ax.yaxis.label.set_size(LABEL_PT)
        if titles:
            ax.title.set_size(LABEL_PT)
