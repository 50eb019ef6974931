"""The statistics against values computed independently: the worked examples of the papers that define the
intervals, and a 2x2 table worked by hand."""
from __future__ import annotations

import pytest

from services.evaluation import statistics

# Newcombe (1998a), "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17:857,
# table I, method 3 (Wilson score interval without continuity correction).
WILSON_PUBLISHED = [
    ((81, 263), (0.2553, 0.3662)),
    ((15, 148), (0.0624, 0.1605)),
    ((0, 20), (0.0000, 0.1611)),
    ((1, 29), (0.0061, 0.1718)),
]

# Newcombe (1998b), "Interval estimation for the difference between independent proportions", Statistics in
# Medicine 17:873, table II, method 10 (hybrid score interval).
NEWCOMBE_PUBLISHED = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
]


@pytest.mark.parametrize(("counts", "expected"), WILSON_PUBLISHED)
def test_wilson_interval_matches_the_published_examples(counts, expected):
    interval = statistics.wilson(*counts)
    assert (round(interval.low, 4), round(interval.high, 4)) == expected


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_PUBLISHED)
def test_newcombe_difference_interval_matches_the_published_examples(counts, expected):
    interval = statistics.newcombe_difference(*counts)
    assert (round(interval.low, 4), round(interval.high, 4)) == expected


def test_two_proportion_z_equals_pearson_chi_square_worked_by_hand():
    # 56/70 against 48/80: the 2x2 table [[56, 14], [48, 32]], 104 agreeing and 46 not of 150.
    # Expected counts: 70*104/150 = 48.5333, 70*46/150 = 21.4667, 80*104/150 = 55.4667, 80*46/150 = 24.5333.
    observed = [56, 14, 48, 32]
    expected = [70 * 104 / 150, 70 * 46 / 150, 80 * 104 / 150, 80 * 46 / 150]
    chi_square = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    z, p = statistics.two_proportion_z(56, 70, 48, 80)
    assert z == pytest.approx(2.6502, abs=1e-4)
    assert z * z == pytest.approx(chi_square, rel=1e-9)
    assert p == pytest.approx(0.00805, abs=1e-5)  # two-sided normal tail of 2.6502 (tables: 0.0080)


def test_no_difference_when_both_groups_are_all_or_nothing():
    assert statistics.two_proportion_z(0, 10, 0, 20) == (0.0, 1.0)
    assert statistics.two_proportion_z(10, 10, 5, 5) == (0.0, 1.0)


def test_impossible_counts_are_refused_and_no_answers_give_the_whole_range():
    with pytest.raises(ValueError):
        statistics.wilson(6, 5)
    assert statistics.wilson(0, 0) == statistics.Interval(0.0, 1.0)
    assert statistics.mean([]) is None and statistics.mean([4, 5]) == 4.5


@pytest.mark.parametrize("n", [1, 3, 5, 6, 7, 11, 49, 1000])
def test_the_interval_always_contains_the_share_even_at_zero_and_all(n):
    for successes in (0, n):
        interval = statistics.wilson(successes, n)
        assert interval.low <= successes / n <= interval.high
