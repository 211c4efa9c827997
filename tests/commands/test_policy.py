"""Limits: one frozen value holding every policy bound, cheap to vary."""

from __future__ import annotations

import dataclasses

import pytest

from cloudping.policy import DEFAULT_LIMITS, Limits


def test_default_limits_hold_the_documented_bounds() -> None:
    limits = DEFAULT_LIMITS
    assert (limits.count_min, limits.count_max) == (1, 100)
    assert (limits.timeout_min, limits.timeout_max) == (0.1, 30.0)
    assert (limits.size_max, limits.ttl_max, limits.max_hops, limits.queries_max) == (
        65500,
        255,
        64,
        10,
    )
    assert (limits.max_targets, limits.selection_limit_max) == (10, 50)
    assert (limits.scan_rate_default, limits.scan_rate_max) == (1000, 10_000)


def test_the_interval_floor_is_lower_when_privileged() -> None:
    assert DEFAULT_LIMITS.interval_floor == 0.2
    assert dataclasses.replace(DEFAULT_LIMITS, privileged=True).interval_floor == 0.001


def test_the_widest_ipv4_scan_is_a_slash_20_of_4096_addresses() -> None:
    assert DEFAULT_LIMITS.scan_ipv4_min_prefixlen == 20
    assert DEFAULT_LIMITS.scan_ipv4_max_hosts == 4096
    assert DEFAULT_LIMITS.scan_ipv6_max_hosts == 4096


def test_limits_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_LIMITS.count_max = 1000  # type: ignore[misc]


def test_a_variant_changes_only_what_it_names() -> None:
    variant = dataclasses.replace(DEFAULT_LIMITS, max_targets=50)
    assert variant.max_targets == 50
    assert dataclasses.replace(variant, max_targets=10) == DEFAULT_LIMITS


def test_limits_with_a_minimum_above_the_maximum_are_refused() -> None:
    with pytest.raises(ValueError, match="count_min"):
        Limits(count_min=10, count_max=5)


def test_limits_with_a_non_positive_bound_are_refused() -> None:
    with pytest.raises(ValueError, match="max_targets"):
        Limits(max_targets=0)
