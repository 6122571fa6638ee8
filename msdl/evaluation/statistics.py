"""Microstructure statistics of image sets: S2, chords, lineal path, volume fraction, grains.

Every function takes one image ``(H, W)`` or a set ``(n, H, W)`` and works on the whole
set at once (batched FFTs, run extraction on all lines together, one 3D labelling), so a
set of thousands of 64x64..256x256 images is described in seconds.

Conventions
-----------
- Images are floats (or ints/bools) in [0, 1]; row index ``y`` (axis 0 of an image, down),
  column index ``x`` (axis 1, right). Lengths and areas are in pixels.
- A *phase* is a boolean indicator array, True where the pixel belongs to the phase.
- ``periodic=True`` treats each image as a torus (the synthetic datasets are periodic);
  ``periodic=False`` uses only the pixel pairs/lines inside the image.
- Grain images in msdl are boundary images drawn by :func:`msdl.grain_images.boundary_image`:
  grain interiors are 1 (bright) and boundaries are 0 (**dark**), one pixel wide; so the
  default ``boundary_value`` is ``"dark"``. The renderer draws a line only where the pixel to
  the right or below belongs to another grain and never across the image edges, so rendered
  Potts images are *not* periodic: describe them with ``periodic=False``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

import numpy as np
from scipy import fft as sfft
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from skimage.filters import threshold_otsu

from msdl.io import atomic_path

KINDS = ("phase", "grains")
BOUNDARY_VALUES = ("bright", "dark")
_FFT_CHUNK = 128  # images per batched FFT (bounds memory: 128 x 256 x 256 complex128 = 64 MiB)
_CHUNK = 256  # images per block of run extraction / labelling (bounds the temporaries)


# --------------------------------------------------------------------------- validation


def check_images(images, name: str = "images") -> np.ndarray:
    """``images`` as a float or bool ndarray ``(n, H, W)`` (a 2D image becomes ``n = 1``).

    Raises ValueError naming ``name`` for a wrong number of dimensions, an empty set,
    NaN/inf values or values outside [0, 1].
    """
    a = np.asarray(images)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ValueError(f"{name}: expected a numeric array, got dtype {a.dtype}")
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"{name}: expected shape (H, W) or (n, H, W), got {a.ndim} dimensions {a.shape}")
    if a.size == 0:
        raise ValueError(f"{name}: empty image set, shape {a.shape}")
    if a.dtype != bool:
        if np.issubdtype(a.dtype, np.floating) and not np.isfinite(a).all():
            bad = int(np.count_nonzero(~np.isfinite(a)))
            raise ValueError(f"{name}: contains {bad} NaN or infinite values")
        lo, hi = a.min(), a.max()
        if lo < 0 or hi > 1:
            raise ValueError(f"{name}: values must lie in [0, 1], found range [{lo}, {hi}]")
    return a


def _phase(phase, name: str = "phase") -> np.ndarray:
    """A phase indicator as bool ``(n, H, W)``: bool input as is, numbers must be in [0, 1]
    and are read as ``> 0.5``."""
    a = check_images(phase, name)
    return a if a.dtype == bool else a > 0.5


# --------------------------------------------------------------------------- binarization


def binarize(images, method: str = "otsu") -> np.ndarray:
    """Phase indicator (bool, same shape) of grayscale images in [0, 1].

    S2, chords and grains are statistics of a two-phase (or boundary/interior) picture, but
    decoders and GANs emit grayscale images and some datasets are gray (smooth synthetic
    images, area-downsampled grain images). Each set is therefore binarized the same way
    before it is described:

    - ``"otsu"``: one Otsu threshold per image (``skimage.filters.threshold_otsu``, 256 bins
      over the image's own range), phase = ``image > threshold``; adapts to the contrast of
      each image, so a washed-out decoder output is still split into its two phases. A
      constant image has no threshold: it is all True if its value is > 0.5, else all False.
    - ``"half"``: phase = ``image > 0.5``.

    Binary sets (exactly 0/1, as the stored binary and grain datasets) give the same
    indicator with either method (Otsu's threshold then lies in [0, 1)); they take a fast
    path that skips the per-image histograms.
    """
    a = np.asarray(images)
    two_d = a.ndim == 2
    a = check_images(a, "images")
    if method not in ("otsu", "half"):
        raise ValueError(f"method: expected 'otsu' or 'half', got {method!r}")
    if a.dtype == bool:
        out = a.copy()
    elif method == "half" or np.all((a == 0) | (a == 1)):
        out = a > 0.5
    else:
        out = np.empty(a.shape, dtype=bool)
        for i, image in enumerate(a):
            lo, hi = image.min(), image.max()
            out[i] = image > 0.5 if lo == hi else image > threshold_otsu(image)
    return out[0] if two_d else out


# --------------------------------------------------------------------------- S2


def _autocorrelation_sum(phase: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``sum_i IFFT(|FFT(phase_i)|^2)`` on an FFT grid of ``shape`` (zero-padded when larger),
    float64 ``shape``. The images are transformed in chunks of ``_FFT_CHUNK``, x first on
    the image rows only (the padding rows are zero), then y."""
    h, w = shape
    n, rows, cols = phase.shape
    chunk = min(n, _FFT_CHUNK)
    real = np.zeros((chunk, rows, w))  # zero padding along x written once
    spectrum = np.zeros((chunk, h, w // 2 + 1), dtype=np.complex128)  # and along y
    power = np.zeros((h, w // 2 + 1))
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        real[:m, :, :cols] = phase[start : start + m]
        spectrum[:m, :rows] = sfft.rfft(real[:m], axis=2, workers=-1)
        f = sfft.fft(spectrum[:m], axis=1, workers=-1)
        power += (f.real**2 + f.imag**2).sum(axis=0)
    return sfft.irfft2(power, s=shape, workers=-1)


def two_point_correlation(phase, periodic: bool = True) -> np.ndarray:
    """Two-point correlation S2 of a phase: ``S2(dy, dx)`` = probability that both ends of
    the vector ``(dy, dx)`` (pixels) lie in the phase, averaged over the images.

    ``phase``: bool (or 0/1) ``(H, W)`` or ``(n, H, W)``. Returns float64 ``(H, W)`` with zero
    displacement at the centre ``(H // 2, W // 2)`` (``fftshift`` layout: ``dy`` runs from
    ``-(H // 2)`` to ``H - H // 2 - 1``). ``S2(0) = VF``; for an uncorrelated phase
    ``S2 -> VF^2`` at large ``r``.

    - periodic: circular autocorrelation via FFT divided by ``H * W`` (every pair on the
      torus).
    - non-periodic: autocorrelation of the zero-padded image (padded by about ``H/2`` and
      ``W/2``, enough that no pair of the output window wraps) divided by the number of
      pixel pairs inside the image at each displacement,
      ``(H - |dy|) * (W - |dx|)``.
    """
    p = _phase(phase)
    n, h, w = p.shape
    if periodic:
        s2 = _autocorrelation_sum(p, (h, w)) / (n * h * w)
        return np.fft.fftshift(s2)
    # zero-padded grid just large enough that no displacement of the output window
    # aliases with another one inside the image's support |d| <= H - 1
    ny = sfft.next_fast_len(max(h + h // 2, 2 * h - h // 2 - 1), real=True)
    nx = sfft.next_fast_len(max(w + w // 2, 2 * w - w // 2 - 1), real=True)
    full = _autocorrelation_sum(p, (ny, nx))
    dy = np.arange(-(h // 2), h - h // 2)
    dx = np.arange(-(w // 2), w - w // 2)
    window = full[np.ix_(dy % ny, dx % nx)]
    pairs = (h - np.abs(dy))[:, None] * (w - np.abs(dx))[None, :]
    return window / (n * pairs)


def radial_average(map2d, max_radius: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Average of a centred ``(H, W)`` map (as :func:`two_point_correlation`) over rings of
    integer radius: a pixel at displacement ``(dy, dx)`` from ``(H // 2, W // 2)`` belongs to
    radius ``round(sqrt(dy^2 + dx^2))``. Returns ``(radii, values)``, radii ``0..max_radius``
    (default ``min(H, W) // 2``), float64 values; every ring up to ``min(H, W) // 2`` is
    non-empty (a larger ``max_radius`` may give NaN for rings outside the map's corners).
    """
    m = np.asarray(map2d, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"map2d: expected a 2D map, got shape {m.shape}")
    h, w = m.shape
    if max_radius is None:
        max_radius = min(h, w) // 2
    if max_radius < 0:
        raise ValueError(f"max_radius: must be >= 0, got {max_radius}")
    dy = np.arange(h) - h // 2
    dx = np.arange(w) - w // 2
    r = np.rint(np.hypot(dy[:, None], dx[None, :])).astype(np.int64).ravel()
    keep = r <= max_radius
    sums = np.bincount(r[keep], weights=m.ravel()[keep], minlength=max_radius + 1)
    counts = np.bincount(r[keep], minlength=max_radius + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = sums / counts
    return np.arange(max_radius + 1), values


# --------------------------------------------------------------------------- chords / lineal path


def _lines(phase: np.ndarray, axis: int) -> np.ndarray:
    """All lines of a bool ``(n, H, W)`` set along ``axis`` (1 = x rows, 0 = y columns) as
    a 2D bool array ``(n_lines, line_length)``."""
    if axis not in (0, 1):
        raise ValueError(f"axis: expected 0 (y) or 1 (x), got {axis!r}")
    a = phase if axis == 1 else phase.swapaxes(1, 2)
    return np.ascontiguousarray(a).reshape(-1, a.shape[2])


def _runs(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The True runs of each line of a 2D bool array, in line order (runs never wrap):
    ``(line index, start position, length)``, int64 1D each."""
    width = lines.shape[1]
    padded = np.zeros((lines.shape[0], width + 2), dtype=np.int8)
    padded[:, 1:-1] = lines
    edges = np.diff(padded, axis=1).ravel()  # (n_lines, width + 1)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return starts // (width + 1), starts % (width + 1), ends - starts


def chord_lengths(phase, axis: int, periodic: bool = False) -> np.ndarray:
    """Lengths (pixels) of the chords of a phase: the maximal runs of phase pixels along
    ``axis`` (0: along y, i.e. down each column; 1: along x, along each row), pooled over
    all lines of all images. ``phase``: bool (or 0/1) ``(H, W)`` or ``(n, H, W)``.

    - non-periodic: runs touching the image border are kept as they are (truncated
      chords), so long chords are biased short in small images.
    - periodic: a run that leaves one edge and re-enters at the opposite one is one chord;
      a line wholly in the phase is one chord of the line's length.

    Returns int64 1D, in line order; empty when the phase is absent.
    """
    p = _phase(phase)
    blocks = [_line_chords(_lines(p[i : i + _CHUNK], axis), periodic) for i in range(0, len(p), _CHUNK)]
    return np.concatenate(blocks)


def _line_chords(lines: np.ndarray, periodic: bool) -> np.ndarray:
    """Chord lengths of the lines of a 2D bool array (see :func:`chord_lengths`)."""
    line, start, length = _runs(lines)
    if not periodic or len(length) == 0:
        return length
    width = lines.shape[1]
    # a line's run at its end and its run at its start are one chord (unless it is one run)
    first = np.flatnonzero(start == 0)
    last = np.flatnonzero(start + length == width)
    wraps = np.zeros(lines.shape[0], dtype=bool)
    wraps[line[first]] = True
    ends_in_phase = np.zeros(lines.shape[0], dtype=bool)
    ends_in_phase[line[last]] = True
    wraps &= ends_in_phase
    head = first[wraps[line[first]]]  # one per wrapping line, in line order
    tail = last[wraps[line[last]]]
    joined = head != tail  # head == tail: the whole line is one chord of its width
    length = length.copy()
    length[head[joined]] += length[tail[joined]]
    return np.delete(length, tail[joined])


def lineal_path(phase, axis: int, max_length: int, periodic: bool = False) -> np.ndarray:
    """Lineal path function ``L(r)``, ``r = 0..max_length`` (pixels): the probability that a
    segment from a pixel to the pixel ``r`` further along ``axis`` lies wholly in the phase
    (all ``r + 1`` pixels), over all segment positions in the set. ``L(0) = VF``.

    Exact, from the chords: a chord of length ``c`` holds ``max(c - r, 0)`` such segments.
    Non-periodic: segments must fit inside the line (``length - r`` positions per line).
    Periodic: every pixel starts a segment and a line wholly in the phase holds ``length``
    segments of every ``r``. Returns float64 ``(max_length + 1,)``; 0 where no segment fits
    (non-periodic ``r >= length``).
    """
    p = _phase(phase)
    if max_length < 0:
        raise ValueError(f"max_length: must be >= 0, got {max_length}")
    n, h, w = p.shape
    n_lines, length = (n * h, w) if axis == 1 else (n * w, h)
    chords = chord_lengths(p, axis, periodic)
    r = np.arange(max_length + 1)
    if periodic:  # a line wholly in the phase (one chord of its length) is a ring
        n_full = int(np.count_nonzero(chords == length))
        chords = chords[chords < length]
    hist = np.bincount(chords, minlength=max_length + 2).astype(np.float64)
    c = np.arange(len(hist))
    # inside[r] = sum_{c > r} hist[c] * (c - r), from suffix sums (len(hist) >= max_length + 2)
    suffix_n = np.cumsum(hist[::-1])[::-1]
    suffix_c = np.cumsum((hist * c)[::-1])[::-1]
    inside = suffix_c[r + 1] - r * suffix_n[r + 1]
    if periodic:
        inside = inside + float(n_full) * length
        positions = np.full(r.shape, float(n_lines * length))
    else:
        positions = n_lines * np.maximum(length - r, 0).astype(np.float64)
    return np.divide(inside, positions, out=np.zeros_like(inside), where=positions > 0)


def volume_fraction(phase) -> np.ndarray:
    """Fraction of pixels in the phase, per image: float64 ``(n,)`` (``(1,)`` for one image)."""
    return _phase(phase).mean(axis=(1, 2), dtype=np.float64)


# --------------------------------------------------------------------------- grains


def _boundary_mask(boundary_image, threshold: float, boundary_value: str, name: str = "boundary_image") -> np.ndarray:
    """Boundary pixels (bool ``(n, H, W)``): ``> threshold`` for bright boundaries,
    ``< threshold`` for dark ones."""
    a = check_images(boundary_image, name)
    if boundary_value not in BOUNDARY_VALUES:
        raise ValueError(f"boundary_value: expected 'bright' or 'dark', got {boundary_value!r}")
    a = a.astype(np.float32) if a.dtype == bool else a
    return a > threshold if boundary_value == "bright" else a < threshold


def grain_sizes_of_mask(boundary: np.ndarray, periodic: bool = True) -> np.ndarray:
    """Areas (pixels) of the 4-connected regions of non-boundary pixels of a bool boundary
    mask ``(n, H, W)``, pooled over the images (int64 1D; empty when all is boundary).
    ``periodic``: regions touching opposite edges of the same image are joined."""
    blocks = [_grain_sizes_block(~boundary[i : i + _CHUNK], periodic) for i in range(0, len(boundary), _CHUNK)]
    return np.concatenate(blocks)


def _grain_sizes_block(interior: np.ndarray, periodic: bool) -> np.ndarray:
    """Grain areas of one block of interior masks ``(n, H, W)`` (see grain_sizes_of_mask)."""
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = ndimage.generate_binary_structure(2, 1)  # 4-connected within each image
    labels = np.empty(interior.shape, dtype=np.int64)  # int64: bincount needs no cast
    count = ndimage.label(interior, structure=structure, output=labels)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if periodic:
        pairs = [(labels[:, 0, :], labels[:, -1, :]), (labels[:, :, 0], labels[:, :, -1])]
        a = np.concatenate([x[(x > 0) & (y > 0)] for x, y in pairs])
        b = np.concatenate([y[(x > 0) & (y > 0)] for x, y in pairs])
        graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(count + 1, count + 1))
        _, root = connected_components(graph, directed=False)
        areas = np.bincount(labels.ravel(), minlength=count + 1)
        sizes = np.bincount(root[1:], weights=areas[1:]).astype(np.int64)
    else:
        sizes = np.bincount(labels.ravel())[1:]
    return sizes[sizes > 0].astype(np.int64)


def grain_sizes(
    boundary_image, threshold: float = 0.5, periodic: bool = True, boundary_value: str = "dark"
) -> np.ndarray:
    """Grain areas (pixels) of boundary images ``(H, W)`` or ``(n, H, W)`` in [0, 1]: the
    4-connected regions of non-boundary pixels, pooled over the images (int64 1D).

    Boundary pixels are ``value < threshold`` for ``boundary_value="dark"`` (the default:
    msdl's rendered grain images have 0 boundaries on 1 interiors) or ``value > threshold``
    for ``"bright"``. ``periodic`` joins regions across opposite edges; msdl's rendered
    Potts images draw no line along the edges, so use ``periodic=False`` for them (grains cut
    by the border are then counted as the pieces inside the image).
    """
    return grain_sizes_of_mask(_boundary_mask(boundary_image, threshold, boundary_value), periodic)


def boundary_density(boundary_image, threshold: float = 0.5, boundary_value: str = "dark") -> np.ndarray:
    """Boundary pixels per pixel of area, per image: float64 ``(n,)``.

    Boundary length per area (pixel^-1) = this density / the line width in pixels (1 for
    msdl's rendered images at full size). The pixel count of a staircase line is its length
    times ``|cos t| + |sin t|`` (t: the line's angle), 4/pi on average over directions, so
    multiply by pi/4 for an isotropic length estimate.
    """
    return _boundary_mask(boundary_image, threshold, boundary_value).mean(axis=(1, 2), dtype=np.float64)


# --------------------------------------------------------------------------- a whole set


@dataclass
class SetStatistics:
    """Statistics of one image set (all lengths in pixels).

    kind: "phase" (two-phase images; the phase is the bright one after binarization) or
    "grains" (boundary images; the phase is the grain interior, so chords are grain
    intercept lengths). s2_radial: radially averaged mean S2 of the phase, float64
    ``(R + 1,)`` with ``R = min(H, W) // 2``. volume_fractions: ``(n,)``. chords_x, chords_y:
    pooled chord lengths of the phase along x and y (int64). For grains: grain_sizes
    (pooled areas, int64) and boundary_density ``(n,)``; None for phase sets.
    """

    kind: str
    s2_radial: np.ndarray
    volume_fractions: np.ndarray
    chords_x: np.ndarray
    chords_y: np.ndarray
    grain_sizes: np.ndarray | None = None
    boundary_density: np.ndarray | None = None

    @property
    def n_images(self) -> int:
        return len(self.volume_fractions)


def describe(
    images,
    kind: str,
    periodic: bool = False,
    binarize_method: str = "otsu",
    boundary_value: str = "dark",
    name: str = "images",
) -> SetStatistics:
    """All statistics of a set ``(n, H, W)`` (or one ``(H, W)`` image) in [0, 1].

    The set is binarized once (:func:`binarize`). For ``kind="grains"`` the boundary pixels
    are the binarized pixels on the ``boundary_value`` side (dark by default) and the phase
    is the grain interior. ``periodic`` applies to S2, chords and grain joining. ``name``
    is used in error messages.
    """
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    if boundary_value not in BOUNDARY_VALUES:
        raise ValueError(f"boundary_value: expected 'bright' or 'dark', got {boundary_value!r}")
    a = check_images(images, name)
    bright = binarize(a, binarize_method)
    phase = bright if kind == "phase" or boundary_value == "dark" else ~bright
    s2_map = two_point_correlation(phase, periodic=periodic)
    _, s2_radial = radial_average(s2_map)
    stats = SetStatistics(
        kind=kind,
        s2_radial=s2_radial,
        volume_fractions=volume_fraction(phase),
        chords_x=chord_lengths(phase, axis=1, periodic=periodic),
        chords_y=chord_lengths(phase, axis=0, periodic=periodic),
    )
    if kind == "grains":
        boundary = ~phase
        stats.grain_sizes = grain_sizes_of_mask(boundary, periodic=periodic)
        stats.boundary_density = boundary.mean(axis=(1, 2), dtype=np.float64)
    return stats


def save_statistics(path: str | os.PathLike, stats: SetStatistics) -> None:
    """Write a SetStatistics as an ``.npz`` (one array per field; no pickles), atomically:
    a reference set can be described once and compared against at every epoch."""
    arrays = {f.name: getattr(stats, f.name) for f in fields(stats) if f.name != "kind"}
    arrays = {name: value for name, value in arrays.items() if value is not None}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, kind=np.array(stats.kind), **arrays)


def load_statistics(path: str | os.PathLike) -> SetStatistics:
    """Read a SetStatistics written by :func:`save_statistics`; errors name the file."""
    try:
        with np.load(path, allow_pickle=False) as data:
            values = {name: data[name] for name in data.files}
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable statistics file ({error})") from error
    kind = str(values.pop("kind", ""))
    required = {"s2_radial", "volume_fractions", "chords_x", "chords_y"}
    if kind == "grains":
        required |= {"grain_sizes", "boundary_density"}
    missing = sorted(required - set(values))
    if kind not in KINDS or missing:
        raise ValueError(f"{path}: kind {kind!r} or missing arrays {missing}")
    return SetStatistics(kind=kind, **values)
