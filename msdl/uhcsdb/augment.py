"""Inpainting augmentation (report section 2.5, Figure 2-6): variants of one micrograph
made by masking random rectangles and refilling them with :func:`inpainting.inpaint`,
written as a shard (usable as extra training data), with a two-point-statistics report
of how close each filled region is to the original (and, as a yardstick, how close a
plain diffusion fill of the same holes is)."""

from __future__ import annotations

import logging
import string
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.filters import threshold_otsu

from msdl.figures import save_figure
from msdl.progress import Progress
from msdl.shards import Shard, write_shard
from msdl.uhcsdb.inpainting import closeness, diffusion_fill, inpaint, random_mask

CLOSENESS_FIELDS = (
    "variant", "hole_fraction", "s2_rms_inpainted", "s2_rms_diffusion", "carbide_fraction_original",
    "carbide_fraction_inpainted", "carbide_fraction_diffusion", "pixel_rmse_inpainted", "pixel_rmse_diffusion",
)  # fmt: skip


def pick_micrograph(rescaled: list[dict], wanted: str | None, crop_hw: tuple[int, int]) -> dict:
    """The rescaled row to augment: ``wanted`` (a metadata path), else the first one at
    the target magnification (scale factor 1) that is at least ``crop_hw``."""
    rows = [r for r in rescaled if r["status"] == "rescaled"]
    if wanted:
        match = [r for r in rows if r["path"] == wanted]
        if not match:
            raise ValueError(f"uhcsdb.inpainting.micrograph: {wanted!r} is not among the rescaled micrographs")
        return match[0]
    big = [r for r in rows if int(r["rescaled_height"]) >= crop_hw[0] and int(r["rescaled_width"]) >= crop_hw[1]]
    exact = [r for r in big if float(r["scale_factor"]) == 1.0]
    if not (exact or big):
        raise ValueError(f"uhcsdb.inpainting: no rescaled micrograph of at least {crop_hw[0]}x{crop_hw[1]} pixels")
    return (exact or big)[0]


def make_variants(
    image: np.ndarray, settings: dict, logger: logging.Logger
) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """``(variants (n, H, W) float32, masks (n, H, W) bool, closeness rows)`` of ``image`` in [0, 1]."""
    threshold = float(threshold_otsu(image))
    variants, masks, rows = [], [], []
    progress = Progress(logger, settings["variants"], "variants", every_s=10.0, what="inpainting: ")
    for k in range(settings["variants"]):
        rng = np.random.default_rng([settings["seed"], k])
        mask = random_mask(image.shape, settings["holes"], tuple(settings["hole_size"]), rng)
        filled = inpaint(image, mask, patch=settings["patch"], seed=settings["seed"] * 1000 + k)
        baseline = diffusion_fill(image, mask)
        a, b = closeness(image, filled, mask, threshold), closeness(image, baseline, mask, threshold)
        rows.append({
            "variant": k, "hole_fraction": round(float(mask.mean()), 5),
            "s2_rms_inpainted": a["s2_rms_difference"], "s2_rms_diffusion": b["s2_rms_difference"],
            "carbide_fraction_original": a["carbide_fraction_original"], "carbide_fraction_inpainted": a["carbide_fraction_filled"],
            "carbide_fraction_diffusion": b["carbide_fraction_filled"],
            "pixel_rmse_inpainted": a["pixel_rmse"], "pixel_rmse_diffusion": b["pixel_rmse"],
        })  # fmt: skip
        variants.append(filled.astype(np.float32))
        masks.append(mask)
        progress.update()
    return np.stack(variants), np.stack(masks), rows


def figure_2_6(original: np.ndarray, variants: np.ndarray, masks: np.ndarray, path: str | Path, title: str) -> None:
    """Figure 2-6: the original crop, then each variant with its refilled holes outlined."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(variants) + 1
    columns = min(5, n)
    rows = -(-n // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(2.6 * columns, 2.2 * rows + 0.4), squeeze=False, layout="constrained"
    )
    for ax in axes.ravel():
        ax.axis("off")
    axes[0, 0].imshow(original, cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title("original", fontsize=8)
    for i, (image, mask) in enumerate(zip(variants, masks), start=1):
        ax = axes.ravel()[i]
        ax.imshow(image, cmap="gray", vmin=0, vmax=1)
        ax.contour(mask, levels=[0.5], colors="red", linewidths=0.6)
        ax.set_title(f"({string.ascii_lowercase[(i - 1) % 26]}) variant {i}", fontsize=8)
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path, dpi=120)


def inpainting_job(
    rescaled: list[dict],
    rescaled_dir: str | Path,
    settings: dict,
    label: str,
    out_array: str,
    out_manifest: str,
    out_csv: str,
    out_figure: str,
    logger: logging.Logger,
) -> list[dict]:
    """Variants of one micrograph as a train shard (seeds = variant numbers), the
    closeness CSV and Figure 2-6. ``settings`` is config ``uhcsdb.inpainting``."""
    from msdl.uhcsdb.curation import write_csv

    crop_hw = tuple(settings["crop"])
    row = pick_micrograph(rescaled, settings.get("micrograph"), crop_hw)
    with Image.open(Path(rescaled_dir) / row["rescaled_file"]) as im:
        full = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    original = full[: crop_hw[0], : crop_hw[1]]
    logger.info(
        f"inpainting {settings['variants']} variants of {row['path']} ({label}), top-left {crop_hw[0]}x{crop_hw[1]} crop"
    )
    variants, masks, rows = make_variants(original, settings, logger)
    write_shard(
        out_array, out_manifest, variants, Shard("train", 0, 0, len(variants)),
        dataset="uhcsdb_inpainting", generator="inpainting", frames=label, micrograph=row["path"],
        crop=list(crop_hw), settings=settings,
    )  # fmt: skip
    write_csv(out_csv, rows, CLOSENESS_FIELDS)
    s2_a = np.mean([r["s2_rms_inpainted"] for r in rows])
    s2_b = np.mean([r["s2_rms_diffusion"] for r in rows])
    figure_2_6(
        original,
        variants,
        masks,
        out_figure,
        f"{len(variants)} inpainted variants of {row['path']} [{label}]; mean S2 RMS difference in the holes {s2_a:.4f} (diffusion fill {s2_b:.4f})",
    )
    logger.info(f"mean two-point-statistics RMS difference: inpainted {s2_a:.4f}, diffusion fill {s2_b:.4f}")
    return rows
