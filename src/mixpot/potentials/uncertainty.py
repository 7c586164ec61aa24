"""POPS uncertainty of per-atom energies and forces of a linear potential.

A linear potential's energy is linear in its coefficients, so each per-atom
energy, the total energy and each force component is a row of the fitting
block times the coefficients; the POPS posterior of the regressor gives any
such row a std and exact bounds. This module builds those rows from what an
engine computes, per atom:

* per-atom descriptors ``[1, B_i]`` (:meth:`~mixpot.descriptors.SNAP.per_atom`,
  or ``compute sna/atom`` after a column of ones) and each atom's element
  give the per-atom energy rows ``[0…, 1, B_i, …0]`` (the element's block)
  and their sum, the total-energy row;
* descriptor gradients (``compute snad/atom``) give the force rows.

It calls only the public API of :class:`~mixpot.pops.POPSRegressor`
(``predict(..., return_std=True)``, ``predict_bounds``), so a new posterior
there is picked up as it is.

When the regressor was fit with strata (the distillation passes
``strata=rows.kind``), each row is predicted with the ``k`` of the matching
stratum (:func:`row_strata`): force rows with "force"; the total energy
with "energy"; per-atom energies with "atom_energy" when the fit had such
rows — they are rows of exactly that form and target, so that stratum's
``k`` is the one calibrated on them — and otherwise with "energy", the
only energy stratum (the per-atom energies are the parts of its totals). A
regressor without the matching stratum (or without strata) answers with
its pooled ``k``. Used by
:class:`~mixpot.potentials.SnapCalculator` through
:meth:`~mixpot.potentials.LinearPotential.atom_energy_uncertainty` and
:meth:`~mixpot.potentials.LinearPotential.force_std`; an uncertainty
criterion for regions or another engine calls the same methods.

Suffixes: ``_nk`` atom × descriptor, ``_nx`` atom × column, ``_ntck`` atom ×
element × Cartesian × descriptor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixpot.descriptors import SNAP
from mixpot.pops import POPSRegressor


@dataclass(frozen=True)
class EnergyUncertainty:
    """POPS uncertainty of the SNAP part of per-atom and total energies (eV).

    Bounds are offsets from the potential's prediction: add them to the
    predicted energies (baseline included: the baseline is exact).

    Attributes
    ----------
    atom_std, atom_lower, atom_upper : ndarray, shape (n_atoms,)
        Std and bound offsets of each atom's energy.
    std, lower, upper : float
        The same for the total energy (its own row, not a sum of the atoms').
    """

    atom_std: np.ndarray
    atom_lower: np.ndarray
    atom_upper: np.ndarray
    std: float
    lower: float
    upper: float


#: Strata to use for each kind of row, most specific first.
FORCE_STRATA = ("force",)
ENERGY_STRATA = ("energy",)
ATOM_ENERGY_STRATA = ("atom_energy", "energy")


def row_strata(
    regressor: POPSRegressor, preferred: tuple[str, ...], n_rows: int
) -> np.ndarray | None:
    """Return the stratum label for ``n_rows`` rows, or None for the pooled fit.

    The first of ``preferred`` the regressor was fit with; None when it has
    none of them (or no strata).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    >>> kinds = np.array(["energy", "force"] * 20)
    >>> pops = POPSRegressor().fit(X, y, strata=kinds)
    >>> row_strata(pops, ATOM_ENERGY_STRATA, 2).tolist()
    ['energy', 'energy']
    >>> row_strata(POPSRegressor().fit(X, y), FORCE_STRATA, 2) is None
    True
    """
    known = getattr(regressor, "strata_", None)
    if known is None:
        return None
    names = set(known.tolist())
    for label in preferred:
        if label in names:
            return np.full(n_rows, label)
    return None


def atom_energy_rows(
    descriptor: SNAP, descriptors_nk: np.ndarray, types_n: np.ndarray
) -> np.ndarray:
    """Return each atom's energy row, shape (n_atoms, descriptor.n_columns).

    Parameters
    ----------
    descriptor : SNAP
        Settings of the potential (elements, number of coefficients).
    descriptors_nk : array-like, shape (n_atoms, descriptor.n_coefficients)
        Per-atom descriptors with the leading constant column, as
        :meth:`~mixpot.descriptors.SNAP.per_atom` returns them.
    types_n : array-like of int, shape (n_atoms,)
        Element index of each atom in ``descriptor.elements`` (0-based).

    Examples
    --------
    >>> snap = SNAP(["W", "Be"], [0.5, 0.4], twojmax=0)
    >>> atom_energy_rows(snap, [[1.0, 2.0], [1.0, 3.0]], [1, 0]).tolist()
    [[0.0, 0.0, 1.0, 2.0], [1.0, 3.0, 0.0, 0.0]]
    """
    descriptors_nk, types_n = _checked(descriptor, descriptors_nk, types_n)
    n_atoms = len(types_n)
    rows_nek = np.zeros((n_atoms, descriptor.n_elements, descriptor.n_coefficients))
    rows_nek[np.arange(n_atoms), types_n] = descriptors_nk
    return rows_nek.reshape(n_atoms, -1)


def atom_energy_uncertainty(
    regressor: POPSRegressor,
    descriptor: SNAP,
    descriptors_nk: np.ndarray,
    types_n: np.ndarray,
) -> EnergyUncertainty:
    """Return the POPS std and bounds of per-atom and total energies.

    See :func:`atom_energy_rows` for the parameters.
    """
    rows_nx = atom_energy_rows(descriptor, descriptors_nk, types_n)
    atom_std, atom_lower, atom_upper = _interval(regressor, rows_nx, ATOM_ENERGY_STRATA)
    std, lower, upper = _interval(regressor, rows_nx.sum(axis=0)[None], ENERGY_STRATA)
    return EnergyUncertainty(
        atom_std,
        atom_lower,
        atom_upper,
        float(std[0]),
        float(lower[0]),
        float(upper[0]),
    )


def force_std(
    regressor: POPSRegressor, descriptor: SNAP, gradients_ntck: np.ndarray
) -> np.ndarray:
    """Return the POPS std of each force component (eV/Å), shape (n_atoms, 3).

    Parameters
    ----------
    regressor : POPSRegressor
        The fitted regressor of the potential.
    descriptor : SNAP
        Settings of the potential.
    gradients_ntck : array-like, shape (n_atoms, n_elements, 3, K)
        Force rows in the ASE frame: entry ``[i, t, c, k]`` is minus the
        derivative of the sum of ``B_k`` over atoms of element ``t`` with
        respect to coordinate ``c`` of atom ``i`` (``compute snad/atom``,
        rotated into the ASE frame). The constant columns have no gradient.
    """
    gradients_ntck = np.asarray(gradients_ntck, dtype=np.float64)
    expected = (descriptor.n_elements, 3, descriptor.n_coefficients - 1)
    if gradients_ntck.ndim != 4 or gradients_ntck.shape[1:] != expected:
        raise ValueError(
            "The 'gradients' parameter of force_std must have shape (n_atoms, "
            f"{', '.join(map(str, expected))}). Got {gradients_ntck.shape}."
        )
    n_atoms = len(gradients_ntck)
    rows_ntcx = np.zeros((*gradients_ntck.shape[:3], descriptor.n_coefficients))
    rows_ntcx[..., 1:] = gradients_ntck
    # Columns are element-major: move the element axis next to the columns.
    rows_ncx = rows_ntcx.transpose(0, 2, 1, 3).reshape(3 * n_atoms, -1)
    strata = row_strata(regressor, FORCE_STRATA, len(rows_ncx))
    _, std = regressor.predict(rows_ncx, return_std=True, strata=strata)
    return std.reshape(n_atoms, 3)


def _interval(
    regressor: POPSRegressor, rows_nx: np.ndarray, preferred: tuple[str, ...]
) -> tuple[np.ndarray, ...]:
    """Std and bounds (as offsets from the mean) of linear rows."""
    strata = row_strata(regressor, preferred, len(rows_nx))
    mean, std = regressor.predict(rows_nx, return_std=True, strata=strata)
    lower, upper = regressor.predict_bounds(rows_nx, strata=strata)
    return std, lower - mean, upper - mean


def _checked(
    descriptor: SNAP, descriptors_nk, types_n
) -> tuple[np.ndarray, np.ndarray]:
    descriptors_nk = np.asarray(descriptors_nk, dtype=np.float64)
    types_n = np.asarray(types_n)
    n_descriptors = descriptor.n_coefficients
    if descriptors_nk.ndim != 2 or descriptors_nk.shape[1] != n_descriptors:
        raise ValueError(
            "The 'descriptors' parameter of atom_energy_rows must have shape "
            f"(n_atoms, {n_descriptors}). Got {descriptors_nk.shape}."
        )
    valid_types = (
        types_n.shape == (len(descriptors_nk),)
        and np.issubdtype(types_n.dtype, np.integer)
        and bool(np.all((types_n >= 0) & (types_n < descriptor.n_elements)))
    )
    if not valid_types:
        raise ValueError(
            "The 'types' parameter of atom_energy_rows must be one element "
            f"index in [0, {descriptor.n_elements}) per atom, shape "
            f"({len(descriptors_nk)},). Got {types_n.tolist()!r}."
        )
    return descriptors_nk, types_n
