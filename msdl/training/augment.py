"""Differentiable augmentation for GAN training on few images (Zhao et al. 2020,
"Differentiable Augmentation for Data-Efficient GAN Training", arXiv:2006.10738).

The discriminator sees every image, real or generated, through the same random
transformation, in both the discriminator's and the generator's step. Because generated
images are transformed too (and the transformations are differentiable), the generator
is still pushed towards the untransformed data, not towards the augmented one: nothing
leaks into the samples. What changes is that the discriminator can no longer memorize a
few hundred training patches, which on small sets makes it win early and the generator
collapse onto a few modes (the report's section 10 remark).

Policies (comma-separated, applied in this order):

- ``flip``: random horizontal and vertical flips and 90-degree rotations (the dihedral group
  of the square; micrographs have no preferred direction);
- ``translation``: a random shift of up to 1/8 of the image size in each direction, the
  uncovered border filled with 0 (mid-grey in [-1, 1]);
- ``cutout``: a random square of half the image size set to 0.

Randomness comes from a ``torch.Generator`` on the CPU, so a run is reproducible and a
resumed run draws what an uninterrupted one would.
"""

from __future__ import annotations

import torch

POLICIES = ("flip", "translation", "cutout")


def parse_policy(policy: str) -> tuple[str, ...]:
    """``"translation,cutout"`` -> ``("translation", "cutout")``; ``""`` or ``"none"`` -> ``()``."""
    if policy in ("", "none"):
        return ()
    parts = tuple(p.strip() for p in policy.split(","))
    unknown = [p for p in parts if p not in POLICIES]
    if unknown:
        raise ValueError(f"augment policy {policy!r}: unknown {unknown}; choose from {list(POLICIES)} or 'none'")
    return parts


def _flip(x: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    n = len(x)
    k = torch.randint(0, 4, (n,), generator=rng).tolist()
    mirror = torch.randint(0, 2, (n,), generator=rng).tolist()
    out = [torch.rot90(xi.flip(-1) if m else xi, ki, dims=(-2, -1)) for xi, ki, m in zip(x, k, mirror)]
    return torch.stack(out)


def _translation(x: torch.Tensor, rng: torch.Generator, ratio: float = 0.125) -> torch.Tensor:
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (n, 1, 1), generator=rng).to(x.device)
    dx = torch.randint(-sw, sw + 1, (n, 1, 1), generator=rng).to(x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1) - dy  # source row of each target row
    cols = torch.arange(w, device=x.device).view(1, 1, w) - dx
    inside = ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).unsqueeze(1)
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    shifted = x.permute(0, 2, 3, 1)[batch, rows.clamp(0, h - 1), cols.clamp(0, w - 1)].permute(0, 3, 1, 2)
    return shifted * inside


def _cutout(x: torch.Tensor, rng: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    y0 = torch.randint(0, h + 1 - ch % 2, (n, 1, 1), generator=rng).to(x.device) - ch // 2
    x0 = torch.randint(0, w + 1 - cw % 2, (n, 1, 1), generator=rng).to(x.device) - cw // 2
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    hole = (rows >= y0) & (rows < y0 + ch) & (cols >= x0) & (cols < x0 + cw)
    return x * ~hole.unsqueeze(1)


_APPLY = {"flip": _flip, "translation": _translation, "cutout": _cutout}


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], rng: torch.Generator) -> torch.Tensor:
    """``x`` ``(N, C, H, W)`` in [-1, 1] through the policy's random transforms (one draw
    per image), differentiable in ``x``."""
    for name in policy:
        x = _APPLY[name](x, rng)
    return x
