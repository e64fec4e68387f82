"""The house rules hold: services stay small, and pages reach stores only through services."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = re.compile(
    r"^\s*(?:import|from)\s+(sqlalchemy|psycopg|redis|neo4j|label_studio_sdk|rq|superinsight\.db|"
    r"superinsight\.adapters)\b"
    r"|^\s*from\s+(superinsight)\s+import\s+[^\n]*\b(?:db|adapters)\b",
    re.M,
)


def _breaches(source: str) -> list[str]:
    return ["".join(groups) for groups in FORBIDDEN.findall(source)]


def _ui_files() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]


def test_no_service_module_is_over_300_lines() -> None:
    modules = sorted((ROOT / "superinsight" / "services").rglob("*.py"))
    assert len(modules) > 30
    too_long = {str(m.relative_to(ROOT)): n for m in modules if (n := len(m.read_text().splitlines())) > 300}
    assert too_long == {}


def test_no_page_or_widget_imports_a_store_an_adapter_or_the_orm() -> None:
    files = _ui_files()
    assert len(files) > 10
    breaches = {str(f.relative_to(ROOT)): _breaches(f.read_text()) for f in files}
    assert {name: found for name, found in breaches.items() if found} == {}


def test_the_check_finds_a_breach_when_there_is_one() -> None:
    source = "from superinsight.db.models import Document\nimport sqlalchemy\nfrom superinsight import db\n"
    assert _breaches(source) == ["superinsight.db", "sqlalchemy", "superinsight"]
    assert (
        _breaches("from superinsight import vocabulary\nfrom superinsight.services import documents\n") == []
    )
