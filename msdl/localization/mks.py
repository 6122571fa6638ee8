"""First-order MKS localization (Landi, Kalidindi et al. 2010), our own implementation.

The response field is a periodic convolution of the phase indicator with a learned
influence kernel: ``r(x) = a + sum_t alpha(t) m(x - t)`` with ``m`` the hard-phase
indicator (the soft-phase indicator is ``1 - m``, so one kernel suffices). In Fourier
space the fit decouples per frequency ``k``: for ``k != 0`` ordinary least squares of
``R_n(k)`` on ``M_n(k)`` over the training SVEs ``n`` (one complex coefficient), and at
``k = 0`` the regression of the SVE mean response on the volume fraction. A tiny ridge
``ridge * mean |M|^2`` keeps empty frequencies finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from msdl.io import atomic_path


@dataclass
class MksModel:
    """Fitted first-order MKS kernel for one grid shape ``(N0, N1, N2)``.

    ``coeff``: complex128 (N0, N1, N2//2+1), the kernel's transform (k = 0 entry unused);
    ``intercept``/``slope``: SVE mean response = intercept + slope * volume fraction.
    """

    coeff: np.ndarray
    intercept: float
    slope: float

    def predict(self, phase: np.ndarray) -> np.ndarray:
        """Predicted response (N0, N1, N2) float64 of one phase field."""
        m = np.asarray(phase, dtype=np.float64)
        m_hat = np.fft.rfftn(m)
        r_hat = self.coeff * m_hat
        r_hat[0, 0, 0] = m.size * (self.intercept + self.slope * m.mean())
        return np.fft.irfftn(r_hat, s=m.shape, axes=(0, 1, 2))

    def save(self, path) -> None:
        """Write the model as ``.npz`` atomically (a killed job leaves no half-written file)."""
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, coeff=self.coeff, intercept=self.intercept, slope=self.slope)

    @classmethod
    def load(cls, path) -> "MksModel":
        with np.load(path, allow_pickle=False) as z:
            return cls(z["coeff"], float(z["intercept"]), float(z["slope"]))


class MksFitter:
    """Accumulates the normal equations SVE by SVE (streams any number of shards)."""

    def __init__(self, ridge: float = 1e-8):
        self.ridge = ridge
        self.num = self.den = None
        self.vf, self.mean = [], []

    def add(self, phase: np.ndarray, response: np.ndarray) -> None:
        m_hat = np.fft.rfftn(np.asarray(phase, dtype=np.float64))
        r_hat = np.fft.rfftn(np.asarray(response, dtype=np.float64))
        if self.num is None:
            self.num = np.zeros_like(m_hat)
            self.den = np.zeros(m_hat.shape)
        self.num += m_hat.conj() * r_hat
        self.den += np.abs(m_hat) ** 2
        self.vf.append(float(np.mean(phase)))
        self.mean.append(float(np.mean(response)))

    def fit(self) -> MksModel:
        if self.num is None:
            raise ValueError("MKS fit: no training SVEs")
        coeff = self.num / (self.den + self.ridge * self.den.mean())
        vf, mean = np.array(self.vf), np.array(self.mean)
        if len(vf) > 1 and np.ptp(vf) > 0:
            slope, intercept = np.polyfit(vf, mean, 1)
        else:
            slope, intercept = 0.0, float(mean.mean())
        return MksModel(coeff, float(intercept), float(slope))
