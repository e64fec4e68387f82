"""How far annotators agree, and how well a rule matches what they labelled. Pure: values in, values out.

Agreement is Krippendorff's alpha (the `krippendorff` package), nominal: it takes any
number of annotators, tolerates tasks some annotators skipped, and corrects for the
agreement chance alone would give.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np


@dataclass(frozen=True)
class Agreement:
    alpha: float | None  # None when fewer than two annotators labelled the same task
    annotators: int
    items: int  # tasks labelled by at least two annotators


def agreement(answers: Mapping[str, Mapping[int, str]]) -> Agreement:
    """Krippendorff's alpha over `annotator -> task -> answer` (the answer a label, or labels joined)."""
    shared = sorted(
        task for task in {t for given in answers.values() for t in given}
        if sum(task in given for given in answers.values()) >= 2
    )  # fmt: skip
    values = sorted({given[task] for given in answers.values() for task in shared if task in given})
    if len(answers) < 2 or not shared:
        return Agreement(None, len(answers), 0)
    if len(values) == 1:
        return Agreement(1.0, len(answers), len(shared))  # everyone gave the one same answer
    code = {value: index for index, value in enumerate(values)}
    matrix = np.array(
        [[code[given[task]] if task in given else np.nan for task in shared] for given in answers.values()],
        dtype=float,
    )
    alpha = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
    return Agreement(None if math.isnan(alpha) else round(alpha, 4), len(answers), len(shared))


@dataclass(frozen=True)
class RuleScore:
    """A rule's matches against human labels: counts, precision, recall, the documents they disagree on."""

    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int
    missed: tuple[int, ...]  # labelled positive, not matched
    wrongly_matched: tuple[int, ...]  # matched, not labelled positive

    @property
    def precision(self) -> float | None:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else None


def rule_score(matched: Sequence[bool], labelled: Sequence[bool], ids: Sequence[int]) -> RuleScore:
    """Per labelled document (same order in each list): did the rule match, did the humans say yes."""
    if not len(matched) == len(labelled) == len(ids):
        raise ValueError("one verdict and one label per document")
    pairs = list(zip(ids, matched, labelled, strict=True))
    return RuleScore(
        true_positives=sum(m and h for _, m, h in pairs),
        false_positives=sum(m and not h for _, m, h in pairs),
        false_negatives=sum(h and not m for _, m, h in pairs),
        true_negatives=sum(not m and not h for _, m, h in pairs),
        missed=tuple(i for i, m, h in pairs if h and not m),
        wrongly_matched=tuple(i for i, m, h in pairs if m and not h),
    )
