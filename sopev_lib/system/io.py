"""Writing results: strict JSON, folders replaced atomically, keyed tables that cannot collapse.

- :func:`strict_json` writes JSON that any reader accepts: numpy values and paths as plain
  values, a NaN or infinite number as ``null`` (never the ``NaN`` token of Python's encoder,
  which ``JSON.parse`` and ``jq`` reject).
- :class:`StagedFolder` builds a results folder beside its target under a unique hidden name and
  swaps it in only when complete (:meth:`StagedFolder.commit`): a reader sees the previous result
  or the new one, never half of each; a failed or interrupted run leaves the previous result as
  it was; two concurrent runs leave one complete result.
- :func:`unique_dict` builds a dict from keyed pairs and refuses a repeated key (a repeated SOP
  site or station bus would otherwise keep only its last value).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "OutputFolderError",
    "StagedFolder",
    "json_default",
    "strict_json",
    "unique_dict",
]

K = TypeVar("K")
V = TypeVar("V")


def json_default(obj: Any) -> Any:
    """``json.dumps(..., default=json_default)``: numpy scalars and arrays, paths."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def _finite_or_none(obj: Any) -> Any:
    """``obj`` with numpy values as Python values and every non-finite float as ``None``,
    recursively through mappings, lists and tuples."""
    if isinstance(obj, np.ndarray):
        obj = obj.tolist()
    elif isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite_or_none(v) for v in obj]
    return obj


def strict_json(obj: Any, *, indent: int | None = 2) -> str:
    """Standard JSON text of ``obj``: NaN and infinities become ``null``, numpy values and
    paths plain values (:func:`json_default`); anything else that JSON cannot hold raises
    ``TypeError``."""
    return json.dumps(_finite_or_none(obj), indent=indent, default=json_default, allow_nan=False)


def unique_dict(pairs: Iterable[tuple[K, V]], what: str) -> dict[K, V]:
    """``dict(pairs)``, but a repeated key raises ``ValueError`` naming it and ``what`` (e.g.
    ``"SOP site"``) instead of keeping only the last value."""
    out: dict[K, V] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"{what} {key!r} appears more than once; each needs its own entry")
        out[key] = value
    return out


class OutputFolderError(OSError):
    """The output folder cannot be written (missing permission, a file in the way, ...)."""


@contextlib.contextmanager
def _lock(parent: Path) -> Iterator[None]:
    """An exclusive lock on the folder ``parent`` while folders in it are swapped (POSIX
    ``flock`` on the folder itself, so no lock file is left behind; a no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _why(folder: Path, exc: OSError) -> str:
    """Why ``folder`` could not be made or written: a file in the way, or the OS's reason."""
    for p in (folder, *folder.parents):
        if p.exists():
            return f"{p} is a file, not a folder" if not p.is_dir() else str(exc.strerror or exc)
    return str(exc.strerror or exc)


def _umask() -> int:
    """The process's file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class StagedFolder:
    """A folder written beside ``target`` and swapped in whole (see the module docstring).

    Creating it checks at once that the target's parent can be written (so a long computation
    does not end in a permission error): the parent is created if missing and a hidden staging
    folder ``.NAME.tmp-XXXX`` is made in it. ``allow_replace(path)`` says whether an existing
    target may be replaced (default: only an empty folder); otherwise :class:`ValueError`.

    Raises:
        ValueError: an empty or current-directory target, or an existing target that
            ``allow_replace`` refuses.
        OutputFolderError: the parent cannot be created or written.
    """

    def __init__(
        self, target: str | Path, allow_replace: Callable[[Path], bool] | None = None
    ) -> None:
        if not str(target).strip():
            raise ValueError("output folder '' is empty; name a folder, e.g. --out results")
        self.target = Path(os.path.abspath(Path(target).expanduser()))
        if self.target == Path.cwd() or self.target in Path.cwd().parents:
            raise ValueError(
                f"output folder {target!r} is the current directory or one above it; it would "
                "be replaced as a whole: name a folder of its own, e.g. --out results"
            )
        if self.target.exists():
            ok = allow_replace or (lambda p: p.is_dir() and not any(p.iterdir()))
            if not ok(self.target):
                raise ValueError(
                    f"output folder {self.target} exists and does not hold an earlier result of "
                    "this program; it is replaced as a whole, so choose a new or empty folder"
                )
        parent = self.target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=parent))
        except OSError as exc:
            raise OutputFolderError(
                f"cannot write the output folder {self.target}: {_why(parent, exc)}"
            ) from None
        self.committed = False

    def commit(self) -> Path:
        """Swap the staged folder in for the target (the previous target is removed)."""
        parent, name = self.target.parent, self.target.name
        try:
            self.path.chmod(0o777 & ~_umask())  # mkdtemp's folder is private (0700)
            with _lock(parent):
                old = None
                if self.target.exists():
                    old = Path(tempfile.mkdtemp(prefix=f".{name}.old-", dir=parent))
                    os.replace(self.target, old / name)
                os.replace(self.path, self.target)
        except OSError as exc:
            raise OutputFolderError(
                f"cannot replace the output folder {self.target}: {exc.strerror or exc}"
            ) from None
        self.committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.target

    def discard(self) -> None:
        """Remove the staged folder (the target is left as it was)."""
        if not self.committed:
            shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> StagedFolder:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None or not self.committed:
            self.discard()
