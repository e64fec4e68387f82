"""Every page opens with the shared header: where you are, and a line on what you can do there."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _calls_header(page: Path) -> bool:
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "header"
        for node in ast.walk(ast.parse(page.read_text()))
    )


def test_every_page_draws_the_shared_header() -> None:
    pages = sorted((ROOT / "pages").glob("*.py"))
    assert len(pages) >= 10
    assert [page.name for page in pages if not _calls_header(page)] == []


def test_the_check_finds_a_page_without_one(tmp_path: Path) -> None:
    page = tmp_path / "bare.py"
    page.write_text('import streamlit as st\nst.title("Bare")\n')
    assert not _calls_header(page)
