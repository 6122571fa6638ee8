"""Localization datasets: shards of (microstructure, strain, stress) SVEs (report section 4).

One shard is one ``.npy`` array ``(n, C, N, N, N)`` float32 plus its manifest
(:mod:`msdl.shards`), with channels

- ``phase``: 0 soft / 1 hard;
- ``strain_xx``: eps_xx (dimensionless), mean 0.001 by construction;
- ``stress_xx``: sigma_xx in the modulus unit of the config;
- with ``full_tensors: true`` also the other five strain and stress components, Voigt
  order ``yy, zz, yz, xz, xy`` (tensor shears).

The manifest lists ``channels``, the SVE ``names`` (``M_gaussian_...``), their realised
volume fractions, and for generated data the solver iterations and residuals and the
``elastic`` settings (including ``refine``, the sub-voxels per voxel edge of the labels).

Two sources fill the same shards:

- ``elastic_composites``: :func:`msdl.localization.composites.composite` microstructures solved with
  :func:`msdl.localization.elastic.solve` (our own labels);
- ``mks_import``: the original MKS/MATIN files of a user, one ``.npy`` per SVE:
  ``<source_dir>/**/M_gaussian_*.npy`` (microstructure), ``Strain.Resp_<name>.npy`` and
  ``Stress.Resp_<name>.npy`` (responses), found anywhere below ``source_dir``. Seed ``s``
  of the dataset is the ``s``-th complete SVE in the order of :func:`msdl.localization.composites.seed_of`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from msdl.device import resolve_device
from msdl.localization.composites import composite, name_of, seed_of
from msdl.localization.elastic import VOIGT, ElasticSetup, solve
from msdl.progress import Progress
from msdl.shards import Shard, write_shard


def channels(full_tensors: bool) -> list[str]:
    """Channel names of a shard array."""
    if not full_tensors:
        return ["phase", "strain_xx", "stress_xx"]
    return ["phase"] + [f"strain_{c}" for c in VOIGT] + [f"stress_{c}" for c in VOIGT]


def elastic_setup(dataset: dict) -> ElasticSetup:
    """The solver settings of a dataset config entry (``elastic:`` block; ``refine``
    optional, default 1: one element per voxel)."""
    e = dataset["elastic"]
    return ElasticSetup(
        young=tuple(float(v) for v in e["young"]),
        poisson=tuple(float(v) for v in e["poisson"]),
        macro_strain=(float(e["strain_xx"]), 0.0, 0.0, 0.0, 0.0, 0.0),
        discretization=e["discretization"],
        rtol=float(e["rtol"]),
        refine=e.get("refine", 1),
    )


def generate_composite_shard(
    name: str,
    dataset: dict,
    shard: Shard,
    array_path: str | Path,
    manifest_path: str | Path,
    logger: logging.Logger,
    device: str = "cpu",
) -> dict:
    """Generate and solve one shard of an ``elastic_composites`` dataset; return the manifest."""
    size = int(dataset["size"])
    vf_range = tuple(float(v) for v in dataset["volume_fraction"])
    setup = elastic_setup(dataset)
    full = bool(dataset["full_tensors"])
    batch = int(dataset["elastic"]["batch"])
    device = str(resolve_device(device))
    seeds = list(shard.seeds)
    out = np.empty((len(seeds), len(channels(full)), size, size, size), dtype=np.float32)
    fractions, iterations, residuals = [], [], []
    progress = Progress(logger, len(seeds), "SVEs", every_s=30.0, what=f"{name} {shard.split} {shard.name}: ")
    for start in range(0, len(seeds), batch):
        chunk = seeds[start : start + batch]
        phases = np.stack([composite(name, s, size, vf_range)[0] for s in chunk])
        res = solve(phases, setup, device=device)
        strain, stress = res.strain.cpu().numpy(), res.stress.cpu().numpy()
        for b, seed in enumerate(chunk):
            i = start + b
            out[i, 0] = phases[b]
            if full:
                out[i, 1:7], out[i, 7:13] = strain[b], stress[b]
            else:
                out[i, 1], out[i, 2] = strain[b, 0], stress[b, 0]
            fractions.append(float(phases[b].mean()))
        iterations += res.iterations.tolist()
        residuals += res.residual.tolist()
        progress.update(len(chunk))
    logger.info(
        f"{name} {shard.split} {shard.name}: CG iterations min/mean/max {min(iterations)}/{np.mean(iterations):.1f}/{max(iterations)}"
    )
    return write_shard(
        array_path,
        manifest_path,
        out,
        shard,
        dataset=name,
        generator="elastic_composites",
        stream=name,
        channels=channels(full),
        names=[name_of(s) for s in seeds],
        volume_fractions=fractions,
        solver_iterations=iterations,
        solver_residuals=residuals,
        elastic={**dataset["elastic"], "refine": int(setup.refine)},  # refine recorded even when defaulted
        device=device,
    )


# ---------------------------------------------------------------------------------------
# Importer for the original MKS files
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MksFiles:
    """The three files of one original SVE."""

    name: str
    microstructure: Path
    strain: Path
    stress: Path


def find_mks_files(source_dir: str | Path) -> list[MksFiles]:
    """Every complete SVE below ``source_dir`` in seed order (:func:`msdl.localization.composites.seed_of`).

    Microstructure files without both responses are skipped (the report's link scripts
    drop such broken links too); a name outside the naming scheme is an error naming it.
    """
    source_dir = Path(source_dir)
    if not source_dir.is_dir():
        raise FileNotFoundError(f"mks_import source_dir {source_dir}: no such directory")
    micro, strain, stress = {}, {}, {}
    for path in source_dir.rglob("*.npy"):
        stem = path.name[: -len(".npy")]
        if stem.startswith("M_gaussian_"):
            micro[stem] = path
        elif stem.startswith("Strain.Resp_M_gaussian_"):
            strain[stem[len("Strain.Resp_") :]] = path
        elif stem.startswith("Stress.Resp_M_gaussian_"):
            stress[stem[len("Stress.Resp_") :]] = path
    for stem in micro:
        seed_of(stem)  # raises for a name outside the scheme
    complete = sorted((s for s in micro if s in strain and s in stress), key=seed_of)
    return [MksFiles(s, micro[s], strain[s], stress[s]) for s in complete]


def _load_field(path: Path, size: int | None) -> np.ndarray:
    try:
        a = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise ValueError(f"{path}: not a plain .npy array ({err})") from None
    a = np.squeeze(a)
    if a.ndim != 3 or len(set(a.shape)) != 1 or (size is not None and a.shape[0] != size):
        want = f"{size}^3" if size else "a cube"
        raise ValueError(
            f"{path}: shape {np.load(path, allow_pickle=False).shape}, expected {want} (leading singleton axes allowed)"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{path}: contains NaN or infinite values")
    return a


def import_mks_shard(
    name: str, dataset: dict, shard: Shard, array_path: str | Path, manifest_path: str | Path, logger: logging.Logger
) -> dict:
    """Copy one shard's worth of original SVE files into a shard; return the manifest."""
    files = find_mks_files(dataset["source_dir"])
    if shard.stop_seed > len(files):
        raise ValueError(
            f"dataset {name}: seeds up to {shard.stop_seed - 1} need {shard.stop_seed} complete SVEs but "
            f"{dataset['source_dir']} holds {len(files)}; lower seeds.n_train/n_test"
        )
    size = int(dataset["size"])
    out = np.empty((len(shard.seeds), 3, size, size, size), dtype=np.float32)
    progress = Progress(logger, len(shard.seeds), "SVEs", every_s=30.0, what=f"{name} {shard.split} {shard.name}: ")
    names = []
    for i, seed in enumerate(shard.seeds):
        f = files[seed]
        phase = _load_field(f.microstructure, size)
        if not np.isin(phase, (0, 1)).all():
            raise ValueError(f"{f.microstructure}: phases must be 0/1, found values {np.unique(phase)[:5].tolist()}")
        out[i, 0], out[i, 1], out[i, 2] = phase, _load_field(f.strain, size), _load_field(f.stress, size)
        names.append(f.name)
        progress.update()
    return write_shard(
        array_path,
        manifest_path,
        out,
        shard,
        dataset=name,
        generator="mks_import",
        source_dir=str(dataset["source_dir"]),
        channels=channels(False),
        names=names,
        volume_fractions=[float(v) for v in out[:, 0].mean(axis=(1, 2, 3))],
    )
