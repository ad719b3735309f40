"""The interval ``benchmarks/incremental.py`` prints beside its ratio of medians."""

from __future__ import annotations

from benchmarks.incremental import ratio_interval


def test_runs_that_never_vary_give_no_spread() -> None:
    low, high = ratio_interval([0.5] * 5, [1.0] * 5)
    assert low == high == 2.0


def test_the_interval_holds_the_ratio_of_medians_and_widens_with_noise() -> None:
    small = [0.60, 0.62, 0.64, 0.66, 0.68, 0.70, 0.72]
    calm = [0.66, 0.67, 0.68, 0.69, 0.70, 0.71, 0.72]
    noisy = [0.50, 0.58, 0.64, 0.69, 0.74, 0.80, 0.90]
    ratio = 0.69 / 0.66
    calm_low, calm_high = ratio_interval(small, calm)
    noisy_low, noisy_high = ratio_interval(small, noisy)
    assert calm_low <= ratio <= calm_high
    assert noisy_low < calm_low and noisy_high > calm_high


def test_the_same_runs_give_the_same_interval() -> None:
    runs = [0.6, 0.7, 0.65, 0.8]
    assert ratio_interval(runs, runs[::-1]) == ratio_interval(runs, runs[::-1])
