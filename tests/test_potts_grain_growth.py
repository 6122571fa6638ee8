"""The builtin grain-growth engine against SPPARKS's kinetics, and its determinism.

The default engine on the CPU (the numba kernel) runs the report's t = 1500 (~1,740
sweeps) in ~0.3 s a seed, so the calibration is checked at all of t = 100, 300 and 1500
on 8 seeds; benchmarks/potts_engine.py --calibrate checks it on more.
"""

import csv

import numpy as np
import pytest
import torch
from helpers import DATA, spparks_array

from msdl.potts.grain_growth import MCS_PER_TIME, GrainGrowth, simulate
from msdl.potts.grains import grain_count, grain_labels

KINETICS = DATA / "spparks" / "grain_growth_kinetics.csv"
MODEL = GrainGrowth(nx=128, ny=128, q=2048, kT=0.85, time=1500.0)


def spparks_mean_grains(time: float) -> float:
    """Mean grain count over the SPPARKS seeds at the snapshot nearest ``time``."""
    rows = list(csv.DictReader(KINETICS.open()))
    counts = [int(r["n_grains"]) for r in rows if abs(float(r["snapshot_time"]) - time) < 0.5]
    assert len(counts) == 3
    return float(np.mean(counts))


def test_grain_count_matches_the_reference_csv():
    assert grain_count(spparks_array("grain_growth_t100_seed12345")) == 108
    assert grain_count(spparks_array("grain_growth_t300_seed12345")) == 44
    # periodic joining matters: the same array without wrap-around has more grains
    assert grain_labels(spparks_array("grain_growth_t300_seed12345"), periodic=False)[0] > 44


def test_grain_counts_match_spparks_at_t100_t300_and_t1500():
    torch.set_num_threads(1)
    out = simulate(MODEL, seeds=range(1, 9), times=[100.0, 300.0, 1500.0])
    for time in (100.0, 300.0, 1500.0):
        ours = np.mean([grain_count(s) for s in out[time]])
        theirs = spparks_mean_grains(time)
        assert abs(ours - theirs) / theirs < 0.15, (time, ours, theirs)
    assert out[300.0].shape == (8, 128, 128) and out[300.0].min() >= 1 and out[300.0].max() <= 2048


def test_each_seed_is_the_same_alone_or_in_any_batch():
    small = GrainGrowth(nx=32, ny=24, q=50, kT=0.85, time=20.0)
    batch = simulate(small, seeds=[3, 4, 5, 6])[20.0]
    alone = simulate(small, seeds=[5])[20.0]
    pair = simulate(small, seeds=[6, 3])[20.0]
    np.testing.assert_array_equal(alone[0], batch[2])
    np.testing.assert_array_equal(pair[0], batch[3])
    np.testing.assert_array_equal(pair[1], batch[0])
    assert not np.array_equal(batch[0], batch[1])
    assert batch.shape == (4, 24, 32)
    # the time scale: time * MCS_PER_TIME sweeps, so grains have grown from single sites
    assert np.mean([grain_count(s) for s in batch]) < 0.2 * 32 * 24


def test_periodic_lattice_needs_even_sizes():
    with pytest.raises(ValueError, match="even sizes"):
        simulate(GrainGrowth(nx=31, ny=24, q=50, kT=0.85, time=1.0), seeds=[1])


def test_calibration_constant_is_documented():
    assert 1.0 < MCS_PER_TIME < 1.5
