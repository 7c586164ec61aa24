"""Per-group row weights: rare configurations keep their total energies.

Rows are weighted per kind (:func:`~mixpot.distill.fitting.row_weights`):
an energy row counts as an energy *per atom*, and every atom's own energy is
a row of its own. A few solute cells among many host cells then count for
little: in issue 11 a W–He fit missed the He substitution energy by 3.45 eV,
its few total energies outweighed by thousands of per-atom energy rows. Two
settings of :class:`~mixpot.distill.fitting.FitSettings` fix the balance:

* ``solute_energy_weight`` — the energy row of a configuration that holds a
  solute (an atom of an element other than the host, the dataset's most
  common element) is weighted as a *total* energy (per eV², not per
  (eV/atom)²), so solution energies are fitted like the strain set pins the
  elastic constants;
* ``group_weights`` — a multiplier on every row of the configurations whose
  group starts with a given prefix (the longest matching prefix wins), e.g.
  ``{"interstitial_He": 4.0, "md_1200K": 0.5}``.

Examples
--------
>>> from ase import Atoms
>>> configs = [Atoms("W2", info={"group": "md_300K"}),
...            Atoms("WHe", info={"group": "substitution_He"})]
>>> holds_solute(configs).tolist()
[False, True]
>>> group_factor(configs, {"sub": 2.0, "substitution_He": 3.0}).tolist()
[1.0, 3.0]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from ase import Atoms


def host_element(labelled: Sequence[Atoms]) -> str | None:
    """Return the most common element of the dataset (by atoms), None if empty."""
    counts = Counter(s for atoms in labelled for s in atoms.get_chemical_symbols())
    return counts.most_common(1)[0][0] if counts else None


def holds_solute(labelled: Sequence[Atoms]) -> np.ndarray:
    """Tell, per configuration, whether it holds an atom other than the host."""
    host = host_element(labelled)
    return np.array(
        [any(s != host for s in atoms.get_chemical_symbols()) for atoms in labelled],
        dtype=bool,
    )


def group_factor(
    labelled: Sequence[Atoms], group_weights: Mapping[str, float]
) -> np.ndarray:
    """Per configuration: the multiplier of its longest matching group prefix."""
    factors = np.ones(len(labelled))
    prefixes = sorted(group_weights, key=len, reverse=True)
    for index, atoms in enumerate(labelled):
        group = str(atoms.info.get("group", ""))
        match = next((p for p in prefixes if group.startswith(p)), None)
        if match is not None:
            factors[index] = group_weights[match]
    return factors


def apply_group_weights(
    weights: np.ndarray,
    kind: np.ndarray,
    structure: np.ndarray,
    labelled: Sequence[Atoms],
    solute_energy_weight: float,
    group_weights: Mapping[str, float],
) -> np.ndarray:
    """Row weights with solute total energies and group multipliers applied.

    Parameters
    ----------
    weights : ndarray, shape (n_rows,)
        Per-kind row weights on the raw rows (energy rows at w/N²).
    kind, structure : ndarray, shape (n_rows,)
        Row kind ("energy", "force", ...) and configuration index.
    labelled : sequence of ase.Atoms
        The configurations the rows come from.
    solute_energy_weight : float
        Weight (1/eV²) of the total energy of a configuration with a solute;
        0 keeps the per-atom weight.
    group_weights : mapping of str to float
        Multipliers by group prefix.
    """
    weights = np.array(weights, dtype=float)
    if solute_energy_weight > 0:
        solute_rows = holds_solute(labelled)[structure] & (kind == "energy")
        weights[solute_rows] = np.maximum(weights[solute_rows], solute_energy_weight)
    if group_weights:
        weights *= group_factor(labelled, group_weights)[structure]
    return weights


def check_group_weights(group_weights: Mapping[str, float]) -> None:
    """Raise the ValueError of a bad ``group_weights`` setting."""
    if not isinstance(group_weights, Mapping) or not all(
        isinstance(k, str) and isinstance(v, int | float) and v >= 0
        for k, v in group_weights.items()
    ):
        raise ValueError(
            "The 'group_weights' parameter of FitSettings must map group "
            "prefixes (str) to multipliers >= 0, e.g. {'substitution_He': 4.0}. "
            f"Got {group_weights!r}."
        )
