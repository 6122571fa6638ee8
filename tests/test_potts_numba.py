"""The numba CPU kernel against the torch kernel: the same spins, byte for byte, per model.

Both kernels hash the same (seed, update, site) counters and make the same float32
comparisons (the melt pools' mobilities come from the same torch code), so any
difference is a bug. Small lattices and short runs keep this fast; the numba kernels are
compiled once and cached by numba.
"""

import dataclasses

import numba
import numpy as np
import pytest
import torch
import yaml
from helpers import ROOT

from msdl.potts.grain_growth import GrainGrowth
from msdl.potts.grain_growth import simulate as grain_growth
from msdl.potts.lattice import choose_kernel
from msdl.potts.melt_pool import AmEllipsoid, Weld
from msdl.potts.melt_pool import simulate as melt_pool
from msdl.potts.numba_kernels import set_threads

DATASETS = yaml.safe_load((ROOT / "config.yaml").read_text())["datasets"]


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)
    yield
    set_threads(1)


def test_grain_growth_numba_equals_torch_at_every_snapshot():
    model = GrainGrowth(nx=40, ny=32, q=300, kT=0.85, time=30.0)
    times = [0.0, 2.0, 10.0, 30.0]
    torch_out = grain_growth(model, [11, 12, 13], times=times, kernel="torch")
    numba_out = grain_growth(model, [11, 12, 13], times=times, kernel="numba")
    assert sorted(numba_out) == times
    for t in times:
        assert numba_out[t].dtype == np.int32 and numba_out[t].shape == (3, 32, 40)
        np.testing.assert_array_equal(numba_out[t], torch_out[t], err_msg=f"t = {t}")
    # the run did something: grains grew from one-site grains
    assert len(np.unique(numba_out[30.0][0])) < 0.5 * len(np.unique(numba_out[0.0][0]))


def test_grain_growth_numba_equals_torch_at_kT_0():
    # kT = 0 takes the other branch of the acceptance table (dE <= 0 only)
    model = GrainGrowth(nx=24, ny=24, q=20, kT=0.0, time=15.0)
    numba_spins, torch_spins = (grain_growth(model, [5], kernel=k)[15.0] for k in ("numba", "torch"))
    np.testing.assert_array_equal(numba_spins, torch_spins)


def test_weld_numba_equals_torch():
    # the pool enters the 60-site strip at t ~ 0 and half crosses it by t = 4
    weld = dataclasses.replace(Weld.from_config(DATASETS["kmc_weld"]), ny=60, time=4.0)
    numba_spins = melt_pool(weld, "potts_weld", [7, 8], kT=0.25, kernel="numba")
    torch_spins = melt_pool(weld, "potts_weld", [7, 8], kT=0.25, kernel="torch")
    np.testing.assert_array_equal(numba_spins, torch_spins)
    assert numba_spins.shape == (2, 60, 200) and (numba_spins[:, :5] < weld.nspins).all()


def test_am_ellipsoid_numba_equals_torch():
    # one pass of the report's pool over a 40 x 20 strip, started 20 sites before it
    am = dataclasses.replace(AmEllipsoid.from_config(DATASETS["kmc_additive"]), nx=40, ny=20, offset_x=-20.0)
    assert am.passes == [0] and am.end_time == pytest.approx(8.0)
    numba_spins = melt_pool(am, "am_ellipsoid", [1, 2], kT=0.0, kernel="numba")
    torch_spins = melt_pool(am, "am_ellipsoid", [1, 2], kT=0.0, kernel="torch")
    np.testing.assert_array_equal(numba_spins, torch_spins)
    # the pool melted the strip and grains regrew: far fewer than the 800 one-site grains
    assert len(np.unique(numba_spins[0])) < 200


def test_numba_seed_is_the_same_alone_in_any_batch_and_thread_count():
    model = GrainGrowth(nx=32, ny=24, q=50, kT=0.85, time=20.0)
    batch = grain_growth(model, [3, 4, 5, 6])[20.0]
    alone = grain_growth(model, [5])[20.0]
    set_threads(2)
    assert numba.get_num_threads() == min(2, numba.config.NUMBA_NUM_THREADS)
    pair = grain_growth(model, [6, 3])[20.0]
    np.testing.assert_array_equal(alone[0], batch[2])
    np.testing.assert_array_equal(pair[0], batch[3])
    np.testing.assert_array_equal(pair[1], batch[0])
    assert not np.array_equal(batch[0], batch[1])
    weld = dataclasses.replace(Weld.from_config(DATASETS["kmc_weld"]), ny=40, time=2.0)
    alone, batch = melt_pool(weld, "potts_weld", [9], kT=0.25), melt_pool(weld, "potts_weld", [8, 9, 10], kT=0.25)
    np.testing.assert_array_equal(alone[0], batch[1])


def test_kernel_choice():
    assert choose_kernel(None, torch.device("cpu")) == "numba"
    assert choose_kernel(None, torch.device("cuda")) == "torch"
    assert choose_kernel("torch", torch.device("cpu")) == "torch"
    with pytest.raises(ValueError, match="'numba' runs on the CPU"):
        choose_kernel("numba", torch.device("cuda"))
    with pytest.raises(ValueError, match="expected 'numba' or 'torch'"):
        choose_kernel("numpy", torch.device("cpu"))
    assert set_threads(10_000) == numba.config.NUMBA_NUM_THREADS
