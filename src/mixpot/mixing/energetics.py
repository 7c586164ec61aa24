"""Reference energies for defect energetics with energy mixing.

A defect energy compares a system with atoms in a reference state (bulk
crystal, chemical potentials). With energy mixing each atom counts with
weight λ_i in the expensive model and 1 − λ_i in the cheap one, and the two
models' bulk energies per atom differ (a few meV for a good distillation,
times thousands of cheap atoms). So the reference must weight them the same
way: ``E_ref = Σ_i [λ_i μ^exp(s_i) + (1 − λ_i) μ^cheap(s_i)]``, with μ(s)
each model's energy per atom of element s in the reference state. A
formation energy is then ``E_mixed − E_ref``, as ``E − Σ_i μ(s_i)`` is for a
single model.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from ase import Atoms


def reference_energy(
    atoms: Atoms,
    weights: np.ndarray,
    expensive: Mapping[str, float],
    cheap: Mapping[str, float],
) -> float:
    """Energy (eV) of the atoms in their reference state, weighted as mixed.

    Parameters
    ----------
    atoms : ase.Atoms
        The mixed system (only its chemical symbols are used).
    weights : array-like, shape (n_atoms,)
        λ per atom, e.g. ``MixedCalculator.results["lambda"]``.
    expensive, cheap : mapping of str to float
        Each model's reference energy per atom (eV) by element, e.g. its
        energy per atom of the perfect crystal at the same lattice constant.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For a weights array of the wrong shape, weights outside [0, 1], or an
        element missing from either mapping.

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", cubic=True).repeat(2)        # 16 atoms
    >>> weights = np.r_[np.ones(4), np.zeros(12)]
    >>> reference_energy(atoms, weights, {"W": -11.0}, {"W": -10.9})
    -174.8
    """
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (len(atoms),):
        raise ValueError(
            f"weights has shape {weights.shape}; expected ({len(atoms)},), one "
            f"λ per atom."
        )
    if not np.all((weights >= 0) & (weights <= 1)):
        raise ValueError("weights must lie in [0, 1] (λ per atom).")
    symbols = np.array(atoms.get_chemical_symbols())
    total = 0.0
    for element in np.unique(symbols):
        for name, table in (("expensive", expensive), ("cheap", cheap)):
            if element not in table:
                raise ValueError(
                    f"no {name} reference energy for {element}; give one per "
                    f"element present ({', '.join(np.unique(symbols))})."
                )
        mine = weights[symbols == element]
        total += mine.sum() * expensive[element] + (1 - mine).sum() * cheap[element]
    return float(total)
