"""Hypothesis strategies for the rule language, shared by its unit and integration tests."""

from __future__ import annotations

from hypothesis import strategies as st

from superinsight.rules.regex import PatternError, check_pattern

REGEX_TEXT_ALPHABET = "abAB01 -.\né*[]$^"
_literals = st.sampled_from(["a", "b", "A", "0", "1", " ", "-", "é", "\n", ","])
_escapes = st.sampled_from(["\\.", "\\*", "\\-", "\\$", "\\^", "\\[", "\\]", "\\(", "\\{", "\\\\", "\\|"])
_class_items = st.sampled_from(["a", "b", "0", "Z", "a-c", "0-9", "A-Z", "\\]", "\\-", "\\^", ".", " ", "é"])
_classes = st.tuples(st.booleans(), st.lists(_class_items, min_size=1, max_size=3)).map(
    lambda t: "[" + ("^" if t[0] else "") + "".join(t[1]) + "]"
)
_quantifiers = st.sampled_from(["", "", "", "*", "+", "?", "{2}", "{1,3}", "{0,}", "{2,}", "{0,1}"])


def _join(parts: list[tuple[str, str]]) -> str:
    return "".join(atom + quantifier for atom, quantifier in parts)


def _alternation(atoms: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    alternative = st.lists(st.tuples(atoms, _quantifiers), min_size=1, max_size=3).map(_join)
    return st.lists(alternative, min_size=1, max_size=3).map("|".join)


def _valid(pattern: str) -> bool:
    try:
        check_pattern(pattern)
    except PatternError:
        return False
    return True


_atoms = st.recursive(
    st.one_of(_literals, _escapes, _classes, st.just(".")),
    lambda inner: _alternation(inner).map(lambda body: f"({body})"),
    max_leaves=4,
)
portable_patterns = (
    st.tuples(st.sampled_from(["", "^"]), _alternation(_atoms), st.sampled_from(["", "$"]))
    .map("".join)
    .filter(_valid)
)
regex_texts = st.text(alphabet=REGEX_TEXT_ALPHABET, max_size=12)
