"""Stand-in frames: synthetic UHCSDB-like micrographs for tests and the demo.

THESE ARE NOT UHCSDB IMAGES. The real micrographs (~960 images, ~260 MB, CC BY) are
downloaded by the user and given as ``uhcsdb.micrographs``; without them, the workflow
draws one stand-in per row of :data:`EXCERPT` (real rows of ``microstructures.sqlite``,
copied verbatim; tests check them against the database) so that every step runs.

A stand-in is a 645 x 522 8-bit frame like the real ones: dark carbide particles on a
lighter, slightly shaded matrix, sized in micrometres and drawn at the row's
magnification (``SCALE_BAR_CONSTANT / magnification`` um per pixel), over a 38-row black
data bar with white text (STAND-IN, the magnification) and the scale bar
(``micron_bar_px`` long). Rows without a magnification are drawn at the scale-bar magnification.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from msdl.io import atomic_path
from msdl.uhcsdb import STANDIN_LABEL
from msdl.uhcsdb.frames import STANDARD_BAR_ROWS, STANDARD_FRAME
from msdl.uhcsdb.metadata import (
    MagnificationFormatError,
    Micrograph,
    magnification_from_scale_bar,
    parse_magnification,
)

# Real rows of microstructures.sqlite (micrograph joined to sample), verbatim: nine
# spheroidite micrographs from eight samples at 982X-19641X, the NULL-magnification
# micrograph762 the report drops, and two pearlite rows (not selected by default).
EXCERPT: tuple[Micrograph, ...] = (
    Micrograph(2, "micrograph2.tif", "spheroidite", "1964X", 10.0, "um", 103, "SE", 18, "AC1 800C 85H WQ", 85.0, "H", 800.0, "C", "WQ"),
    Micrograph(10, "micrograph10.png", "spheroidite", "1964X", 10.0, "um", 103, "SE", 39, "AC1 970C 8H Q", 8.0, "H", 970.0, "C", "Q"),
    Micrograph(11, "micrograph11.tif", "spheroidite", "1964X", 10.0, "um", 103, "SE", 18, "AC1 800C 85H WQ", 85.0, "H", 800.0, "C", "WQ"),
    Micrograph(48, "micrograph48.tif", "spheroidite", "1964X", 10.0, "um", 103, "SE", 11, "AC1 800C 900C 970C 90M WQ", 90.0, "M", 800.0, "C", "WQ"),
    Micrograph(53, "micrograph53.tif", "spheroidite", "1964X", 10.0, "um", 103, "SE", 32, "AC1 970C 90M WC", 90.0, "M", 970.0, "C", "WC"),
    Micrograph(30, "micrograph30.tif", "spheroidite", "982x", 20.0, "um", 103, "SE", 20, "AC1 900C 24H Q", 24.0, "H", 900.0, "C", "Q"),
    Micrograph(29, "micrograph29.tif", "spheroidite", "1473X", 20.0, "um", 154, "SE", 35, "AC1 970C 90M FC", 90.0, "M", 970.0, "C", "FC"),
    Micrograph(67, "micrograph67.tif", "spheroidite", "4910X", 5.0, "um", 129, "SE", 2, "AC 800C 8H WQ", 8.0, "H", 800.0, "C", "WQ"),
    Micrograph(762, "micrograph762.tif", "spheroidite", None, 2.0, "um", 103, "SE", 6, "AC1 800C 24H WQ", 24.0, "H", 800.0, "C", "WQ"),
    Micrograph(1173, "micrograph1173.tif", "spheroidite", "19641x", 1.0, "um", 103, "SE", 4, "AC1 1000C 5M WQ", 5.0, "M", 1000.0, "C", "WQ"),
    Micrograph(1, "micrograph1.tif", "pearlite", "4910x", 5.0, "um", 129, "SE", 42, "ET Gyro", None, None, None, None, None),
    Micrograph(273, "micrograph273.tif", "pearlite", "1964X", 10.0, "um", 103, "SE", 47, "SIS_XL.TIF", None, None, None, None, None),
)  # fmt: skip


def standin_magnification(row: Micrograph) -> float:
    """The magnification a stand-in is drawn at: the row's, else its scale bar's, else 1964."""
    try:
        value = parse_magnification(row.magnification_text)
    except MagnificationFormatError:
        value = None
    return float(value or magnification_from_scale_bar(row) or 1964.0)


def microstructure(
    shape_hw: tuple[int, int], um_per_px: float, seed: int, radius_um: float = 0.3, area_fraction: float = 0.15
) -> np.ndarray:
    """Dark carbide discs on a lighter matrix, ``(H, W)`` uint8.

    Disc radii are lognormal around ``radius_um`` (sigma 0.35) and converted to pixels
    at ``um_per_px``; their count gives ~``area_fraction`` of the area before overlap.
    """
    rng = np.random.default_rng(seed)
    h, w = shape_hw
    radius_px = radius_um / um_per_px
    n = int(area_fraction * h * w / (np.pi * radius_px**2 * np.exp(0.35**2 * 2)))
    n = min(max(n, 1), 200_000)
    radii = radius_px * rng.lognormal(0.0, 0.35, n)
    cy, cx = rng.uniform(0, h, n), rng.uniform(0, w, n)
    # Rasterize discs: an (H, W) map of the largest "inside-ness" r - d over nearby discs.
    carbide = np.zeros((h, w), dtype=bool)
    reach = int(np.ceil(radii.max())) + 1
    oy, ox = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    for y, x, r in zip(cy, cx, radii):
        iy, ix = int(y), int(x)
        inside = (oy + iy - y + 0.5) ** 2 + (ox + ix - x + 0.5) ** 2 <= r * r
        ys, xs = oy[inside] + iy, ox[inside] + ix
        keep = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
        carbide[ys[keep], xs[keep]] = True
    shading = ndimage.gaussian_filter(rng.standard_normal((h, w)), sigma=max(h, w) / 8)
    shading = 12.0 * shading / (np.abs(shading).max() + 1e-12)
    image = np.where(carbide, 70.0, 175.0) + shading
    image = ndimage.gaussian_filter(image, sigma=max(0.6, 0.15 * radius_px))
    image += rng.normal(0.0, 6.0, (h, w))
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def data_bar(row: Micrograph, width: int, rows: int = STANDARD_BAR_ROWS) -> np.ndarray:
    """A black data bar ``(rows, width)`` uint8: white text "STAND-IN", the magnification,
    the scale bar length and detector, and the scale bar itself (``micron_bar_px`` long)."""
    image = Image.new("L", (width, rows), 0)
    draw = ImageDraw.Draw(image)
    units = row.micron_bar_units or ""
    draw.text((8, 6), f"STAND-IN  {row.magnification_text or '(no magnification)'}  {row.detector or ''}", fill=255)
    draw.text((8, 22), f"{row.path}   {row.micron_bar:g} {units}" if row.micron_bar else row.path, fill=255)
    bar = np.asarray(image, dtype=np.uint8).copy()
    px = int(row.micron_bar_px or 100)
    start = max(0, width - 20 - px)
    bar[18:21, start : start + px] = 255
    return bar


def standin_frame(row: Micrograph) -> np.ndarray:
    """A 645 x 522 stand-in frame for ``row`` (the bottom 38 rows are the data bar)."""
    h, w = STANDARD_FRAME
    um_per_px = 190.5 / standin_magnification(row)
    seed = 7919 * row.micrograph_id + 1
    radius_um = 0.2 + 0.02 * ((row.sample_key or 0) % 10)  # particle size varies by sample
    image = microstructure((h - STANDARD_BAR_ROWS, w), um_per_px, seed, radius_um)
    return np.concatenate([image, data_bar(row, w)])


def write_standins(folder: str | Path, rows: list[Micrograph] | tuple[Micrograph, ...] = EXCERPT) -> list[Path]:
    """Write one stand-in frame per row, named as the row's ``path`` (TIFF or PNG by its
    suffix), atomically; each file's description says it is a stand-in. Returns the paths."""
    folder = Path(folder)
    written = []
    for row in rows:
        path = folder / row.path
        image = Image.fromarray(standin_frame(row))
        with atomic_path(path) as tmp:
            if path.suffix.lower() in (".tif", ".tiff"):
                image.save(tmp, format="TIFF", description=f"{STANDIN_LABEL}: {row.path}")
            else:
                image.save(tmp, format=Image.registered_extensions().get(path.suffix.lower(), "PNG"))
        written.append(path)
    return written
