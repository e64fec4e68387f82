"""Uploading files as documents, and exporting search results, on both stores."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import func, select

from superinsight.db.models import AuditLog, Document
from superinsight.masking import MaskingRule
from superinsight.resources import Resources
from superinsight.services.context import role_actor, system_actor
from superinsight.services.documents import export, search, uploads
from superinsight.services.documents import masking as masking_rules
from superinsight.services.documents.search import SearchQuery
from superinsight.services.errors import InvalidInputError, PermissionDeniedError

ANALYST = role_actor("acme", "analyst")
CSV = (
    b"id,title,body,region\n"
    b"1,First,Alpha text,EMEA\n"
    b",No id,Beta,NA\n"
    b"1,Duplicate,Gamma,NA\n"
    b'3,"=cmd|calc",Delta,APAC\n'
    b"4,Too,many,values,here\n"
)


def _count(resources: Resources, model: type) -> int:
    with resources.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


class TestParsing:
    def test_csv_rows_become_documents_and_bad_rows_are_reported(self) -> None:
        parsed = uploads.parse("crm.csv", CSV, id_column="id", title_column="title", content_column="body")
        assert [d.external_id for d in parsed.documents] == ["1", "3"]
        assert parsed.documents[0].metadata == {"region": "EMEA"}
        assert [(r.line, r.reason) for r in parsed.rejected] == [
            (3, "external id must be 1 to 255 characters"),
            (4, "id '1' appears earlier in the file"),
            (6, "has 5 fields, the header has 4"),
        ]

    def test_the_columns_offered_are_read_as_the_import_reads_them(self) -> None:
        data = b'id,"title, short",body\n1,"a, b",c\n'
        assert uploads.csv_columns("x.csv", data) == ["id", "title, short", "body"]
        parsed = uploads.parse(
            "x.csv", data, id_column="id", title_column="title, short", content_column="body"
        )
        assert [doc.title for doc in parsed.documents] == ["a, b"]

    @pytest.mark.parametrize("name", ["empty.txt", "blank.md"])
    def test_an_empty_text_file_is_refused_not_imported_as_a_blank_document(self, name: str) -> None:
        with pytest.raises(InvalidInputError, match=rf"{re.escape(name)} is empty"):
            uploads.parse(name, b" \n\t\n")

    @pytest.mark.parametrize("data", [b"", b"\n1,2\n", b" , \n"])
    def test_a_file_without_a_header_row_is_refused_by_name(self, data: bytes) -> None:
        with pytest.raises(InvalidInputError, match=r"empty\.csv has no header row naming its columns"):
            uploads.csv_columns("empty.csv", data)

    def test_a_tags_column_becomes_tags_and_a_row_without_a_title_is_listed(self) -> None:
        data = b"id,title,body,tags,region\n1,First,a,vip; urgent,EU\n2,,b,,US\n3,Third,c,,US\n"
        parsed = uploads.parse("t.csv", data, id_column="id", title_column="title", content_column="body")
        assert [(d.external_id, d.tags, d.metadata) for d in parsed.documents] == [
            ("1", ["vip", "urgent"], {"region": "EU"}),
            ("3", [], {"region": "US"}),
        ]
        assert [(r.line, r.reason) for r in parsed.rejected] == [(3, "the title is empty")]

    def test_jsonl_lines_become_documents(self) -> None:
        data = (
            b'{"id": 7, "title": "T", "content": "C", "metadata": {"a": 1}, "tags": ["x"]}\nnot json\n[1]\n'
        )
        parsed = uploads.parse("feed.jsonl", data)
        assert [(d.external_id, d.tags) for d in parsed.documents] == [("7", ["x"])]
        assert [r.line for r in parsed.rejected] == [2, 3]

    def test_a_markdown_file_is_one_document_titled_by_its_heading(self) -> None:
        parsed = uploads.parse("notes/q3.md", b"# Q3 review\n\nRevenue grew.")
        (doc,) = parsed.documents
        assert (doc.external_id, doc.title) == ("q3.md", "Q3 review")

    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("x.csv", "é".encode("latin-1"), "not UTF-8"),
            ("x.csv", b"a,b\n1,2\n", "has no column 'id'"),
            ("x.exe", b"MZ", "upload .csv, .jsonl, .txt or .md"),
            ("x.jsonl", b"{oops\n[1]\n", "no line that is a document"),
            ("x.txt", b"x" * (uploads.MAX_BYTES + 1), "x.txt is 20.1 MB; the limit is 20 MB"),
            ("x.txt", b"x" * (uploads.MAX_BYTES * 3 + 123), "x.txt is 60.1 MB; the limit is 20 MB"),
        ],
    )
    def test_unreadable_files_are_refused_whole(self, name: str, data: bytes, message: str) -> None:
        with pytest.raises(InvalidInputError, match=message):
            uploads.parse(name, data, id_column="id", title_column="title", content_column="body")


class TestImport:
    def test_importing_stores_the_accepted_rows_in_the_uploads_source(self, resources: Resources) -> None:
        parsed = uploads.parse("crm.csv", CSV, id_column="id", title_column="title", content_column="body")
        counts = uploads.import_documents(resources, ANALYST, parsed)
        assert counts.inserted == 2
        found = search.search(resources, ANALYST, SearchQuery())
        assert {hit.source for hit in found.hits} == {"Uploads"}

    def test_viewers_cannot_import_and_nothing_is_written(self, resources: Resources) -> None:
        parsed = uploads.parse("a.md", b"# A\ntext")
        with pytest.raises(PermissionDeniedError):
            uploads.import_documents(resources, role_actor("acme", "viewer"), parsed)
        assert (_count(resources, Document), _count(resources, AuditLog)) == (0, 0)


class TestExport:
    def test_csv_and_jsonl_hold_every_result_masked_and_formula_safe(self, resources: Resources) -> None:
        parsed = uploads.parse("crm.csv", CSV, id_column="id", title_column="title", content_column="body")
        uploads.import_documents(resources, ANALYST, parsed)
        masking_rules.add_masking_rule(
            resources, system_actor("acme"), "t", MaskingRule("title", None, "redact")
        )
        rows = list(
            csv.DictReader(io.StringIO("".join(export.export(resources, ANALYST, SearchQuery(), "csv"))))
        )
        assert {row["title"] for row in rows} == {"First", "'=cmd|calc"}
        viewer = role_actor("acme", "viewer")
        lines = [json.loads(line) for line in export.export(resources, viewer, SearchQuery(), "jsonl")]
        assert [line["title"] for line in lines] == ["[redacted]", "[redacted]"]

    def test_an_export_streams_past_one_page(
        self, resources: Resources, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(export, "EXPORT_PAGE", 2)
        parsed = uploads.parse(
            "many.jsonl", "".join(f'{{"id": {i}, "title": "t{i}"}}\n' for i in range(7)).encode()
        )
        uploads.import_documents(resources, ANALYST, parsed)
        lines = list(export.export(resources, ANALYST, SearchQuery(), "jsonl"))
        assert len(lines) == 7 and len({json.loads(line)["id"] for line in lines}) == 7
