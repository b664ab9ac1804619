"""Figures used by the chapter notebooks, one submodule per chapter topic.

Every function takes computed results (never solves anything) and returns a matplotlib Figure.
:func:`book_style` applies the shared style: readable on light and dark page themes (opaque
white figure background, dark text), colour-blind-safe palette, units on every axis.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns

__all__ = ["PALETTE", "book_style", "glue_figure"]

PALETTE = sns.color_palette("colorblind")


def book_style() -> None:
    """Apply the book's matplotlib style (call once at the top of a notebook)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "axes.titleweight": "bold",
            "figure.constrained_layout.use": True,
        }
    )


def glue_figure(name: str, fig: mpl.figure.Figure) -> None:
    """Glue a figure for a ``{glue:figure}`` directive and close it, so that it is not shown a
    second time under the cell that made it (myst-nb)."""
    from myst_nb import glue

    glue(name, fig, display=False)
    plt.close(fig)
