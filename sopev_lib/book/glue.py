"""Glue computed results into a chapter's prose, and show them where the notebook runs.

Every chapter uses the same four calls (myst-nb ``glue`` under the hood):

- :func:`glue_number` a number for ``{glue:text}`name:.2f```;
- :func:`glue_phrase` a short text (a verdict, a list of buses) for ``{glue:md}`name```;
- :func:`glue_table` a DataFrame for a captioned ``{table}`` holding ``{glue:md}`` (as a pipe
  table), and displayed as an ordinary output so JupyterLab shows it;
- :func:`glue_figure` a Figure for ``{glue:figure}``, also displayed as an ordinary output;
- :func:`show_glued` the numbers and phrases glued so far, as a table (the last line of a glue
  cell), so that JupyterLab shows them.

Cells that glue tables and figures carry the tags ``hide-input`` and ``remove-output``: in the
book the result appears once, where the prose places it, and a reader can still open the cell;
in JupyterLab (or a papermill output) the displayed table or figure is right under the cell.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sopev_lib.book.tables import markdown_table

__all__ = ["glue_figure", "glue_number", "glue_phrase", "glue_table", "plain", "show_glued"]

#: Numbers and phrases glued since the last :func:`show_glued` (name -> value).
_PENDING: dict[str, Any] = {}


def plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (other values unchanged)."""
    return value.item() if isinstance(value, np.generic) else value


def glue_number(name: str, value: float | int) -> float | int:
    """Glue a number for ``{glue:text}`` (not displayed); returns it.

    Raises:
        ValueError: ``value`` is not a finite number (a NaN in prose is a bug upstream).
    """
    from myst_nb import glue

    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"glue_number({name!r}): expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"glue_number({name!r}): {value} is not a finite number")
    glue(name, value, display=False)
    _PENDING[name] = value
    return value


def glue_phrase(name: str, text: str) -> str:
    """Glue a short Markdown phrase for the inline ``{glue:md}`` role (normal weight); returns
    it. Use it for words that depend on a result ("reproduces", "buses 9-18"), never for whole
    paragraphs: those live in the chapter's markdown cells."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(str(text)), display=False)
    _PENDING[name] = text
    return text


def show_glued() -> pd.DataFrame:
    """The numbers and phrases glued since the last call, as a table (name, value).

    End a glue cell with it: in JupyterLab or a papermill output, where the ``{glue:text}``
    roles of the prose are not filled in, the reader sees the values under the cell that
    computed them; in the book the cell's output is removed (tag ``remove-output``).
    """
    frame = pd.DataFrame({"name": list(_PENDING), "value": [str(v) for v in _PENDING.values()]})
    _PENDING.clear()
    return frame


def glue_table(
    name: str, frame: pd.DataFrame, *, code_columns: Sequence[str] = (), show: bool = True
) -> pd.DataFrame:
    """Glue ``frame`` as a pipe table for ``{glue:md}`` (``:format: gfm``) and display it.

    The book shows the glued table inside the chapter's ``{table}`` directive (caption and
    number); the displayed copy is what JupyterLab shows (the glue cell's output is removed from
    the book by its ``remove-output`` tag). Returns ``frame``.
    """
    from IPython.display import Markdown, display
    from myst_nb import glue

    glue(name, Markdown(markdown_table(frame, code_columns=code_columns)), display=False)
    if show:
        display(frame.style.hide(axis="index"))
    return frame


def glue_figure(name: str, fig: Any, *, show: bool = True, strict: bool = True) -> None:
    """Glue a matplotlib Figure for ``{glue:figure}``, display it once, and close it.

    ``strict=False`` skips the legibility check (only for figures not yet redrawn at their
    display size).

    Raises:
        ValueError: some text of the figure would show smaller than
            :data:`~sopev_lib.book.style.MIN_FONT_PT` in the book's text column (draw the figure
            at its display size, :data:`~sopev_lib.book.style.COLUMN_IN` wide, with larger
            fonts, or split its panels).
    """
    import matplotlib.pyplot as plt
    from IPython.display import display
    from myst_nb import glue

    from sopev_lib.book.style import illegible_texts

    small = illegible_texts(fig) if strict else []
    if small:
        plt.close(fig)
        raise ValueError(
            f"figure {name!r}: {len(small)} texts too small to read in the book, e.g. "
            + "; ".join(small[:5])
        )
    glue(name, fig, display=False)
    if show:
        display(fig)
    plt.close(fig)
