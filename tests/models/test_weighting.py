"""weighted_provider (src/mixpot/models/weighting.py): which λ-weighted
provider serves which model.
"""

import pytest
from ase.calculators.emt import EMT

from mixpot.models import shipped_tungsten, weighted_provider
from mixpot.potentials import LinearPotential, WeightedSnap


@pytest.fixture(scope="module")
def w_2940() -> LinearPotential:
    """W_2940_2017_2 (2J = 8) with its ZBL 4.0–4.8 Å baseline."""
    return shipped_tungsten()


def test_provider_dispatch(w_2940):
    """SNAP calculators and potentials get WeightedSnap; others a clear error."""
    assert isinstance(weighted_provider(w_2940), WeightedSnap)
    assert isinstance(weighted_provider(w_2940.calculator()), WeightedSnap)
    with pytest.raises(ValueError, match="EMT cannot provide λ-weighted energy"):
        weighted_provider(EMT())
