"""Short texts built from results, for error messages and the book's glued phrases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["hhmm", "listing", "ranges"]


def ranges(values: Sequence[int]) -> str:
    """``[3, 4, 5, 9, 11, 12]`` -> ``"3-5, 9, 11-12"`` (``"none"`` when empty)."""
    out: list[str] = []
    for v in sorted({int(x) for x in values}):
        if out and v == int(out[-1].split("-")[-1]) + 1:
            out[-1] = f"{out[-1].split('-')[0]}-{v}"
        else:
            out.append(str(v))
    return ", ".join(out) if out else "none"


def listing(items: Iterable[object]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"`` (``"none"`` when empty)."""
    words = [str(x) for x in items]
    if not words:
        return "none"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def hhmm(slot: int) -> str:
    """Hour slot ``t`` of the cyclic day as a clock time, ``"07:00"``."""
    return f"{int(slot) % 24:02d}:00"
