"""Non-local patch-based inpainting (report section 2.5, after Tran & Tran 2019), in the
manner of Newson, Almansa, Gousseau & Perez, "Non-Local Patch-Based Image Inpainting",
IPOL 7 (2017): a multiscale PatchMatch nearest-neighbour search alternating with a
patch-averaged reconstruction of the occluded pixels.

    pyramid (mask: a coarse pixel is occluded if any of its 2x2 children is)
    coarsest level: fill the hole by diffusion from its border ("onion peel" average)
    each level, coarse to fine, repeat until the fill stops changing:
        PatchMatch: for every patch that touches the hole, its nearest patch (SSD) among
                    the patches entirely outside the hole (propagation + random search)
        reconstruct: each hole pixel = average of the pixels that the nearest patches of
                     all patches covering it put there, weighted by exp(-d / (2 sigma^2)),
                     sigma^2 the 75th percentile of the patch distances d
    next level: the offsets of the nearest neighbours, doubled, seed the finer search

Images are float arrays in [0, 1] ``(H, W)``; masks are boolean, True = to be filled.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage

_DIRECTIONS = ((0, 1), (1, 0), (0, -1), (-1, 0))


def patch_vectors(image: np.ndarray, patch: int) -> np.ndarray:
    """Every ``patch x patch`` patch, centred on each pixel (reflect padding), as ``(H, W, patch**2)``."""
    half = patch // 2
    padded = np.pad(image, half, mode="reflect")
    return sliding_window_view(padded, (patch, patch)).reshape(*image.shape, patch * patch)


def _distances(vectors: np.ndarray, targets: np.ndarray, sources: np.ndarray) -> np.ndarray:
    diff = vectors[targets[:, 0], targets[:, 1]] - vectors[sources[:, 0], sources[:, 1]]
    return np.einsum("ij,ij->i", diff, diff)


def patchmatch(
    vectors: np.ndarray,
    targets: np.ndarray,
    valid: np.ndarray,
    nnf: np.ndarray,
    rng: np.random.Generator,
    iterations: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate nearest source patch for each target centre (Barnes et al. 2009).

    ``vectors`` from :func:`patch_vectors`; ``targets`` ``(n, 2)`` centres; ``valid``
    ``(H, W)`` bool, the allowed source centres; ``nnf`` ``(n, 2)`` initial (valid) source
    centres. Propagation is done for all targets at once (Jacobi order), alternating the
    scan direction. Returns ``(nnf, squared distances)``.
    """
    H, W = valid.shape
    index = np.full((H, W), -1, dtype=np.int64)
    index[targets[:, 0], targets[:, 1]] = np.arange(len(targets))
    cost = _distances(vectors, targets, nnf)

    def improve(candidates: np.ndarray, rows: np.ndarray) -> None:
        cy = np.clip(candidates[:, 0], 0, H - 1)
        cx = np.clip(candidates[:, 1], 0, W - 1)
        ok = valid[cy, cx]
        rows, cand = rows[ok], np.stack([cy[ok], cx[ok]], axis=1)
        d = _distances(vectors, targets[rows], cand)
        better = d < cost[rows]
        nnf[rows[better]] = cand[better]
        cost[rows[better]] = d[better]

    for it in range(iterations):
        for dy, dx in _DIRECTIONS if it % 2 == 0 else _DIRECTIONS[::-1]:
            ny, nx = targets[:, 0] - dy, targets[:, 1] - dx
            inside = (ny >= 0) & (ny < H) & (nx >= 0) & (nx < W)
            rows = np.flatnonzero(inside)
            neighbour = index[ny[rows], nx[rows]]
            rows, neighbour = rows[neighbour >= 0], neighbour[neighbour >= 0]
            improve(nnf[neighbour] + np.array([dy, dx]), rows)
        radius = max(H, W)
        while radius >= 1:
            improve(nnf + rng.integers(-radius, radius + 1, size=nnf.shape), np.arange(len(targets)))
            radius //= 2
    return nnf, cost


