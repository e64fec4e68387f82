"""What an apply run teaches, decided from values: insights, news for the rule's owner, patterns.

Pure, so every threshold is tested on its own; the rules service reads the
numbers from the database and stores what this module finds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from superinsight.vocabulary import VERDICTS

MIN_SUPPORT = 0.5
MIN_LIFT = 1.5
RATE_SHIFT = 0.05
OVERLAP = 0.8
TOP_VALUES = 20


@dataclass(frozen=True)
class Finding:
    """An insight card: what was seen, how much it matters (0-1), what to do about it."""

    kind: str
    title: str
    description: str
    impact: float
    recommendations: list[str] = field(default_factory=list)
    data_points: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class News:
    """A notification for the rule's owner."""

    kind: str
    title: str
    message: str


@dataclass(frozen=True)
class Pattern:
    """A metadata value far more common among a rule's matches than among all documents."""

    key: str
    value: Any
    support: float
    lift: float

    @property
    def description(self) -> str:
        return (
            f"{self.support:.0%} of matches have {self.key} = {self.value} ({self.lift:.1f} times the usual)"
        )


def from_run(
    rule: str, summary: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> tuple[list[Finding], list[News]]:
    """Insights and news from one run's summary compared with the run before it."""
    findings: list[Finding] = []
    news: list[News] = []
    matched, rate = summary["matched"], summary["rate"]
    if matched == 0 and summary["total"] > 0:
        findings.append(
            Finding(
                "rule_never_matches",
                f"“{rule}” matched nothing",
                f"None of {summary['total']:,} documents matched.",
                0.3,
                ["Check the field names and values in the condition", "Disable the rule if it is obsolete"],
                [dict(summary)],
            )
        )
    # A rule without thresholds has no verdict (None): matching documents is all it does.
    if previous is None:
        if summary["outcome"] in VERDICTS:
            news.append(
                News(
                    "rule_change",
                    f"“{rule}” {summary['outcome']}s on its first run",
                    f"{matched:,} documents fail it.",
                )
            )
        return findings, news
    shift = rate - previous["rate"]
    if abs(shift) >= RATE_SHIFT:
        direction = "rose" if shift > 0 else "fell"
        findings.append(
            Finding(
                "match_rate_shift",
                f"“{rule}” match rate {direction} to {rate:.1%}",
                f"From {previous['rate']:.1%} to {rate:.1%} since the previous run.",
                abs(shift),
                ["Look at the newest matches for what changed"],
                [dict(previous), dict(summary)],
            )
        )
    if previous["outcome"] in ("pass", None) and summary["outcome"] in VERDICTS:
        news.append(
            News(
                "quality_drop",
                f"“{rule}” now {summary['outcome']}s",
                f"{matched:,} documents fail it (was {previous['matched']:,}).",
            )
        )
    return findings, news


def overlaps(rule: str, matched: int, others: Sequence[tuple[int, str, int]]) -> list[Finding]:
    """Another rule sharing most of this rule's matches is probably redundant: (id, name, shared)."""
    return [
        Finding(
            "rules_overlap",
            f"“{rule}” overlaps “{name}”",
            f"{shared:,} of its {matched:,} matches are also matched by “{name}”.",
            shared / matched,
            ["Merge the two rules or narrow one of them"],
            [{"other_rule_id": other_id, "shared": shared}],
        )
        for other_id, name, shared in others
        if matched and shared / matched >= OVERLAP
    ]


def value_counts(metadata: Sequence[Mapping[str, Any]]) -> Counter[tuple[str, Any]]:
    """How often each (key, value) appears; only values that can be a pattern (text, flags, small numbers)."""
    counts: Counter[tuple[str, Any]] = Counter()
    for meta in metadata:
        counts.update(
            (f"metadata.{key}", value)
            for key, value in meta.items()
            if isinstance(value, str | bool) or (isinstance(value, int) and abs(value) < 1000)
        )
    return counts


def patterns(
    matched: Sequence[Mapping[str, Any]],
    overall: Sequence[Mapping[str, Any]],
    tested: Collection[str] = (),
) -> list[Pattern]:
    """Values common among the matches (support) and rarer elsewhere (lift), strongest first.

    A value every document has (support and base rate both 100%) has a lift of 1
    and is never a finding: it says nothing about the rule. Nor is a value of a field
    the rule `tested`: the matches have it because the rule asked for it.
    """
    if not matched:
        return []
    inside, everywhere = value_counts(matched), value_counts(overall)
    for key, value in [pair for pair in inside if pair[0] in tested]:
        del inside[key, value]
    found = []
    for (key, value), count in inside.most_common(TOP_VALUES):
        support = count / len(matched)
        base = everywhere.get((key, value), 0) / max(len(overall), 1)
        lift = support / base if base else 0.0
        if support >= MIN_SUPPORT and lift >= MIN_LIFT:
            found.append(Pattern(key, value, support, lift))
    return found
