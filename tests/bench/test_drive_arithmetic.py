"""The Drive benchmark's arithmetic: throughput and how an upload is cut into parts. Pure
functions; nothing here uploads or looks at a clock."""

from __future__ import annotations

import itertools

import pytest

from bench.drive import mb_per_s, part_slices


def test_throughput_is_in_decimal_megabytes_per_second() -> None:
    assert mb_per_s(64 * 1024 * 1024, 2.0) == pytest.approx(33.554432)
    assert mb_per_s(10**6, 0.5) == 2.0
    with pytest.raises(ValueError):
        mb_per_s(1, 0)


def test_parts_cover_every_byte_once_in_order() -> None:
    assert part_slices(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert part_slices(8, 4) == [(0, 4), (4, 8)]
    assert part_slices(3, 4) == [(0, 3)]
    slices = part_slices(5 * 1024 * 1024 + 1, 1024 * 1024)
    assert len(slices) == 6 and slices[-1] == (5 * 1024 * 1024, 5 * 1024 * 1024 + 1)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))
    with pytest.raises(ValueError):
        part_slices(0, 4)
