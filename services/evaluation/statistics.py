"""The statistics of outcome scores, written from their published formulas (no scipy needed).

- Wilson score interval for one proportion (Wilson 1927; method 3 of Newcombe 1998a).
- Newcombe's hybrid score interval for a difference of two independent proportions (method 10 of
  Newcombe 1998b), built from the two Wilson intervals.
- The two-proportion z test with the pooled standard error (equal to Pearson's chi-square on the 2x2 table).
The unit tests check them against the worked examples of those papers and against hand-computed tables.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(successes: int, n: int, z: float = Z95) -> Interval:
    """The Wilson score interval of ``successes``/``n``; (0, 1) when ``n`` is 0."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return Interval(0.0, 1.0)
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # rounding may leave p a hair outside its own interval at 0 or 1: the interval always contains p
    return Interval(max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Interval:
    """Newcombe's hybrid score interval for p1 - p2 (method 10)."""
    p1, p2 = x1 / n1, x2 / n2
    first, second = wilson(x1, n1, z), wilson(x2, n2, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2)
    high = difference + math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2)
    return Interval(max(-1.0, low), min(1.0, high))


def normal_two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """The z statistic (pooled standard error) and its two-sided p-value for p1 = p2."""
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 0.0, 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x1 / n1 - x2 / n2) / se
    return z, normal_two_sided_p(z)


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
