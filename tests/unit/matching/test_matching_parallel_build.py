"""A large vendor master is prepared in forked processes; the index must be the same as the
one built in a single process (the threshold is lowered so the test stays small)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.matching_synth import make_queries, make_vendor_master
from core.matching import features, index
from core.matching.features import prepare_frame
from core.matching.index import VendorIndex


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(features, "PARALLEL_MIN_ROWS", 400)
    monkeypatch.setattr(index, "PARALLEL_MIN_ROWS", 400)


def test_prepare_frame_in_two_processes_equals_one(small_threshold):
    master = make_vendor_master(1_000, seed=7)
    one = prepare_frame(master, workers=1)
    two = prepare_frame(master, workers=2)
    pd.testing.assert_frame_equal(one, two)


def test_the_index_built_in_two_processes_finds_the_same_candidates(small_threshold):
    master = make_vendor_master(1_000, seed=7)
    queries = prepare_frame(make_queries(master, 200, seed=8).drop(columns=["truth"]))
    one, two = VendorIndex(master, workers=1), VendorIndex(master, workers=2)
    assert two.blocking.matrix is not None and one.blocking.matrix is not None
    assert (one.blocking.matrix != two.blocking.matrix).nnz == 0
    a, b = one.candidates(queries, 10), two.candidates(queries, 10)
    pd.testing.assert_frame_equal(a, b)
    assert np.array_equal(one.code_weight, two.code_weight)
