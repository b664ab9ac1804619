"""Tables for the book's text column: pipe tables, transposed tables, numbers without noise."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["clean", "fmt", "markdown_table", "transposed", "typeset"]


def markdown_table(frame: pd.DataFrame, *, code_columns: Sequence[str] = ()) -> str:
    """A pipe table (GitHub-flavoured Markdown) of ``frame`` for ``glue`` and ``{glue:md}``.

    Wrapped in a MyST ``{table}`` directive it becomes a numbered, captioned table of the book.
    Cells are written with ``str``; ``|`` is escaped and newlines become spaces; the columns in
    ``code_columns`` are set as inline code. The index is not written.
    """

    def cell(value: object, code: bool) -> str:
        text = str(value).replace("\n", " ").replace("|", "\\|")
        return f"`{text}`" if code and text else text

    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(cell(v, c in code_columns) for c, v in row.items()) + " |"
        for _, row in frame.iterrows()
    ]
    return "\n".join([header, rule, *body])


def transposed(frame: pd.DataFrame, key: str, label: str = "") -> pd.DataFrame:
    """One column per value of ``key`` (e.g. one per plan): a table with few rows and many
    columns becomes one that fits the text column."""
    out = frame.set_index(key).T
    out.insert(0, label, out.index)
    return out.reset_index(drop=True)


def clean(values: np.ndarray | float, scale: float = 1.0, rel: float = 1e-9) -> np.ndarray:
    """Values whose magnitude is below ``rel * scale`` set to exactly zero (solver round-off,
    e.g. ``-1.1e-05`` kW of curtailment on a 3,715 kW feeder), so that noise is never shown as
    data."""
    arr = np.asarray(values, dtype=float)
    return np.where(np.abs(arr) < rel * max(abs(scale), 1.0), 0.0, arr)


def fmt(value: float | None, digits: int = 1, *, scale: float = 1.0, rel: float = 1e-6) -> str:
    """``value`` with ``digits`` decimals and a thousands separator; noise (below
    ``rel * scale``) and a rounded negative zero are shown as 0; NaN or None as an en dash."""
    if value is None or not np.isfinite(value):
        return "–"
    number = round(float(clean(value, scale=scale, rel=rel)), digits)
    return f"{number + 0.0:,.{digits}f}"  # + 0.0 turns -0.0 into 0.0


#: A symbol with a one-letter base and a subscript (and maybe a superscript): C_NLC, W_SOP^LOSS.
_SYMBOL = re.compile(r"(?<![\w.$`])([A-Za-z])_([A-Za-z]+)(?:\^([A-Za-z0-9]+))?(?![\w`])")
#: A power of a word: h^2, sigma^2, 10^4.
_POWER = re.compile(r"(?<![\w$`])([A-Za-z]+|10)\^(\d+)(?![\w`])")
#: A code identifier: snake_case names and dotted paths (loss_price, numpy.random.default_rng).
_IDENT = re.compile(r"(?<![\w$`])([A-Za-z][\w.]*_[\w.]*\w)(?![\w`])")
_GREEK = {"sigma": r"\sigma", "mu": r"\mu", "eta": r"\eta", "lambda": r"\lambda"}
#: A Greek letter written as a word on its own: "eta of Eq. (13)".
_WORD_GREEK = re.compile(r"(?<![\w$`\\])(eta|lambda)(?![\w`^])")


def typeset(text: str) -> str:
    """Symbols of a source text as MyST math and identifiers as code, for a displayed table:
    ``"C_NLC"`` -> ``"$C_{NLC}$"``, ``"sigma^2"`` -> ``"$\\sigma^2$"``, ``"v_min_pu"`` ->
    ``"`v_min_pu`"``, ``"eta"`` -> ``"$\\eta$"``. Quoted identifiers lose their quotes
    (``'cigre_mv'`` -> ``cigre_mv``)."""

    def symbol(m: re.Match[str]) -> str:
        sup = f"^{{{m.group(3)}}}" if m.group(3) else ""
        return f"${m.group(1)}_{{{m.group(2)}}}{sup}$"

    def power(m: re.Match[str]) -> str:
        return f"${_GREEK.get(m.group(1), m.group(1))}^{{{m.group(2)}}}$"

    text = re.sub(r"'([A-Za-z][\w.]*_[\w.]*)'", r"\1", text)
    text = _WORD_GREEK.sub(lambda m: f"${_GREEK[m.group(1)]}$", text)
    text = _SYMBOL.sub(symbol, text)
    text = _POWER.sub(power, text)
    return _IDENT.sub(lambda m: f"`{m.group(1)}`", text)