def reconstruct(
    image: np.ndarray,
    mask: np.ndarray,
    targets: np.ndarray,
    nnf: np.ndarray,
    cost: np.ndarray,
    patch: int,
    best: bool = False,
) -> np.ndarray:
    """Patch-averaged reconstruction: the hole pixels get the weighted mean of what the
    nearest patches of all covering target patches say; known pixels are kept. With
    ``best``, each pixel takes the value of the covering patch with the smallest distance
    instead (Newson et al.'s final step at the finest level, which avoids blur)."""
    H, W = image.shape
    half = patch // 2
    if best:
        out, lowest = image.copy(), np.full((H, W), np.inf)
        for dy in range(-half, half + 1):
            for dx in range(-half, half + 1):
                ty, tx, sy, sx = targets[:, 0] + dy, targets[:, 1] + dx, nnf[:, 0] + dy, nnf[:, 1] + dx
                ok = (ty >= 0) & (ty < H) & (tx >= 0) & (tx < W) & (sy >= 0) & (sy < H) & (sx >= 0) & (sx < W)
                ok[ok] = mask[ty[ok], tx[ok]]
                order = np.argsort(-cost[ok])  # the lowest cost is written last and wins
                ty, tx, sy, sx, c = (a[ok][order] for a in (ty, tx, sy, sx, cost))
                better = c < lowest[ty, tx]
                out[ty[better], tx[better]] = image[sy[better], sx[better]]
                lowest[ty[better], tx[better]] = np.minimum(lowest[ty[better], tx[better]], c[better])
        return out
    sigma2 = max(float(np.percentile(cost, 75)), 1e-8)
    weight = np.exp(-(cost - cost.min()) / (2.0 * sigma2))
    num = np.zeros((H, W))
    den = np.zeros((H, W))
    for dy in range(-half, half + 1):
        for dx in range(-half, half + 1):
            ty, tx = targets[:, 0] + dy, targets[:, 1] + dx
            sy, sx = nnf[:, 0] + dy, nnf[:, 1] + dx
            ok = (ty >= 0) & (ty < H) & (tx >= 0) & (tx < W) & (sy >= 0) & (sy < H) & (sx >= 0) & (sx < W)
            np.add.at(num, (ty[ok], tx[ok]), weight[ok] * image[sy[ok], sx[ok]])
            np.add.at(den, (ty[ok], tx[ok]), weight[ok])
    out = image.copy()
    filled = mask & (den > 0)
    out[filled] = num[filled] / den[filled]
    return out


def onion_peel_fill(image: np.ndarray, mask: np.ndarray, valid: np.ndarray, patch: int) -> np.ndarray:
    """Newson et al.'s initialization: fill the hole ring by ring from its border; each
    ring pixel copies the centre of the source patch nearest to its own patch, the
    distance taken over the patch's already known pixels only (exhaustive search)."""
    out = np.where(mask, 0.0, image)
    known = ~mask
    sources = np.argwhere(valid)
    src_vectors = None
    square = np.ones((3, 3), dtype=bool)
    while not known.all():
        ring = ~known & ndimage.binary_dilation(known, square)
        if not ring.any():
            out[~known] = image[known].mean() if known.any() else 0.5
            break
        vectors = patch_vectors(out, patch)
        weights = patch_vectors(known.astype(float), patch)
        if src_vectors is None:
            src_vectors = vectors[sources[:, 0], sources[:, 1]]  # sources lie outside the hole: fixed
        centres = np.argwhere(ring)
        t, w = vectors[centres[:, 0], centres[:, 1]], weights[centres[:, 0], centres[:, 1]]
        # masked SSD = sum w (t - s)^2 = sum w t^2 - 2 (w t) . s + w . s^2, for all pairs
        d = (w * t * t).sum(axis=1)[:, None] - 2 * (w * t) @ src_vectors.T + w @ (src_vectors**2).T
        best = sources[np.argmin(d, axis=1)]
        out[centres[:, 0], centres[:, 1]] = image[best[:, 0], best[:, 1]]
        known = known | ring
    return out


