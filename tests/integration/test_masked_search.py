"""A search cannot find a document by what masking hides from the searcher.

Someone bound by a *pattern* rule (card numbers) may search any word, but a word
found only inside a hidden span counts nothing: not in hits, facet counts, exports
or a labeling selection, on PostgreSQL and SQLite alike. Whole masked values were
already refused; these probes are the fragments.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import combinations

import pytest
from sqlalchemy import text

from superinsight import masking
from superinsight.db.engine import build_engine
from superinsight.documents.record import DocumentInput
from superinsight.masking import MaskingRule
from superinsight.resources import Resources
from superinsight.services.context import Actor, role_actor, system_actor
from superinsight.services.documents import export, search
from superinsight.services.documents import masking as masking_rules
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.facets import facets
from superinsight.services.documents.masking import masker
from superinsight.services.documents.search import SearchQuery
from superinsight.services.documents.sources import ensure_source
from superinsight.services.errors import PermissionDeniedError
from superinsight.services.labeling.selection import Selection, document_ids

TENANT = "acme"
ADMIN = system_actor(TENANT)
VIEWER = role_actor(TENANT, "viewer")
ANNOTATOR = role_actor(TENANT, "annotator")
CARD = "4111-2222-3333-4444"
GROUPS = CARD.split("-")
CARD_PATTERN = r"\d{4}-\d{4}-\d{4}-\d{4}"


@pytest.fixture
def workspace(resources: Resources) -> Iterator[Resources]:
    source = ensure_source(resources.uow(), ADMIN, "CRM", "csv")
    documents = [
        DocumentInput("held", f"Refund for card {CARD}", f"Paid with {CARD}; please refund.", {}, []),
        DocumentInput("plain", "Order 4111 shipped", "Parcel 4111 left the depot.", {}, []),
        DocumentInput("other", "Weekly note", "Nothing about payments.", {}, []),
    ]
    document_writer.upsert_documents(resources, ADMIN, source, documents)
    masking_rules.add_masking_rule(resources, ADMIN, "cards", MaskingRule(None, CARD_PATTERN, "redact"))
    yield resources


def found(resources: Resources, actor: Actor, words: str) -> set[str]:
    """Titles the search finds, checked against facets, export and a labeling selection's counts."""
    query = SearchQuery(text=words)
    hits = {hit.title for hit in search.search(resources, actor, query).hits}
    counted = facets(resources, actor, query).total
    exported = list(export.export(resources, actor, query, "jsonl"))
    with resources.uow() as uow:
        selected = document_ids(uow.session, actor, masker(resources, uow.session, actor), Selection(query))
    assert counted == len(hits) == len(exported) == len(selected), (words, hits, counted, exported, selected)
    return hits


def test_a_fragment_of_a_hidden_value_finds_nothing(workspace: Resources) -> None:
    """Each probe finds for the viewer what it finds for the admin, less the card's holder.

    Which fragments a store's tokenizer makes words of differs (PostgreSQL reads
    "-2222" as a signed number), so the probes that could leak are those the admin's
    search finds the holder by; there must be some, or the test could not fail.
    """
    probes = [" ".join(chosen) for size in (1, 2, 3) for chosen in combinations(GROUPS, size)]
    leaks_tried = 0
    for probe in probes:
        admin_found = found(workspace, ADMIN, probe)
        leaks_tried += any(CARD in title for title in admin_found)
        expected = {title for title in admin_found if CARD not in title}
        for actor in (VIEWER, ANNOTATOR):
            assert found(workspace, actor, probe) == expected, (probe, actor.role)
    assert leaks_tried >= 1


def test_words_outside_hidden_spans_are_still_found(workspace: Resources) -> None:
    assert found(workspace, VIEWER, "refund") == {f"Refund for card {masking.hide(CARD, 'redact', b'')}"}
    assert found(workspace, VIEWER, "payments") == {"Weekly note"}
    assert found(workspace, VIEWER, "4111 parcel") == {"Order 4111 shipped"}


def test_a_pattern_the_database_cannot_read_turns_text_search_off(workspace: Resources) -> None:
    masking_rules.add_masking_rule(workspace, ADMIN, "names", MaskingRule(None, r"\bAcme\b", "mask"))
    for call in (search.search, facets):
        with pytest.raises(PermissionDeniedError, match="text search is off for your role"):
            call(workspace, VIEWER, SearchQuery(text="refund"))
    assert search.search(workspace, VIEWER, SearchQuery()).hits, "browsing without words still works"
    assert found(workspace, ADMIN, "refund"), "roles it does not bind search as before"


def test_postgresql_hides_exactly_the_spans_masking_hides(pg_url: str) -> None:
    """`sql_pattern` is only sound if PostgreSQL's regexp_replace strips what RE2 strips.

    (SQLite strips with RE2 itself, so only PostgreSQL reads a translation.)
    """
    chance = random.Random(11)
    compared = 0
    engine = build_engine(pg_url)
    with engine.connect() as connection:
        for pattern in PATTERNS:
            portable = masking.sql_pattern(pattern)
            assert portable is not None, pattern
            samples = [
                *SAMPLES,
                *("".join(chance.choices(ALPHABET, k=chance.randint(0, 40))) for _ in range(300)),
            ]
            stripped = (
                connection.execute(
                    text(
                        "SELECT regexp_replace(s, :p, ' ', 'g') "
                        "FROM unnest(CAST(:s AS text[])) WITH ORDINALITY AS t(s, n) ORDER BY n"
                    ),
                    {"p": portable, "s": samples},
                )
                .scalars()
                .all()
            )
            expected = [masking.strip(sample, pattern) for sample in samples]
            assert stripped == expected, pattern
            compared += sum(a != b for a, b in zip(samples, expected, strict=True))
    engine.dispose()
    assert compared > 100, "enough samples had something stripped"


PATTERNS = (
    CARD_PATTERN,
    r"[\w.+-]+@[\w-]+\.[\w.]+",
    r"\d{3}-\d{2}-\d{4}",
    r"a|ab|abc",
    r"x.y",
    r"[^\s]+@corp",
    r"\D\d",
    r"(ab|a)(bc|c)?",
    r"\/\s*\d+",
)
SAMPLES = (
    f"card {CARD} and 4111-2222",
    "mail ann.lee+x@acme.co.uk, bob@x-y.org\nend",
    "ssn 123-45-6789 or 123-456-789",
    "abcab abc a",
    "x\ny xzy x.y",
    "me@corp you@corp.example",
    "path / 12 /\t3",
)
ALPHABET = "abcxy.-@/ \n\t0123456789_ZéΩ"
