"""RTT statistics as iputils ping reports them."""

from __future__ import annotations

import math

import pytest

from cloudping.events.rtt import RttStats


def test_no_samples_means_no_figures() -> None:
    stats = RttStats()
    assert (stats.minimum, stats.avg, stats.maximum, stats.mdev, stats.jitter) == (None,) * 5


def test_figures_match_a_hand_computed_example() -> None:
    stats = RttStats()
    for rtt in (1.0, 3.0, 2.0, 6.0):
        stats.add(rtt)
    assert (stats.minimum, stats.avg, stats.maximum) == (1.0, 3.0, 6.0)
    assert stats.mdev == pytest.approx(math.sqrt((1 + 9 + 4 + 36) / 4 - 9))
    assert stats.jitter == pytest.approx((2 + 1 + 4) / 3)


def test_one_sample_has_zero_deviation_and_no_jitter() -> None:
    stats = RttStats()
    stats.add(0.25)
    assert stats.mdev == 0.0
    assert stats.jitter is None
