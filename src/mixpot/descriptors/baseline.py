"""Fixed pair baselines added underneath a fitted SNAP model.

A baseline is a pair potential with no free parameters (here the universal
ZBL screened repulsion). :meth:`mixpot.descriptors.SNAP.rows` runs it through
``pair_style hybrid/overlay`` so that LAMMPS's ``compute snap`` reports its
energy, forces and virial in the reference column; the fit then only has to
learn what the baseline leaves over. :func:`zbl_pair` evaluates the same
pair term in numpy, for the λ-weighted sums of energy mixing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
from ase.data import atomic_numbers

#: e² / (4π ε0) in eV·Å: LAMMPS's ``qqr2e`` in metal units.
COULOMB_EV_A = 14.399645
#: ZBL universal screening: ``φ(x) = Σ_k c_k exp(-d_k x)``, ``a = A0 / (Zi^P + Zj^P)``.
ZBL_C = np.array([0.02817, 0.28022, 0.50986, 0.18175])
ZBL_D = np.array([0.20162, 0.40290, 0.94229, 3.19980])
ZBL_A0, ZBL_POWER = 0.46850, 0.23


@dataclass(frozen=True)
class ZBLBaseline:
    """Ziegler–Biersack–Littmark screened nuclear repulsion.

    The ZBL energy is switched smoothly to zero between ``inner`` and
    ``outer`` (LAMMPS ``pair_style zbl inner outer``). Nuclear charges are
    the atomic numbers of the SNAP elements.

    Parameters
    ----------
    inner : float
        Distance (Å) where the switching function starts.
    outer : float
        Cutoff (Å) of the ZBL term; must exceed ``inner``.

    Examples
    --------
    >>> zbl = ZBLBaseline(inner=4.0, outer=4.8)
    >>> zbl.pair_style_args()
    'zbl 4.0 4.8'
    >>> zbl.pair_coeff_commands(["W", "Be"])[1]
    'pair_coeff 1 2 zbl 74 4'
    """

    inner: float
    outer: float

    def __post_init__(self) -> None:
        for name in ("inner", "outer"):
            value = getattr(self, name)
            if not (isinstance(value, Real) and math.isfinite(value)):
                raise ValueError(
                    f"The '{name}' parameter of ZBLBaseline must be a finite "
                    f"float. Got {value!r}."
                )
        if not 0 < self.inner < self.outer:
            raise ValueError(
                "The 'inner' parameter of ZBLBaseline must be > 0 and below "
                f"'outer' ({self.outer} Å). Got {self.inner}."
            )

    def pair_style_args(self) -> str:
        """Return the ``pair_style`` sub-style with its arguments."""
        return f"zbl {float(self.inner)!r} {float(self.outer)!r}"

    def pair_coeff_commands(self, elements: Sequence[str]) -> list[str]:
        """Return one ``pair_coeff`` command per pair of LAMMPS types.

        Type ``k + 1`` carries ``elements[k]``; the commands are meant for a
        ``pair_style hybrid/overlay`` that includes this ZBL term.
        """
        charges = [atomic_numbers[symbol] for symbol in elements]
        return [
            f"pair_coeff {i + 1} {j + 1} zbl {charges[i]} {charges[j]}"
            for i in range(len(charges))
            for j in range(i, len(charges))
        ]


def zbl_pair(
    r: np.ndarray, z_i: np.ndarray, z_j: np.ndarray, baseline: ZBLBaseline
) -> tuple[np.ndarray, np.ndarray]:
    """LAMMPS ZBL pair energy φ(r) (eV) and dφ/dr (eV/Å) for r < outer.

    Examples
    --------
    >>> import numpy as np
    >>> phi, _ = zbl_pair(np.array([1.0]), np.array([74.0]), np.array([74.0]),
    ...                   ZBLBaseline(4.0, 4.8))
    >>> bool(phi[0] > 100)
    True
    """
    inverse_screening = (z_i**ZBL_POWER + z_j**ZBL_POWER) / ZBL_A0
    coulomb = COULOMB_EV_A * z_i * z_j
    e, de, _ = _screened_coulomb(r, coulomb, inverse_screening)
    outer = np.full_like(r, baseline.outer)
    e_c, de_c, dde_c = _screened_coulomb(outer, coulomb, inverse_screening)
    width = baseline.outer - baseline.inner
    a = (-3.0 * de_c + width * dde_c) / width**2
    b = (2.0 * de_c - width * dde_c) / width**3
    shift = -e_c + 0.5 * width * de_c - width**2 / 12.0 * dde_c
    t = np.clip(r - baseline.inner, 0.0, None)
    phi = e + shift + t**3 * (a / 3.0 + b / 4.0 * t)
    dphi = de + t**2 * (a + b * t)
    return phi, dphi


def _screened_coulomb(r, coulomb, inverse_screening):
    """``e(r) = C/r Σ c_k exp(-d_k r/a)`` and its first two derivatives."""
    rate = ZBL_D[None, :] * inverse_screening[:, None]
    terms = ZBL_C[None, :] * np.exp(-rate * r[:, None])
    r = r[:, None]
    e = coulomb * (terms / r).sum(axis=1)
    de = -coulomb * (terms * (rate / r + 1.0 / r**2)).sum(axis=1)
    dde = coulomb * (terms * (rate**2 / r + 2 * rate / r**2 + 2.0 / r**3)).sum(axis=1)
    return e, de, dde
