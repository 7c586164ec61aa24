"""reference_energy (src/mixpot/mixing/energetics.py)."""

import numpy as np
import pytest
from ase.build import bulk

from mixpot.mixing import reference_energy


def test_weights_split_each_atom_between_the_two_references():
    """Σ λ μ_exp + (1 − λ) μ_cheap per element, for a W–Mo mixture."""
    atoms = bulk("W", cubic=True).repeat(2)
    atoms.symbols[:4] = "Mo"
    weights = np.linspace(0, 1, len(atoms))
    expensive, cheap = {"W": -11.0, "Mo": -10.0}, {"W": -11.1, "Mo": -10.2}
    mu_exp = np.array([expensive[s] for s in atoms.symbols])
    mu_cheap = np.array([cheap[s] for s in atoms.symbols])
    expected = np.sum(weights * mu_exp + (1 - weights) * mu_cheap)
    assert reference_energy(atoms, weights, expensive, cheap) == pytest.approx(
        expected, rel=1e-14
    )


@pytest.mark.parametrize(
    ("weights", "tables", "message"),
    [
        (np.ones(3), ({"W": 0.0}, {"W": 0.0}), "expected \\(16,\\)"),
        (np.full(16, 1.5), ({"W": 0.0}, {"W": 0.0}), "in \\[0, 1\\]"),
        (np.ones(16), ({"Mo": 0.0}, {"W": 0.0}), "no expensive reference .* W"),
    ],
)
def test_bad_input_is_refused(weights, tables, message):
    atoms = bulk("W", cubic=True).repeat(2)
    with pytest.raises(ValueError, match=message):
        reference_energy(atoms, weights, *tables)
