"""Sphinx extension of the sopev site: fixes found by the browser test (scripts/check_site.py).

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.

* Sphinx 7.4 adds an inline script registered with ``app.add_js_file(None, body=...)`` after
  the builder started twice (once with the file name ``None``, again as ``''`` in
  ``prepare_writing``). sphinx-thebe's ``const THEBE_JS_URL = ...`` then throws "Identifier
  'THEBE_JS_URL' has already been declared" on every page. We drop exact duplicates from each
  page's script list.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _script_key(script: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Identity of a script entry: its file name and attributes (the body among them)."""
    filename = str(getattr(script, "filename", script) or "")
    attributes = getattr(script, "attributes", {}) or {}
    return filename, tuple(sorted((str(k), str(v)) for k, v in attributes.items()))


def dedupe_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Remove repeated entries of ``script_files`` in a page's template context."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the handlers."""
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
