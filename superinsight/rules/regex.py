"""The rule language's one regular-expression dialect, read the same by every store.

A pattern is checked against a small grammar that Python (on RE2, a linear-time
engine), PostgreSQL's `~` and SQLite's REGEXP (which calls `regexp` below, so RE2
too) all read the same way, and is refused with the reason otherwise:

    pattern     := "^"? alternative ("|" alternative)* "$"?
    alternative := (atom quantifier?)+
    atom        := literal | "." | escape | class | "(" alternative ("|" alternative)* ")"
    literal     := any character but  \\ . [ ] ( ) { } | * + ? ^ $  (and not NUL)
    escape      := "\\" followed by one of those punctuation characters or "-"
    class       := "[" "^"? (item)+ "]"
    item        := a character but  \\ [ ] ^ -  | escape | range
    range       := a-z inside one of a-z, A-Z, 0-9 (the first end no later than the second)
    quantifier  := "*" | "+" | "?" | "{n}" | "{n,}" | "{n,m}"   with n <= m <= 255

So no backslash classes (`\\d` is `[0-9]`), no POSIX `[:alpha:]`, no back
references, lookarounds, `(?` flags, lazy or possessive quantifiers (a quantifier
never follows a quantifier), no `{,n}`; `^` only first, `$` only last; a
quantified group holds no quantifier of its own (`(a+)+`), and a pattern's
expanded size is bounded, so no store can take long over it. `.` matches any
character, newlines included, everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]

MAX_PATTERN_LENGTH = 200
MAX_REPEAT = 255
# RE2 refuses nested repetitions whose counts multiply past 1,000; this bound is stricter.
MAX_EXPANDED_SIZE = 1_000
METACHARACTERS = frozenset("\\.[](){}|*+?^$")
ESCAPABLE = METACHARACTERS | {"-"}
CLASS_SPECIAL = frozenset("\\[]^-")
RANGE_KINDS = ("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789")


class PatternError(ValueError):
    """A pattern outside the portable dialect, with the reason."""


@dataclass
class _Parser:
    pattern: str
    position: int = 0

    def peek(self) -> str | None:
        return self.pattern[self.position] if self.position < len(self.pattern) else None

    def take(self) -> str:
        char = self.pattern[self.position]
        self.position += 1
        return char

    def fail(self, message: str) -> PatternError:
        return PatternError(f"regex, at character {self.position + 1}: {message}")

    # parse_* return the expanded size of what they read and the repetition inside it.

    def parse_pattern(self) -> int:
        if self.peek() == "^":
            self.take()
        size, _ = self.parse_alternation(top=True)
        if self.peek() == "$":
            self.take()
        if self.peek() is not None:
            char = self.peek()
            if char == ")":
                raise self.fail("a ) closes no group; write \\) for the character")
            raise self.fail(f"{char} cannot stand here; write \\{char} for the character")
        return size

    def parse_alternation(self, top: bool = False) -> tuple[int, int]:
        size, nested = self.parse_alternative(top)
        while self.peek() == "|":
            self.take()
            more, more_nested = self.parse_alternative(top)
            size, nested = size + more, max(nested, more_nested)
        return size, nested

    def parse_alternative(self, top: bool) -> tuple[int, int]:
        """Expanded size, and the strongest repetition inside: 0 none, 1 bounded, 2 unbounded."""
        size, nested, items = 0, 0, 0
        while True:
            char = self.peek()
            if char is None or char in "|)":
                break
            if char == "$" and top and self.position == len(self.pattern) - 1:
                break
            atom_size, atom_nested = self.parse_atom()
            bounds = self.parse_quantifier()
            if bounds is not None:
                count, unbounded = bounds
                if atom_nested == 2 or (atom_nested and unbounded):
                    raise self.fail(
                        "a repeated group may not itself hold an open-ended repetition, like (a+)+ "
                        "or (a?)*: such patterns can take forever on some stores"
                    )
                atom_size *= max(count, 1)
                atom_nested = 2 if unbounded else 1
            size, nested, items = size + atom_size, max(nested, atom_nested), items + 1
            if size > MAX_EXPANDED_SIZE:
                raise self.fail(
                    f"the pattern repeats too much (at most {MAX_EXPANDED_SIZE} characters once expanded)"
                )
        if items == 0:
            raise self.fail("an alternative is empty; write what it should match")
        return size, nested

    def parse_atom(self) -> tuple[int, int]:
        char = self.take()
        if char == "(":
            if self.peek() == "?":
                raise self.fail("(?…) groups, flags and lookarounds are not supported")
            size, nested = self.parse_alternation()
            if self.peek() != ")":
                raise self.fail("a ( is never closed; write \\( for the character")
            self.take()
            return size, nested
        if char == "[":
            self.parse_class()
            return 1, 0
        if char == "\\":
            self.parse_escape()
            return 1, 0
        if char == ".":
            return 1, 0
        if char in "*+?{":
            raise self.fail(f"{char} repeats nothing here; write \\{char} for the character")
        if char == "^":
            raise self.fail("^ may only start a pattern; write \\^ for the character")
        if char == "$":
            raise self.fail("$ may only end a pattern; write \\$ for the character")
        if char in "]}":
            raise self.fail(f"a lone {char} is read differently by the stores; write \\{char}")
        if char == "\0":
            raise self.fail("a pattern cannot hold the NUL character")
        return 1, 0

    def parse_escape(self) -> str:
        char = self.peek()
        if char is None:
            raise self.fail("a pattern cannot end with \\")
        if char not in ESCAPABLE:
            raise self.fail(
                f"\\{char} is not supported: a backslash only makes punctuation literal "
                "(write [0-9] for \\d, and a class like [ \\t] for \\s)"
            )
        return self.take()

    def parse_class_char(self) -> str:
        char = self.take()
        if char == "\\":
            return self.parse_escape()
        if char == "[":
            raise self.fail("[ inside a class ([:alpha:] and the like) is not supported; write \\[")
        if char == "^":
            raise self.fail("^ inside a class must be written \\^ (only a first ^ negates)")
        if char == "\0":
            raise self.fail("a pattern cannot hold the NUL character")
        return char

    def range_dash(self) -> bool:
        """The next character is a - between two characters, not one just before the closing ]."""
        following = self.pattern[self.position + 1 : self.position + 2]
        return self.peek() == "-" and following not in ("", "]")

    def parse_class(self) -> None:
        if self.peek() == "^":
            self.take()
        items = 0
        while True:
            char = self.peek()
            if char is None:
                raise self.fail("a [ class is never closed")
            if char == "]":
                if items == 0:
                    raise self.fail("an empty class [] is not supported; write \\] for the character")
                self.take()
                return
            if char == "-":
                raise self.fail("- inside a class must be written \\- unless it joins a range like a-z")
            start = self.parse_class_char()
            items += 1
            if self.range_dash():
                self.take()
                if self.peek() == "\\":
                    raise self.fail("a range ends with a letter or digit, like a-z")
                end = self.parse_class_char()
                if not any(
                    start in kind and end in kind and kind.index(start) <= kind.index(end)
                    for kind in RANGE_KINDS
                ):
                    raise self.fail(
                        f"the range {start}-{end} is not portable: ranges go up within a-z, A-Z or 0-9"
                    )
                if self.range_dash():
                    raise self.fail("a range cannot continue with another - (like a-c-e); write \\-")
            elif self.peek() == "-":
                raise self.fail("- inside a class must be written \\- unless it joins a range like a-z")

    def parse_quantifier(self) -> tuple[int, bool] | None:
        """How many times the atom may count towards the expanded size, and whether it is open-ended."""
        char = self.peek()
        if char is None or char not in "*+?{":
            return None
        self.take()
        bounds = {"?": (1, False), "*": (2, True), "+": (2, True)}.get(char) or self.parse_bounds()
        following = self.peek()
        if following is not None and following in "*+?{":
            raise self.fail(
                "a quantifier cannot follow another (lazy a*? and possessive a*+ read differently "
                "on the stores)"
            )
        return bounds

    def parse_bounds(self) -> tuple[int, bool]:
        low = self.parse_count()
        if low is None:
            raise self.fail("{ starts a count like {2}, {2,} or {2,5}; write \\{ for the character")
        high: int | None = low
        if self.peek() == ",":
            self.take()
            high = self.parse_count()
        if self.peek() != "}":
            raise self.fail("a count {n,m} is never closed; write \\{ for the character")
        self.take()
        if high is not None and high < low:
            raise self.fail(f"the count {{{low},{high}}} goes down")
        return (high, False) if high is not None else (low + 1, True)

    def parse_count(self) -> int | None:
        start = self.position
        while (char := self.peek()) is not None and char in "0123456789":
            self.take()
        digits = self.pattern[start : self.position]
        if not digits:
            return None
        if len(digits) > 3 or int(digits) > MAX_REPEAT:
            raise self.fail(f"a count may be at most {MAX_REPEAT}")
        return int(digits)


def check_pattern(pattern: Any) -> str:
    """The pattern itself when it is in the portable dialect; `PatternError` with the reason otherwise."""
    if not isinstance(pattern, str):
        raise PatternError("a regex pattern must be text")
    return _checked(pattern)


@lru_cache(maxsize=512)
def _checked(pattern: str) -> str:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"a regex pattern may be at most {MAX_PATTERN_LENGTH} characters")
    if pattern == "":
        raise PatternError("a regex pattern cannot be empty")
    _Parser(pattern).parse_pattern()
    _compiled(pattern)  # the grammar keeps within RE2; should it not, the pattern is refused here
    return pattern


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    options = re2.Options()
    options.dot_nl = True
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"invalid regex: {reason}") from None


def search(pattern: str, text: str) -> bool:
    """Whether a portable pattern matches anywhere in the text, in time linear in the text."""
    compiled = _compiled(check_pattern(pattern))  # cached: checked and compiled once per pattern
    try:
        return compiled.search(text) is not None
    except UnicodeEncodeError:  # lone surrogates: no store can hold them; read them as U+FFFD
        return compiled.search(text.encode("utf-8", "replace").decode("utf-8")) is not None


def regexp(pattern: Any, text: Any) -> bool | None:
    """SQLite's `text REGEXP pattern`: the same engine and dialect the evaluator uses.

    SQLite may call it on any value (it does not promise to test the value's kind
    first); only text can match, and a pattern outside the dialect matches nothing.
    """
    if not isinstance(pattern, str) or not isinstance(text, str):
        return None
    try:
        return search(pattern, text)
    except PatternError:
        return False
