"""The UHCSDB rules' jobs: read inputs, run one curation step, write its outputs atomically.

Each function is what one Snakemake rule runs (scripts/uhcsdb_*.py only unpack
``snakemake``); ``log`` is the rule's log file (``None``: stderr). Tests call them directly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from msdl.io import write_json, write_text
from msdl.progress import get_logger
from msdl.shards import shard_plan, write_shard
from msdl.uhcsdb import STANDIN_LABEL, curation, frames_label
from msdl.uhcsdb.metadata import write_metadata_csv
from msdl.uhcsdb.standins import EXCERPT, write_standins


def make_standins(frames_dir: str | Path, metadata_csv: str | Path, log: str | None = None) -> None:
    """Stand-in frames for :data:`EXCERPT` (real rows) and the excerpt as a metadata CSV."""
    logger = get_logger("uhcsdb.standins", log)
    Path(frames_dir).mkdir(parents=True, exist_ok=True)
    paths = write_standins(frames_dir, EXCERPT)
    write_metadata_csv(metadata_csv, list(EXCERPT))
    logger.info(
        f"{STANDIN_LABEL}: wrote {len(paths)} frames to {frames_dir} and {len(EXCERPT)} real metadata rows to {metadata_csv}"
    )


def select(metadata: str, frames_dir: str, settings: dict, out_csv: str, out_json: str, log: str | None = None) -> dict:
    logger = get_logger("uhcsdb.select", log)
    rows, summary = curation.select_micrographs(metadata, frames_dir, settings, logger)
    summary["frames"] = frames_label(settings)
    curation.write_csv(out_csv, rows, curation.SELECTION_FIELDS)
    write_json(out_json, summary)
    return summary


def rescale(
    selection_csv: str, selection_json: str, frames_dir: str, out_dir: str, out_csv: str, log: str | None = None
) -> list[dict]:
    logger = get_logger("uhcsdb.rescale", log)
    target = json.loads(Path(selection_json).read_text())["target_magnification"]
    rows = curation.rescale_micrographs(curation.read_csv(selection_csv), frames_dir, out_dir, target, logger)
    curation.write_csv(out_csv, rows, curation.RESCALE_FIELDS)
    return rows


def patches(
    name: str,
    dataset: dict,
    settings: dict,
    selection_csv: str,
    rescaled_csv: str,
    rescaled_dir: str,
    out_pool: str,
    out_json: str,
    log: str | None = None,
) -> dict:
    """Cut one patch dataset; a clear error if a split ends up empty."""
    logger = get_logger("uhcsdb.patches", log)
    pool, summary = curation.cut_patches(
        curation.read_csv(selection_csv), curation.read_csv(rescaled_csv), rescaled_dir, dataset, settings, logger
    )
    empty = [s for s, n in summary["n"].items() if n == 0]
    if empty:
        raise ValueError(
            f"datasets.{name}: no {' and no '.join(empty)} patches (train samples {summary['samples']['train']}, "
            f"test samples {summary['samples']['test']}); see {rescaled_csv} and the log, or change uhcsdb.test_fraction/select"
        )
    summary.update(dataset=name, frames=frames_label(settings))
    curation.save_pool(out_pool, pool)
    write_json(out_json, summary)
    return summary


def patch_shard(
    name: str,
    pool_path: str,
    summary_path: str,
    shard_size: int,
    split: str,
    index: int | str,
    out_array: str,
    out_manifest: str,
    log: str | None = None,
) -> dict:
    """One shard of a patch dataset: patches ``[first, stop)`` of the split's pool as float32
    in [0, 1] (``seeds`` are patch indices: train 0..n_train-1, then test); ``index`` as an
    int or as its wildcard (``"0003"``)."""
    index = int(index)
    summary = json.loads(Path(summary_path).read_text())
    shard = next(
        (
            s
            for s in shard_plan(0, summary["n"]["train"], summary["n"]["test"], shard_size)
            if s.split == split and s.index == index
        ),
        None,
    )
    if shard is None:
        raise ValueError(
            f"datasets.{name}: no {split} shard {index} for {summary['n']} patches in shards of {shard_size}"
        )
    offset = 0 if split == "train" else summary["n"]["train"]
    part = curation.load_pool(pool_path, split)
    rows = slice(shard.first_seed - offset, shard.stop_seed - offset)
    images = part["patches"][rows].astype(np.float32) / np.float32(255.0)
    manifest = write_shard(
        out_array, out_manifest, images, shard,
        dataset=name, generator="uhcsdb_patches", frames=summary["frames"], patch_size=summary["patch_size"],
        micrograph_ids=sorted({int(v) for v in part["micrograph_id"][rows]}),
        sample_keys=sorted({int(v) for v in part["sample_key"][rows]}),
    )  # fmt: skip
    get_logger("uhcsdb.shard", log).info(
        f"{out_array}: {len(images)} patches from micrographs {manifest['micrograph_ids']}"
    )
    return manifest


def report(
    selection_csv: str,
    rescaled_csv: str,
    datasets: list[str],
    summaries: list[str],
    label: str,
    out_csv: str,
    out_md: str,
    log: str | None = None,
) -> None:
    """Every micrograph's fate and reason (CSV) and a summary (Markdown); ``summaries``
    are the ``patches.json`` files of ``datasets``, in the same order."""
    rows, fields, text = curation.curation_report(
        curation.read_csv(selection_csv),
        curation.read_csv(rescaled_csv),
        {name: json.loads(Path(p).read_text()) for name, p in zip(datasets, summaries)},
        label,
    )
    curation.write_csv(out_csv, rows, tuple(fields))
    write_text(out_md, text)
    get_logger("uhcsdb.report", log).info("\n" + text)


def inpainting(
    rescaled_csv: str,
    rescaled_dir: str,
    settings: dict,
    label: str,
    out_array: str,
    out_manifest: str,
    out_csv: str,
    out_figure: str,
    log: str | None = None,
) -> list[dict]:
    """Figure 2-6: inpainted variants of one rescaled micrograph as a shard, their
    two-point closeness (CSV); ``settings`` is config ``uhcsdb.inpainting``."""
    from msdl.uhcsdb.augment import inpainting_job  # matplotlib: not needed by the other rules

    return inpainting_job(
        curation.read_csv(rescaled_csv),
        rescaled_dir,
        settings,
        label,
        out_array,
        out_manifest,
        out_csv,
        out_figure,
        get_logger("uhcsdb.inpainting", log),
    )


def dataset_index(name: str, arrays: list[str], out_json: str, log: str | None = None) -> dict:
    """Check every shard (checksums via :func:`load_shard`) and write an index: shards,
    patches and samples per split. Raises if a sample is on both sides of the split."""
    from msdl.shards import load_shard

    index = {"dataset": name, "splits": {}}
    for path in arrays:
        images, manifest = load_shard(path)
        split = index["splits"].setdefault(
            manifest["split"], {"shards": [], "patches": 0, "samples": set(), "micrographs": set()}
        )
        # relative to the index: the same bytes wherever the results folder lives
        split["shards"].append(
            {
                "array": os.path.relpath(path, Path(out_json).parent),
                "patches": len(images),
                "sha256": manifest["sha256"],
            }
        )
        split["patches"] += len(images)
        split["samples"].update(manifest["sample_keys"])
        split["micrographs"].update(manifest["micrograph_ids"])
        index["frames"] = manifest["frames"]
    both = index["splits"].get("train", {}).get("samples", set()) & index["splits"].get("test", {}).get(
        "samples", set()
    )
    if both:
        raise ValueError(f"datasets.{name}: samples {sorted(both)} are in both train and test shards")
    for split in index["splits"].values():
        split["samples"], split["micrographs"] = sorted(split["samples"]), sorted(split["micrographs"])
    write_json(out_json, index)
    get_logger("uhcsdb.index", log).info(
        f"{name}: "
        + ", ".join(
            f"{s} {v['patches']} patches in {len(v['shards'])} shards from {len(v['samples'])} samples"
            for s, v in index["splits"].items()
        )
    )
    return index
