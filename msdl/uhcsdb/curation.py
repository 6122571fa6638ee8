"""The curation steps of the report's section 9, each a function that one rule runs and
that records every micrograph's fate with a reason (nothing is lost silently).

1. :func:`select_micrographs`: join metadata and files; select; parse or recover the
   magnification; drop rows with no file, files with no row, unknown formats, excluded
   micrographs, micrographs with no sample; choose the target magnification; split
   train/test by sample.
2. :func:`rescale_micrographs`: read, crop the data bar, rescale to the target
   magnification (antialiased), save the rescaled image (not the original, unlike the
   report's script); unreadable images are dropped with the decoder's message.
3. :func:`cut_patches`: per patch size, drop images smaller than a patch, draw equation
   (2)'s random crops, drop wrong-size and low-contrast patches (counted by reason),
   cap each split if configured.
4. :func:`curation_report`: one row per micrograph (and per file) with its final fate.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from pathlib import Path

import numpy as np

from msdl.io import atomic_path
from msdl.progress import Progress
from msdl.uhcsdb.frames import UnreadableImage, crop_data_bar, read_frame, rescale, save_png
from msdl.uhcsdb.metadata import (
    MagnificationFormatError,
    Selection,
    magnification_from_scale_bar,
    median_magnification,
    parse_magnification,
    read_metadata,
)
from msdl.uhcsdb.patches import PatchCheck, crop_count, random_crops, split_by_sample

IMAGE_SUFFIXES = (".tif", ".tiff", ".png", ".bmp", ".jpg", ".jpeg")
SELECTION_FIELDS = (
    "path", "micrograph_id", "sample_key", "sample_label", "primary_microconstituent", "magnification_text",
    "magnification", "magnification_source", "split", "status", "reason",
)  # fmt: skip
RESCALE_FIELDS = (
    "path", "frame_height", "frame_width", "bar_rows", "bar_note", "scale_factor",
    "rescaled_height", "rescaled_width", "rescaled_file", "status", "reason",
)  # fmt: skip


def write_csv(path: str | Path, rows: list[dict], fields: tuple[str, ...]) -> None:
    """Rows as CSV with exactly ``fields`` as columns, atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in fields})