def diffusion_fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Fill the hole from its border inwards, each ring the mean of its known neighbours."""
    out = image.copy()
    known = ~mask
    kernel = np.ones((3, 3))
    while not known.all():
        total = ndimage.convolve(np.where(known, out, 0.0), kernel, mode="nearest")
        count = ndimage.convolve(known.astype(float), kernel, mode="nearest")
        ring = ~known & (count > 0)
        if not ring.any():  # nothing known at all
            out[~known] = 0.5
            break
        out[ring] = total[ring] / count[ring]
        known = known | ring
    return out


def _pyramid(image: np.ndarray, mask: np.ndarray, levels: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Finest first. Coarser images average the known pixels of each 2x2 block."""
    out = [(image, mask)]
    for _ in range(levels - 1):
        img, m = out[-1]
        h, w = img.shape[0] // 2 * 2, img.shape[1] // 2 * 2
        known = (~m[:h, :w]).astype(float).reshape(h // 2, 2, w // 2, 2)
        vals = (img[:h, :w] * (~m[:h, :w])).reshape(h // 2, 2, w // 2, 2)
        count = known.sum(axis=(1, 3))
        coarse = np.where(count > 0, vals.sum(axis=(1, 3)) / np.maximum(count, 1), 0.0)
        out.append((coarse, m[:h, :w].reshape(h // 2, 2, w // 2, 2).any(axis=(1, 3))))
    return out


def levels_for(mask: np.ndarray, patch: int, patches_across: float = 4.0) -> int:
    """Pyramid depth so that the hole is at most ``patches_across`` patches wide at the
    coarsest level. Newson et al. shrink the hole to about one patch; on micrographs whose
    carbides are a few pixels across that erases them at the coarse levels (measured on
    the stand-ins: the filled holes lose most of their carbide), so the default keeps
    the coarsest level at four patches across."""
    width = 2.0 * float(ndimage.distance_transform_edt(mask).max())
    return 1 + max(0, math.ceil(math.log2(max(width, 1.0) / (patches_across * patch))))


def inpaint(
    image: np.ndarray,
    mask: np.ndarray,
    patch: int = 7,
    seed: int = 0,
    iterations: int = 6,
    tolerance: float = 1e-3,
    levels: int | None = None,
) -> np.ndarray:
    """Fill ``mask`` of ``image`` (float (H, W) in [0, 1]) from the rest of the image
    (``levels``: pyramid depth, default :func:`levels_for`)."""
    if not mask.any():
        return image.astype(np.float64).copy()
    rng = np.random.default_rng(seed)
    pyramid = _pyramid(image.astype(np.float64), mask.astype(bool), levels or levels_for(mask, patch))
    while len(pyramid) > 1 and not _sources(pyramid[-1][1], patch).any():
        pyramid.pop()  # too coarse to hold a whole patch outside the hole: start finer
    nnf_prev, targets_prev = None, None
    current = None
    square = np.ones((patch, patch), dtype=bool)
    for level in range(len(pyramid) - 1, -1, -1):
        img, m = pyramid[level]
        H, W = img.shape
        valid = _sources(m, patch)
        if not valid.any():
            raise ValueError(f"inpainting: no {patch}x{patch} patch outside the hole at level {level} ({H}x{W})")
        targets = np.argwhere(ndimage.binary_dilation(m, square))
        sources = np.argwhere(valid)
        if current is None:
            current = onion_peel_fill(img, m, valid, patch)
            nnf = sources[rng.integers(0, len(sources), len(targets))]
        else:
            current = np.where(m, _upsample(current, (H, W)), img)
            # seed the search with the coarser level's offsets, doubled
            lookup = np.full((H // 2 + 1, W // 2 + 1, 2), -1, dtype=np.int64)
            lookup[targets_prev[:, 0], targets_prev[:, 1]] = nnf_prev - targets_prev
            offsets = lookup[np.minimum(targets[:, 0] // 2, H // 2), np.minimum(targets[:, 1] // 2, W // 2)] * 2
            guess = targets + offsets
            ok = (offsets[:, 0] != -2) & (guess[:, 0] >= 0) & (guess[:, 0] < H) & (guess[:, 1] >= 0) & (guess[:, 1] < W)
            ok[ok] = valid[guess[ok, 0], guess[ok, 1]]
            nnf = np.where(ok[:, None], guess, sources[rng.integers(0, len(sources), len(targets))])
            # the first fine estimate is rebuilt from the fine sources the upsampled
            # offsets point to (not the blurred coarse image)
            cost = _distances(patch_vectors(current, patch), targets, nnf)
            current = reconstruct(current, m, targets, nnf, cost, patch)
        for _ in range(iterations):
            nnf, cost = patchmatch(patch_vectors(current, patch), targets, valid, nnf, rng)
            updated = reconstruct(current, m, targets, nnf, cost, patch)
            change = float(np.abs(updated - current)[m].mean())
            current = updated
            if change < tolerance:
                break
        nnf_prev, targets_prev = nnf, targets
    return reconstruct(current, m, targets, nnf, cost, patch, best=True)


def _sources(mask: np.ndarray, patch: int) -> np.ndarray:
    """Centres of the patches that lie inside the image and entirely outside the hole."""
    H, W = mask.shape
    half = patch // 2
    inside = np.zeros((H, W), dtype=bool)
    inside[half : H - half, half : W - half] = True
    return ~ndimage.binary_dilation(mask, np.ones((patch, patch), dtype=bool)) & inside


def _upsample(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    up = np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)
    out = np.pad(up, ((0, max(0, shape[0] - up.shape[0])), (0, max(0, shape[1] - up.shape[1]))), mode="edge")
    return out[: shape[0], : shape[1]]


def random_mask(
    shape: tuple[int, int], holes: int, size: tuple[int, int], rng: np.random.Generator, margin: int = 8
) -> np.ndarray:
    """``holes`` random rectangles with sides in ``size`` pixels, away from the border."""
    H, W = shape
    mask = np.zeros(shape, dtype=bool)
    for _ in range(holes):
        h, w = rng.integers(size[0], size[1] + 1, 2)
        y = rng.integers(margin, max(margin + 1, H - h - margin))
        x = rng.integers(margin, max(margin + 1, W - w - margin))
        mask[y : y + h, x : x + w] = True
    return mask


def two_point_statistics(phase: np.ndarray, region: np.ndarray, max_lag: int) -> np.ndarray:
    """Two-point statistics of a binary ``phase`` within ``region`` (both (H, W) bool):
    ``S2(r) = P(x and x + r both in phase | x and x + r both in region)`` for lags
    ``r`` in ``[-max_lag, max_lag]^2``, as a ``(2L+1, 2L+1)`` array (NaN where no pair)."""
    H, W = phase.shape
    shape = (2 * H, 2 * W)  # zero padding: no wrap-around
    f = np.fft.rfft2(np.where(region, phase, 0).astype(float), shape)
    g = np.fft.rfft2(region.astype(float), shape)
    num = np.fft.irfft2(f * np.conj(f), shape)
    den = np.fft.irfft2(g * np.conj(g), shape)
    lags = np.r_[0 : max_lag + 1, -max_lag:0]
    num, den = num[np.ix_(lags, lags)], den[np.ix_(lags, lags)]
    s2 = np.where(den > 0.5, num / np.maximum(den, 1e-9), np.nan)
    return np.fft.fftshift(s2)


def closeness(original: np.ndarray, filled: np.ndarray, mask: np.ndarray, threshold: float, max_lag: int = 16) -> dict:
    """How close the filled region is to the original in two-point statistics.

    The phase is "carbide" = darker than ``threshold``; statistics are taken over the
    hole dilated by ``max_lag`` (pairs with at least the hole's context). Returns the RMS
    difference of S2 over all lags, and each image's carbide fraction in the hole.
    """
    region = ndimage.binary_dilation(mask, iterations=max_lag)
    a = two_point_statistics(original < threshold, region, max_lag)
    b = two_point_statistics(filled < threshold, region, max_lag)
    ok = np.isfinite(a) & np.isfinite(b)
    return {
        "s2_rms_difference": float(np.sqrt(np.mean((a[ok] - b[ok]) ** 2))),
        "carbide_fraction_original": float((original < threshold)[mask].mean()),
        "carbide_fraction_filled": float((filled < threshold)[mask].mean()),
        "pixel_rmse": float(np.sqrt(np.mean((original[mask] - filled[mask]) ** 2))),
    }
