"""Potts dataset shards: what one generation job does (one job per shard of seeds).

``potts_grain_growth``, ``am_ellipsoid`` and ``potts_weld`` shards hold the rendered
grain-boundary images ``(n, H, W)`` uint8 (1 grain, 0 boundary) of their seeds, from the
dataset's ``engine``: ``builtin`` simulates the shard's seeds in batches on the training
device (a GPU when present), ``spparks`` runs SPPARKS once per seed. ``downsample``
shards are their source shard area-averaged to the AE's input size (float32 in [0, 1]).

Each job function is what one Snakemake rule runs (workflow/rules/potts.smk; the scripts
only unpack ``snakemake``); ``log`` is the rule's log file (``None``: stderr).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch

from msdl.device import resolve_device
from msdl.figures import microstructure_grid
from msdl.grain_images import downsample
from msdl.potts import grain_growth, melt_pool
from msdl.potts.lattice import choose_kernel
from msdl.potts.numba_kernels import set_threads
from msdl.potts.render import render, rendered_size
from msdl.potts.spparks import SpparksCommand, SpparksError, run_spparks
from msdl.progress import Progress, format_seconds, get_logger
from msdl.shards import Shard, load_shard, write_shard

#: Sites per builtin batch: bounds memory (~100 B per site and sample, see benchmarks/potts_engine.py).
SITES_PER_BATCH = 1 << 21

#: The random stream of each generator (seeds of different datasets are independent).
STREAMS = {"potts_grain_growth": "potts_grain_growth", "am_ellipsoid": "am_ellipsoid", "potts_weld": "potts_weld"}


def batch_size(dataset: dict) -> int:
    """Seeds simulated together by the builtin engine."""
    nx, ny = dataset["sites"]
    return max(1, SITES_PER_BATCH // (nx * ny))


def builtin_spins(
    dataset: dict, seeds: list[int], device: torch.device, on_sweep=None, kernel: str | None = None
) -> np.ndarray:
    """Final spins ``(n, ny, nx)`` int32 of ``seeds`` from the builtin engine (one batch);
    ``kernel`` as :func:`msdl.potts.lattice.choose_kernel` (default: numba on the CPU)."""
    generator = dataset["generator"]
    if generator == "potts_grain_growth":
        model = grain_growth.GrainGrowth.from_config(dataset)
        return grain_growth.simulate(model, seeds, device, on_sweep=on_sweep, kernel=kernel)[model.time]
    if generator == "am_ellipsoid":
        model = melt_pool.AmEllipsoid.from_config(dataset)
        return melt_pool.simulate(model, STREAMS[generator], seeds, 0.0, device, on_sweep, kernel)
    if generator == "potts_weld":
        model = melt_pool.Weld.from_config(dataset)
        return melt_pool.simulate(model, STREAMS[generator], seeds, model.kT, device, on_sweep, kernel)
    raise ValueError(f"generator {generator!r} is not a Potts generator")


def generate_potts_shard(
    name: str,
    dataset: dict,
    shard: Shard,
    array_path: str | Path,
    manifest_path: str | Path,
    device: str = "auto",
    spparks: dict | None = None,
    threads: int | None = None,
    time_limit_s: float | None = None,
    log: str | None = None,
) -> dict:
    """Simulate and render one shard; write it atomically with its manifest.

    ``device`` is config ``device`` (the builtin engine's); ``threads`` (the rule's) run
    torch and the numba kernel, which simulates the seeds of a batch on the CPU.
    ``time_limit_s`` is the job's budget (the rule's ``runtime``): a SPPARKS run that
    would outlast it is killed and named (seed, deck) before the scheduler kills the job
    without a word; a margin is kept for rendering and writing the shard.
    """
    if threads:
        torch.set_num_threads(threads)
        set_threads(threads)
    logger = get_logger("potts", log)
    device = resolve_device(device)
    seeds = list(shard.seeds)
    images = np.empty((len(seeds), *rendered_size(dataset)), dtype=np.uint8)
    what = f"{name} {shard.split} {shard.name}: "
    start = time.perf_counter()
    if dataset["engine"] == "spparks":
        command = SpparksCommand(**(spparks or {}))
        progress = Progress(logger, len(seeds), "seeds", every_s=30.0, what=what)
        deadline = None if time_limit_s is None else start + time_limit_s - min(60.0, 0.05 * time_limit_s)
        for i, seed in enumerate(seeds):
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None and left <= 0:
                raise SpparksError(
                    f"{what}seed {seed}: no time left of the job's {time_limit_s:.0f} s limit "
                    f"(the rule's runtime); {i} of {len(seeds)} seeds done, nothing written"
                )
            images[i] = render(run_spparks(dataset, seed, command, timeout_s=left), dataset)
            progress.update()
        engine = {"engine": "spparks", "spparks": spparks}
    else:
        size = batch_size(dataset)
        n_batches = math.ceil(len(seeds) / size)
        logger.info(f"{what}{len(seeds)} seeds in {n_batches} batches of <= {size} on {device}")
        progress = None
        for b in range(n_batches):
            chunk = seeds[b * size : (b + 1) * size]

            def on_sweep(done: int, total: int, b=b) -> None:
                nonlocal progress
                if progress is None:
                    progress = Progress(logger, total * n_batches, "sweeps", every_s=30.0, what=what)
                progress.update()

            spins = builtin_spins(dataset, chunk, device, on_sweep)
            for i, s in enumerate(spins):
                images[b * size + i] = render(s, dataset)
        engine = {"engine": "builtin", "device": str(device), "kernel": choose_kernel(None, device)}
        if dataset["generator"] == "potts_grain_growth":
            engine["mcs_per_time"] = grain_growth.MCS_PER_TIME
    logger.info(f"{what}done in {format_seconds(time.perf_counter() - start)}")
    return write_shard(
        array_path,
        manifest_path,
        images,
        shard,
        dataset=name,
        generator=dataset["generator"],
        parameters={k: v for k, v in dataset.items() if k not in ("seeds", "shard_size", "engine")},
        value_range=[0.0, 1.0],
        **engine,
    )


def downsample_shard(
    name: str,
    dataset: dict,
    source_array: str | Path,
    array_path: str | Path,
    manifest_path: str | Path,
    log: str | None = None,
) -> dict:
    """Area-average one source shard to ``image_size``; write it with its manifest."""
    logger = get_logger("downsample", log)
    images, source = load_shard(source_array)
    shard = Shard.from_manifest(source)
    small = downsample(images, tuple(dataset["image_size"]))
    logger.info(f"{name} {shard.split} {shard.name}: {images.shape[1:]} -> {small.shape[1:]} for {len(small)} images")
    return write_shard(
        array_path,
        manifest_path,
        small,
        shard,
        dataset=name,
        generator="downsample",
        source=dataset["source"],
        source_sha256=source["sha256"],
        image_size=list(dataset["image_size"]),
        source_image_size=list(images.shape[1:]),
        value_range=[0.0, 1.0],
    )


#: The report's figure of each generator's 3x3 grid.
GRID_FIGURES = {"am_ellipsoid": "2-3", "potts_weld": "2-4", "potts_grain_growth": "2-5"}


def figure_microstructure_grid(name: str, shard_array: str | Path, out_png: str | Path, log: str | None = None) -> None:
    """Figures 2-3, 2-4, 2-5: the first (up to) 9 images of a test shard, 3x3."""
    images, manifest = load_shard(shard_array)
    first = manifest["seeds"]["first"]
    n = min(9, len(images))
    microstructure_grid(
        images[:n],
        out_png,
        f"{name} ({manifest['generator']}, {manifest['engine']} engine), test seeds "
        f"{first}..{first + n - 1} (report Figure {GRID_FIGURES[manifest['generator']]})",
    )
    get_logger("figures", log).info(f"{out_png}: {n} images {images.shape[1:]}")