def read_csv(path: str | Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def reason_kind(reason: str) -> str:
    """The kind of a reason, for counting: its text up to the first detail, without
    names and sizes (``"p48x64: rescaled image 40x40 is smaller..."`` -> ``"rescaled image
    is smaller than a patch"``)."""
    first = reason.split("; ")[0]
    if re.match(r"^\w+: rescaled image", first):
        first = first.split(": ", 1)[1]
    first = re.split(r" \(|: |'", first)[0]
    first = re.sub(r" \d+x\d+", "", first)
    return first.strip() or "unknown"


def image_files(folder: str | Path) -> dict[str, Path]:
    """Image files directly in ``folder`` by name (the metadata's ``path``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: micrograph folder does not exist (config uhcsdb.micrographs)")
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES}


def select_micrographs(
    metadata_path: str | Path, folder: str | Path, settings: dict, logger: logging.Logger
) -> tuple[list[dict], dict]:
    """Step 1. Returns one row per metadata row and per unmatched file
    (:data:`SELECTION_FIELDS`; ``status`` is ``selected``, ``not selected`` or ``dropped``)
    and a summary with the target magnification and the split of samples.

    ``settings`` is config ``uhcsdb``: ``select``, ``missing_magnification`` (``drop`` or
    ``recover``), ``scale_bar_constant``, ``exclude`` ({path: reason}),
    ``target_magnification`` (None = median of the selection), ``test_fraction``, ``seed``.
    """
    metadata = read_metadata(metadata_path)
    files = image_files(folder)
    selection = Selection.from_config(settings["select"])
    exclude = settings.get("exclude") or {}
    logger.info(f"{metadata_path}: {len(metadata)} micrograph rows; {folder}: {len(files)} image files")
    rows = []
    for m in metadata:
        row = {
            "path": m.path, "micrograph_id": m.micrograph_id, "sample_key": m.sample_key, "sample_label": m.sample_label,
            "primary_microconstituent": m.primary_microconstituent, "magnification_text": m.magnification_text,
        }  # fmt: skip
        rows.append(row)
        why_not = selection.reason_out(m)
        if why_not:
            row.update(status="not selected", reason=why_not)
            continue
        row["status"] = "dropped"
        if m.path not in files:
            row["reason"] = f"metadata row has no file {m.path!r} in the micrograph folder"
        elif m.path in exclude:
            row["reason"] = f"excluded by config: {exclude[m.path]}"
        elif m.sample_key is None:
            row["reason"] = "no sample_key: cannot be split by sample"
        else:
            try:
                magnification = parse_magnification(m.magnification_text)
                source = "metadata"
            except MagnificationFormatError as err:
                row["reason"] = str(err)
                continue
            if magnification is None:
                recovered = magnification_from_scale_bar(m, settings["scale_bar_constant"])
                if settings["missing_magnification"] == "drop":
                    row["reason"] = "magnification missing (policy: drop)" + (
                        f"; the scale bar implies {recovered:.0f}X" if recovered else ""
                    )
                    continue
                if recovered is None:
                    row["reason"] = "magnification missing and the scale bar is incomplete: cannot recover"
                    continue
                magnification, source = int(round(recovered)), "scale bar"
            row.update(magnification=magnification, magnification_source=source, status="selected", reason="")
    known = {m.path for m in metadata}
    for name in files:
        if name not in known:
            rows.append({"path": name, "status": "dropped", "reason": "file has no metadata row"})

    selected = [r for r in rows if r["status"] == "selected"]
    magnifications = [r["magnification"] for r in selected]
    target = settings.get("target_magnification") or median_magnification(magnifications)
    # Weight = expected rescaled area (target / magnification)^2, so the test fraction
    # holds for patches, not just for micrographs.
    per_sample: dict[int, float] = {}
    for r in selected:
        per_sample[r["sample_key"]] = per_sample.get(r["sample_key"], 0.0) + (target / r["magnification"]) ** 2
    sample_split = split_by_sample(per_sample, settings["test_fraction"], settings["seed"])
    for r in selected:
        r["split"] = sample_split[r["sample_key"]]
    summary = {
        "metadata": str(metadata_path),
        "micrographs": str(folder),
        "rows": len(metadata),
        "files": len(files),
        "status": dict(Counter(r["status"] for r in rows)),
        "dropped": dict(Counter(reason_kind(r["reason"]) for r in rows if r["status"] == "dropped")),
        "selected_magnifications": dict(sorted(Counter(magnifications).items())),
        "target_magnification": int(target),
        "target_is_median": not settings.get("target_magnification"),
        "samples": {s: sorted(k for k, v in sample_split.items() if v == s) for s in ("train", "test")},
        "micrographs_per_split": dict(Counter(r["split"] for r in selected)),
    }
    logger.info(
        f"selected {len(selected)} micrographs from {len(per_sample)} samples; target magnification {target}X "
        f"({'median' if summary['target_is_median'] else 'configured'}); status {summary['status']}"
    )
    for r in rows:
        if r["status"] == "dropped":
            logger.info(f"dropped {r['path']}: {r['reason']}")
    return rows, summary


def rescale_micrographs(
    selection: list[dict], folder: str | Path, out_dir: str | Path, target: int, logger: logging.Logger
) -> list[dict]:
    """Step 2 for the ``selected`` rows: one row each (:data:`RESCALE_FIELDS`), ``status``
    ``rescaled`` (the PNG is written to ``out_dir``) or ``dropped``."""
    folder, out_dir = Path(folder), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = [r for r in selection if r["status"] == "selected"]
    progress = Progress(logger, len(chosen), "micrographs", every_s=20.0, what="rescale: ")
    out = []
    for r in chosen:
        row = {"path": r["path"]}
        out.append(row)
        try:
            frame = read_frame(folder / r["path"])
        except UnreadableImage as err:
            row.update(status="dropped", reason=err.reason)
            logger.info(f"dropped {r['path']}: {err}")
            progress.update()
            continue
        image, bar = crop_data_bar(frame)
        factor = target / float(r["magnification"])
        rescaled = rescale(image, factor)
        name = Path(r["path"]).stem + ".png"
        save_png(out_dir / name, rescaled)
        row.update(
            frame_height=frame.shape[0], frame_width=frame.shape[1], bar_rows=bar.rows, bar_note=bar.note,
            scale_factor=f"{factor:.6g}", rescaled_height=rescaled.shape[0], rescaled_width=rescaled.shape[1],
            rescaled_file=name, status="rescaled", reason="",
        )  # fmt: skip
        progress.update()
    return out


def cut_patches(
    selection: list[dict],
    rescaled: list[dict],
    rescaled_dir: str | Path,
    dataset: dict,
    settings: dict,
    logger: logging.Logger,
) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """Step 3 for one patch dataset (config ``datasets.<name>``: ``patch_size`` [h, w],
    ``redundancy`` r, optional ``max_train``/``max_test``).

    Returns ``({split: {"patches" (n, h, w) uint8, "micrograph_id" (n,), "sample_key" (n,)}}, summary)``;
    the summary has per-image counts (``per_image``) and rejection counts by reason.
    """
    patch_hw = tuple(dataset["patch_size"])
    check = PatchCheck(patch_hw, settings["low_contrast_fraction"])
    info = {r["path"]: r for r in selection if r["status"] == "selected"}
    done = [r for r in rescaled if r["status"] == "rescaled"]
    parts = {"train": [], "test": []}
    per_image = []
    progress = Progress(logger, len(done), "micrographs", every_s=20.0, what=f"{patch_hw[0]}x{patch_hw[1]} patches: ")
    for r in done:
        sel = info[r["path"]]
        H, W = int(r["rescaled_height"]), int(r["rescaled_width"])
        entry = {
            "path": r["path"],
            "split": sel["split"],
            "crops": 0,
            "accepted": 0,
            "low contrast": 0,
            "wrong size": 0,
        }
        per_image.append(entry)
        if H < patch_hw[0] or W < patch_hw[1]:
            entry.update(
                status="dropped", reason=f"rescaled image {H}x{W} is smaller than a {patch_hw[0]}x{patch_hw[1]} patch"
            )
            logger.info(f"dropped {r['path']}: {entry['reason']}")
            progress.update()
            continue
        from PIL import Image

        with Image.open(Path(rescaled_dir) / r["rescaled_file"]) as im:
            image = np.asarray(im.convert("L"), dtype=np.uint8)
        count = crop_count(H, W, patch_hw, dataset["redundancy"])
        crops, _ = random_crops(image, patch_hw, count, settings["seed"], int(sel["micrograph_id"]))
        accepted, rejected = check.filter(crops)
        entry.update(crops=count, accepted=len(accepted), status="used" if len(accepted) else "dropped", **rejected)
        entry["reason"] = "" if len(accepted) else "every patch rejected (low contrast or wrong size)"
        ids = np.full(len(accepted), int(sel["micrograph_id"]), dtype=np.int64)
        parts[sel["split"]].append((accepted, ids, np.full(len(accepted), int(sel["sample_key"]), dtype=np.int64)))
        progress.update()

    out, capped = {}, {}
    for split, chunks in parts.items():
        patches = np.concatenate([c[0] for c in chunks]) if chunks else np.zeros((0, *patch_hw), np.uint8)
        ids = np.concatenate([c[1] for c in chunks]) if chunks else np.zeros(0, np.int64)
        samples = np.concatenate([c[2] for c in chunks]) if chunks else np.zeros(0, np.int64)
        cap = dataset.get(f"max_{split}")
        if cap is not None and len(patches) > cap:
            keep = np.sort(
                np.random.default_rng([settings["seed"], 1 if split == "test" else 0]).permutation(len(patches))[:cap]
            )
            capped[split] = {"available": int(len(patches)), "kept": int(cap)}
            patches, ids, samples = patches[keep], ids[keep], samples[keep]
        out[split] = {"patches": patches, "micrograph_id": ids, "sample_key": samples}
    summary = {
        "patch_size": list(patch_hw),
        "redundancy": dataset["redundancy"],
        "crops_drawn": int(sum(e["crops"] for e in per_image)),
        "rejected": dict(check.rejected),
        "capped": capped,
        "n": {s: int(len(v["patches"])) for s, v in out.items()},
        "samples": {s: sorted({int(k) for k in v["sample_key"]}) for s, v in out.items()},
        "micrographs": {s: int(len(set(v["micrograph_id"].tolist()))) for s, v in out.items()},
        "per_image": per_image,
    }
    overlap = set(summary["samples"]["train"]) & set(summary["samples"]["test"])
    if overlap:  # cannot happen by construction; a loud failure if it ever does
        raise AssertionError(f"samples {sorted(overlap)} are in both train and test")
    logger.info(
        f"{patch_hw[0]}x{patch_hw[1]}: {summary['crops_drawn']} crops drawn, rejected {summary['rejected']}, "
        f"kept train {summary['n']['train']} / test {summary['n']['test']}" + (f", capped {capped}" if capped else "")
    )
    return out, summary


def save_pool(path: str | Path, pool: dict[str, dict[str, np.ndarray]]) -> None:
    """The accepted patches of both splits in one ``.npz`` (plain arrays, no pickle), atomically."""
    arrays = {f"{split}_{key}": value for split, part in pool.items() for key, value in part.items()}
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)


def load_pool(path: str | Path, split: str) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {key[len(split) + 1 :]: data[key] for key in data.files if key.startswith(split + "_")}


REPORT_FIELDS = SELECTION_FIELDS[:-2] + ("scale_factor", "rescaled_height", "rescaled_width", "bar_rows")


def curation_report(
    selection: list[dict], rescaled: list[dict], patches: dict[str, dict], frames_label: str
) -> tuple[list[dict], list[str], str]:
    """Step 4: every micrograph's final fate. Returns ``(rows, fields, summary markdown)``;
    ``patches`` maps dataset name to :func:`cut_patches`' summary."""
    by_path = {r["path"]: r for r in rescaled}
    per_dataset = {name: {e["path"]: e for e in s["per_image"]} for name, s in patches.items()}
    fields = list(REPORT_FIELDS)
    for name in patches:
        fields += [f"{name}_patches", f"{name}_rejected"]
    fields += ["fate", "reason"]
    out = []
    for s in selection:
        row = {k: s.get(k, "") for k in SELECTION_FIELDS[:-2]}
        row["fate"], row["reason"] = s["status"], s.get("reason", "")
        r = by_path.get(s["path"])
        if r is not None:
            row.update({k: r.get(k, "") for k in ("scale_factor", "rescaled_height", "rescaled_width", "bar_rows")})
            if r["status"] != "rescaled":
                row["fate"], row["reason"] = "dropped", r["reason"]
            else:
                used, reasons = [], []
                for name, entries in per_dataset.items():
                    e = entries.get(s["path"], {})
                    row[f"{name}_patches"] = e.get("accepted", 0)
                    row[f"{name}_rejected"] = "; ".join(
                        f"{k} {e[k]}" for k in ("low contrast", "wrong size") if e.get(k)
                    )
                    if e.get("status") == "used":
                        used.append(name)
                    else:
                        reasons.append(f"{name}: {e.get('reason', '')}")
                row["fate"] = "used" if used else "dropped"
                row["reason"] = "; ".join(reasons)
        out.append(row)
    fates = Counter(r["fate"] for r in out)
    dropped = Counter(reason_kind(r["reason"]) for r in out if r["fate"] == "dropped")
    lines = [
        "# UHCSDB curation report",
        "",
        f"Frames: **{frames_label}**",
        "",
        f"{len(out)} micrographs/files: " + ", ".join(f"{v} {k}" for k, v in sorted(fates.items())),
        "",
        "## Dropped, by reason",
        "",
        *[f"- {v} x {k}" for k, v in sorted(dropped.items(), key=lambda kv: -kv[1]) if k],
        "",
        "## Patch datasets",
        "",
        "| dataset | patch | crops drawn | low contrast | wrong size | train | test | train samples | test samples |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in patches.items():
        lines.append(
            f"| {name} | {s['patch_size'][0]}x{s['patch_size'][1]} | {s['crops_drawn']} | {s['rejected'].get('low contrast', 0)} | "
            f"{s['rejected'].get('wrong size', 0)} | {s['n']['train']} | {s['n']['test']} | {len(s['samples']['train'])} | {len(s['samples']['test'])} |"
        )
    return out, fields, "\n".join(lines) + "\n"
