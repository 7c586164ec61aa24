"""Vacancy energetics with energy mixing (calculator.py, energetics.py).

Bcc W, 8x8x8 conventional cells (1024 sites, 1023 atoms). Expensive: the
shipped W_2940_2017_2 SNAP (2J = 8) with its ZBL. Cheap: a 2J = 6 SNAP + ZBL
distilled from it with mixpot's pipeline (small recipe with a vacancy cell,
per-atom energies fitted with weight 30), which alone misses the vacancy
formation energy by 0.6 eV and the migration barrier by 0.16 eV. Mixed:
λ = 1 within 3 Å of the atoms next to either end of the hop, a 5 Å cubic
blend, r_buff 5 Å (≥ the 4.8 Å cutoff, as energy mode needs); one region
shared by all images. (With a 3 Å blend the formation energy is 15 meV
off: where λ changes, the two models' per-atom energies still differ a
little, see MixedCalculator's notes and benchmarks/mixing_vacancy.py.)

The formation energy is E − Σ_i μ_i with each model's bulk energy per atom,
weighted by λ for the mixed model (:func:`mixpot.mixing.reference_energy`);
the barrier is the climbing-image NEB maximum (3 images) over the relaxed
initial state (:mod:`mixpot.testing.vacancy`). Issue tolerances: 10 meV and
20 meV of the all-expensive answers.
"""

import numpy as np
import pytest
from mpi4py import MPI  # noqa: F401  (libmpi must load before liblammps)

from mixpot.distill.pipeline import distil
from mixpot.models import shipped_tungsten
from mixpot.testing.vacancy import (
    VacancyHop,
    cheap_config,
    mixed_energetics,
    single_model_energetics,
)

FORMATION_TOLERANCE = 0.010  # eV
BARRIER_TOLERANCE = 0.020  # eV


@pytest.fixture(scope="module")
def hop():
    return VacancyHop.build(repeat=8)


@pytest.fixture(scope="module")
def expensive():
    return shipped_tungsten()


@pytest.fixture(scope="module")
def cheap(tmp_path_factory):
    out = tmp_path_factory.mktemp("distilled")
    return distil(cheap_config(), out, progress=False).fit.potential


@pytest.fixture(scope="module")
def all_expensive(expensive, hop):
    return single_model_energetics(expensive, hop)


@pytest.fixture(scope="module")
def all_cheap(cheap, hop):
    return single_model_energetics(cheap, hop)


@pytest.fixture(scope="module")
def mixed(expensive, cheap, hop):
    return mixed_energetics(expensive, cheap, hop, r_core=3.0, r_blend=5.0, r_buff=5.0)


def test_region_leaves_the_far_field_to_the_cheap_model(mixed):
    """Over a third of the 1023 atoms are cheap only (λ = 0, outside the
    expensive set); λ = 1 and a blend shell around the hop.
    """
    state = mixed["state"]
    weights = state.weights
    assert len(weights) - state.n_expensive > len(weights) / 3
    assert np.any(weights == 1) and np.any((weights > 0) & (weights < 1))


def test_vacancy_formation_energy_matches_all_expensive(
    mixed, all_expensive, all_cheap
):
    """Mixed E_f within 10 meV of all-expensive, where the cheap model alone
    is more than 10× further off.
    """
    error = mixed["formation"] - all_expensive["formation"]
    cheap_error = all_cheap["formation"] - all_expensive["formation"]
    assert abs(error) < FORMATION_TOLERANCE
    assert abs(cheap_error) > 10 * FORMATION_TOLERANCE


def test_migration_barrier_matches_all_expensive(mixed, all_expensive, all_cheap):
    """Mixed CI-NEB barrier within 20 meV of all-expensive, where the cheap
    model alone is more than 5× further off.
    """
    error = mixed["barrier"] - all_expensive["barrier"]
    cheap_error = all_cheap["barrier"] - all_expensive["barrier"]
    assert abs(error) < BARRIER_TOLERANCE
    assert abs(cheap_error) > 5 * BARRIER_TOLERANCE
