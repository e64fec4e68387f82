"""Content hashes decide whether a re-synced document changed; validation refuses bad batches."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from superinsight.documents.record import (
    MAX_NESTING,
    DocumentInput,
    DocumentProblem,
    canonical_json,
    check_document,
    content_hash,
    json_has_nul,
    nested_deeper_than,
)
from superinsight.services.documents.writer import validate
from superinsight.services.errors import InvalidInputError

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
metadata = st.dictionaries(st.text(max_size=10), json_scalars, max_size=5)


@given(st.text(max_size=50), st.text(max_size=200), metadata)
def test_hash_ignores_key_order_and_is_stable(title: str, content: str, meta: dict[str, object]) -> None:
    first = DocumentInput("x", title, content, dict(meta))
    second = DocumentInput("x", title, content, dict(reversed(list(meta.items()))))
    assert content_hash(first) == content_hash(second)
    assert len(content_hash(first)) == 64


@given(st.text(max_size=50), st.text(max_size=50))
def test_any_change_of_content_changes_the_hash(a: str, b: str) -> None:
    if a != b:
        assert content_hash(DocumentInput("x", "t", a)) != content_hash(DocumentInput("x", "t", b))


def test_the_external_id_is_not_part_of_the_content() -> None:
    assert content_hash(DocumentInput("a", "t", "c")) == content_hash(DocumentInput("b", "t", "c"))


@pytest.mark.parametrize(
    ("docs", "message"),
    [
        ([DocumentInput("", "t", "c")], "record 1: external id"),
        ([DocumentInput("x" * 256, "t", "c")], "record 1: external id"),
        (
            [DocumentInput("a", "t", "c"), DocumentInput("a", "t", "c")],
            "record 2: external id 'a' appears twice",
        ),
        ([DocumentInput("a", "t" * 1001, "c")], "record 1: title"),
        ([DocumentInput("a", "t", "c\x00")], "record 1: text contains a NUL"),
        ([DocumentInput("a", "t", "c", {"x": {"y": [1]}})], "record 1: metadata.x.y is a list"),
    ],
)
def test_bad_batches_are_refused_with_the_record_number(docs: list[DocumentInput], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        validate(docs)


@given(
    st.text(),
    st.text(),
    st.dictionaries(
        st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text(max_size=5), st.booleans())
    ),
    st.lists(st.text(max_size=5), max_size=3),
)
def test_the_content_hash_is_the_sha256_of_the_canonical_json_of_all_four_fields(
    title: str, content: str, metadata: dict[str, object], tags: list[str]
) -> None:
    canonical = json.dumps(
        {"title": title, "content": content, "metadata": metadata, "tags": tags},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    assert (
        content_hash(DocumentInput("x", title, content, metadata, tags))
        == hashlib.sha256(canonical.encode()).hexdigest()
    )


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(alphabet=st.sampled_from("a\\u0\x00\"'"))),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(alphabet=st.sampled_from("k\\u0\x00"), max_size=4), children, max_size=3)
    ),
    max_leaves=8,
)


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(_holds_nul(item) for item in value)


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@given(json_values)
def test_a_nul_is_found_in_json_text_exactly_when_the_value_holds_one(value: object) -> None:
    assert json_has_nul(canonical_json(value)) == _holds_nul(value)


@given(json_values, st.integers(0, 8))
def test_nesting_is_measured_as_the_deepest_chain_of_containers(value: object, limit: int) -> None:
    assert nested_deeper_than(value, limit) == (_depth(value) > limit)


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 2000, 100_000])
def test_metadata_nested_too_deep_is_refused_before_it_is_spelled_as_json(depth: int) -> None:
    metadata: dict[str, object] = {}
    for _ in range(depth - 1):
        metadata = {"k": metadata}
    with pytest.raises(DocumentProblem, match=f"deeper than {MAX_NESTING} levels"):
        check_document(DocumentInput("e", "t", "c", metadata))


def test_metadata_nested_exactly_to_the_limit_is_kept() -> None:
    metadata: dict[str, object] = {"leaf": 1}
    for _ in range(MAX_NESTING - 1):
        metadata = {"k": metadata}
    check_document(DocumentInput("e", "t", "c", metadata))
    assert canonical_json(metadata).count("{") == MAX_NESTING


@pytest.mark.parametrize(
    ("doc", "field", "message"),
    [
        (DocumentInput("", "t", "c"), "external_id", "external id must be 1 to 255 characters"),
        (DocumentInput("a", "t" * 1001, "c"), "title", "title is longer than 1000 characters"),
        (DocumentInput("a\x00", "t", "c"), "external_id", "text contains a NUL character"),
        (DocumentInput("a", "t", "c", {"k\x00": 1}), "metadata", "text contains a NUL character"),
        (DocumentInput("a", "t", "c", tags=["x\x00"]), "tags", "text contains a NUL character"),
        (DocumentInput("a", "t\ud800", "c"), "title", "text is not valid Unicode (a lone surrogate)"),
        (DocumentInput("a", "t", "c", {"k": "\udfff"}), "metadata", "text is not valid Unicode"),
        (DocumentInput("a", "t", "c", {"x": {"y": [1]}}), "metadata", "metadata.x.y is a list"),
    ],
)
def test_a_refused_record_names_the_field_and_the_reason(
    doc: DocumentInput, field: str, message: str
) -> None:
    with pytest.raises(DocumentProblem, match=re.escape(message)) as refused:
        check_document(doc)
    assert refused.value.field == field


@given(st.text(alphabet=st.characters(categories=["Cs", "Ll"]), min_size=1, max_size=5))
def test_a_record_is_refused_exactly_when_its_text_cannot_be_stored(text: str) -> None:
    storable = all(not 0xD800 <= ord(char) <= 0xDFFF for char in text)
    try:
        check_document(DocumentInput("a", text, text))
    except DocumentProblem as problem:
        assert not storable and problem.field == "title"
    else:
        assert storable


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
def test_a_number_json_cannot_hold_is_refused_in_the_metadata(number: float) -> None:
    with pytest.raises(DocumentProblem, match="NaN or infinite") as refused:
        check_document(DocumentInput("a", "t", "c", {"score": number}))
    assert refused.value.field == "metadata"


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "sNaN"])
def test_a_non_finite_decimal_from_a_source_is_that_records_problem(number: str) -> None:
    """PostgreSQL's numeric holds Infinity and NaN; JSON cannot: one record's error, not the run's."""
    from decimal import Decimal

    from superinsight.documents.record import DocumentProblem, check_document
    from superinsight.sync import mapping

    document = mapping.apply(
        {"external_id": "id", "metadata.amount": "amount"}, {"id": "1", "amount": Decimal(number)}
    )
    with pytest.raises(DocumentProblem) as refused:
        check_document(document)
    assert refused.value.field == "metadata" and "NaN or infinite" in str(refused.value)
