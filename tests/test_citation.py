"""CITATION.cff and LICENSE: the companion can be cited, with the paper as its reference."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
#: The keys CFF 1.2.0 requires at the top level, and of a reference.
REQUIRED = ("cff-version", "message", "title", "authors")
REFERENCE_REQUIRED = ("type", "title", "authors")


def test_citation_file_has_the_required_fields() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for key in REQUIRED:
        assert cff.get(key), f"CITATION.cff: missing {key}"
    assert cff["cff-version"] == "1.2.0"
    assert all(a.get("name") or a.get("family-names") for a in cff["authors"])
    assert cff["license"] == "MIT"
    (paper,) = [r for r in cff["references"] if r.get("doi") == "10.3390/en18030694"]
    for key in REFERENCE_REQUIRED:
        assert paper.get(key), f"CITATION.cff: the paper's reference has no {key}"
    assert [a["family-names"] for a in paper["authors"]] == ["Fang", "Li", "Chen"]
    assert paper["journal"] == "Energies" and paper["year"] == 2025


def test_licence_matches_the_package() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License")
    assert "CC BY 4.0" in licence  # the book's text and figures
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = { text = "MIT" }' in pyproject
