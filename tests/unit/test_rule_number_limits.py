"""The limits a compiled rule compares a stored JSON number: exactly the decimals that read as a double.

`float(Decimal)` rounds correctly, as JavaScript reads a JSON number: so each limit,
and the decimals just either side of it, must read as the double or its neighbour.
"""

from __future__ import annotations

import math
from decimal import Context

from hypothesis import given
from hypothesis import strategies as st

from superinsight.rules.sqljson import reading_as

_FINE = Context(prec=2100)
doubles = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 50000.0]),
)


@given(doubles)
def test_each_limit_belongs_to_the_number_exactly_when_it_says_so(number: float) -> None:
    low, high = reading_as(number)
    for bound, inward, outward in (
        (low, _FINE.next_plus, _FINE.next_minus),
        (high, _FINE.next_minus, _FINE.next_plus),
    ):
        assert bound is not None
        limit, inclusive = bound
        assert (float(limit) == number) is inclusive
        assert float(inward(limit)) == number
        assert float(outward(limit)) != number


def test_infinity_begins_where_the_largest_double_ends() -> None:
    top = reading_as(1.7976931348623157e308)[1]
    assert reading_as(math.inf) == ((top[0], True), None)
    assert reading_as(-math.inf) == (None, (-top[0], True))
