"""Raw micrograph frames: read as 8-bit gray, crop the data bar, rescale to a magnification.

UHCSDB frames are 645 x 522 pixels (W x H); their bottom 38 rows are the data bar
(magnification, scale bar, detector), which leaves the report's 645 x 484. Frames of
other sizes are searched for a bar: a band of bottom rows dominated by one exact gray
value (the bar's background), between ``min_rows`` and a quarter of the frame high.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

STANDARD_FRAME = (522, 645)  # (H, W) pixels
STANDARD_BAR_ROWS = 38


class UnreadableImage(ValueError):
    """An image file that PIL cannot decode; the message names the file, ``reason`` does not."""

    def __init__(self, path, detail: str):
        self.reason = f"unreadable image ({detail})"
        super().__init__(f"{path}: {self.reason}")


def read_frame(path: str | Path) -> np.ndarray:
    """The frame as a 2D uint8 array ``(H, W)``; 16-bit frames keep their top 8 bits,
    colour frames are converted to luminance. Raises :class:`UnreadableImage` for a file
    PIL cannot decode, and for an image over PIL's decompression-bomb limit
    (``Image.MAX_IMAGE_PIXELS``: PIL's warning zone, up to twice the limit, counts too)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise UnreadableImage(path, f"too large to decode safely: {err}") from None


def _decode(path: str | Path) -> np.ndarray:
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
                return (np.asarray(im, dtype=np.uint16) >> 8).astype(np.uint8)
            if im.mode in ("I", "F"):
                a = np.asarray(im, dtype=np.float64)
                return np.clip(a, 0, 255).astype(np.uint8)
            return np.asarray(im.convert("L"), dtype=np.uint8).copy()
    except (OSError, ValueError, SyntaxError) as err:
        raise UnreadableImage(path, str(err)) from None


@dataclass(frozen=True)
class BarCrop:
    """Rows removed from the bottom of a frame, and how they were found."""

    rows: int
    note: str


def detect_data_bar(frame: np.ndarray, min_rows: int = 8, uniform: float = 0.3, max_fraction: float = 0.25) -> BarCrop:
    """Find a data bar at the bottom of a frame of any size (see module docstring).

    A bottom row belongs to the bar when at least ``uniform`` of its pixels equal the
    bar's background value (the most common value of the last row).
    """
    h = frame.shape[0]
    values, counts = np.unique(frame[-1], return_counts=True)
    background = int(values[np.argmax(counts)])
    share = (frame == background).mean(axis=1)
    rows = 0
    while rows < h and share[h - 1 - rows] >= uniform:
        rows += 1
    if rows < min_rows:
        return BarCrop(0, f"no data bar found: only {rows} bottom rows are >= {uniform:.0%} of value {background}")
    if rows > max_fraction * h:
        return BarCrop(
            0,
            f"no data bar taken: the uniform bottom band ({rows} rows of value {background}) is over {max_fraction:.0%} of the frame",
        )
    return BarCrop(rows, f"data bar detected: {rows} bottom rows of background value {background}")


def crop_data_bar(frame: np.ndarray, standard_rows: int = STANDARD_BAR_ROWS) -> tuple[np.ndarray, BarCrop]:
    """``(frame without its bar, BarCrop)``: the standard 38 rows for 645x522 frames,
    else :func:`detect_data_bar`."""
    if frame.shape == STANDARD_FRAME:
        bar = BarCrop(
            standard_rows, f"standard {STANDARD_FRAME[1]}x{STANDARD_FRAME[0]} frame: {standard_rows}-row data bar"
        )
    else:
        bar = detect_data_bar(frame)
    return (frame[: frame.shape[0] - bar.rows] if bar.rows else frame), bar


def rescaled_size(size_hw: tuple[int, int], factor: float) -> tuple[int, int]:
    """``(H, W)`` after scaling by ``factor`` (rounded to the nearest pixel, at least 1)."""
    return max(1, int(round(size_hw[0] * factor))), max(1, int(round(size_hw[1] * factor)))


def rescale(image: np.ndarray, factor: float) -> np.ndarray:
    """Resample a uint8 image by ``factor`` with an antialiasing Lanczos filter (PIL's
    ANTIALIAS, as the report used); ``factor = target magnification / magnification``."""
    h, w = rescaled_size(image.shape, factor)
    if (h, w) == image.shape:
        return image.copy()
    return np.asarray(Image.fromarray(image).resize((w, h), Image.Resampling.LANCZOS), dtype=np.uint8)


def save_png(path: str | Path, image: np.ndarray) -> None:
    """A uint8 image as PNG, atomically."""
    from msdl.io import atomic_path

    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
