"""Exact elastic constraints of the fit (distill/elastic_constraints.py)."""

import numpy as np
import pytest
from ase.build import bulk
from ase.units import GPa

from mixpot.descriptors import SNAP
from mixpot.distill import labelled_copy
from mixpot.distill.elastic_checks import constraint_check
from mixpot.distill.elastic_constraints import (
    elastic_cells,
    elastic_reference,
    elastic_rows,
    elastic_values,
    in_report_units,
    zero_stress_lattice_constant,
)
from mixpot.distill.fitting import FitSettings, fit_distilled
from mixpot.distill.properties import elastic_constants
from mixpot.models import expensive_calculator, shipped_tungsten

W_EAM = "lammps:pair_style eam/alloy;pair_coeff * * W_zhou.eam.alloy W"


@pytest.fixture(scope="module")
def eam():
    return expensive_calculator(W_EAM)


@pytest.fixture(scope="module")
def sw():
    return expensive_calculator("lammps:Si_sw")


@pytest.fixture(scope="module")
def w_reference(eam):
    return elastic_reference(eam, "W", "bcc", 3.16)


@pytest.fixture(scope="module")
def si_reference(sw):
    return elastic_reference(sw, "Si", "diamond", 5.43)


def test_central_differences_match_an_energy_strain_fit(eam, w_reference):
    """C11 from stress differences at the default step equals the curvature
    of a sixth-order fit of E(ε_xx)/V over ±1% to 1e-4 relative (4e-5
    measured for this EAM): the finite-difference error is negligible against
    the 2% goal.
    """
    a = w_reference.lattice_constant
    strains = np.linspace(-0.01, 0.01, 21)
    energies = []
    for strain in strains:
        atoms = bulk("W", "bcc", a=a, cubic=True)
        atoms.set_cell(atoms.cell.array @ np.diag([1 + strain, 1, 1]), scale_atoms=True)
        atoms.calc = eam
        energies.append(atoms.get_potential_energy() / a**3)
    curvature = 2 * np.polyfit(strains, energies, 6)[-3]
    assert w_reference.values["c11"] == pytest.approx(curvature, rel=1e-4)


def test_zero_stress_lattice_constant_has_no_pressure(eam, w_reference):
    """The root's pressure is below 1e-9 GPa, and it lies within 1e-5 of the
    energy minimum.
    """
    a = w_reference.lattice_constant
    atoms = bulk("W", "bcc", a=a, cubic=True)
    atoms.calc = eam
    assert abs(np.mean(atoms.get_stress()[:3])) / GPa < 1e-9
    from mixpot.distill.sampling import relaxed_lattice_constant

    assert a == pytest.approx(relaxed_lattice_constant("W", "bcc", eam, 3.16), 1e-5)


def test_diamond_relaxed_c44_equals_the_bfgs_relaxed_stress_strain(sw, si_reference):
    """C44⁰ − n_B L²/(V Φ) equals C44 from stress–strain with the atoms
    relaxed by BFGS at every strain (Stillinger–Weber Si), to 1e-4; the
    clamped-ion C44 is about twice as large.
    """
    moduli = si_reference.gpa()
    _, _, relaxed = elastic_constants(
        sw, "Si", "diamond", si_reference.lattice_constant, fmax=1e-6
    )
    assert moduli["c44_relaxed"] == pytest.approx(relaxed, rel=1e-4)
    assert moduli["c44"] > 1.5 * relaxed


@pytest.mark.parametrize("lattice", ["bcc", "diamond"])
def test_rows_predict_what_the_calculator_measures(lattice):
    """Each quantity's SNAP row times θ plus the baseline's share equals what
    the same formula takes from the potential's own ASE calculator (W_2940 +
    ZBL; diamond W is a fictitious crystal with internal strain), to 1e-9.
    """
    potential = shipped_tungsten()
    a = 3.18 if lattice == "bcc" else 6.0
    measured = elastic_values(potential.calculator(uncertainty=False), "W", lattice, a)
    rows = elastic_rows(
        potential.descriptor, "W", lattice, a, baseline=potential.baseline
    )
    for name, (row, base) in rows.items():
        scale = abs(measured["c11"]) if name == "pressure" else abs(measured[name])
        assert row @ potential.coef + base == pytest.approx(
            measured[name], abs=1e-9 * scale
        ), name


def labelled(calc, element, lattice, a, n_rattled=6, seed=0):
    """Rattled supercells and a few homogeneous strains, labelled by calc."""
    configs = []
    rng = np.random.default_rng(seed)
    for _ in range(n_rattled):
        atoms = bulk(element, lattice, a=a, cubic=True).repeat(2)
        atoms.rattle(0.06 * a / 3.2, seed=int(rng.integers(1 << 30)))
        atoms.info["group"] = "rattle"
        configs.append(atoms)
    for strain in (-0.004, 0.004):
        atoms = bulk(element, lattice, a=a * (1 + strain), cubic=True)
        atoms.info["group"] = "strain_hydrostatic"
        configs.append(atoms)
    return [labelled_copy(atoms, calc) for atoms in configs]


@pytest.mark.parametrize("case", ["W-bcc", "Si-diamond"])
def test_constrained_fit_and_every_member_keep_a_and_cij(case, request):
    """With exact constraints the cheap model and each of 8 POPS members have
    the expensive model's zero-stress lattice constant and C11, C12, C44 (and
    for diamond the internal-strain terms, hence the relaxed-ion C44) to
    1e-8 relative, measured by the same formula from their calculators; all
    members are Born-stable; the unconstrained fit misses them.
    """
    element, lattice = case.split("-")
    calc = request.getfixturevalue("eam" if element == "W" else "sw")
    reference = request.getfixturevalue(
        "w_reference" if element == "W" else "si_reference"
    )
    configs = labelled(calc, element, lattice, reference.lattice_constant)
    snap = SNAP([element], [0.5], twojmax=6, rcutfac=4.7 if element == "W" else 4.2)
    exact = fit_distilled(
        snap, configs, FitSettings(holdout_fraction=0), elastic_reference=reference
    )
    coefs = exact.potential.sample_coefficients(8, random_state=0)
    spread = np.ptp(coefs, axis=0).max() / np.abs(exact.potential.coef).max()
    assert spread > 1e-3  # the members are different potentials
    members = [type(exact.potential)(snap, coef).calculator() for coef in coefs]
    check = constraint_check(reference, exact.potential.calculator(), members)
    for name, deviation in check["max_relative_deviation"].items():
        assert deviation < 1e-8, name
    assert check["n_members_stable"] == 8
    off = fit_distilled(
        snap, configs, FitSettings(holdout_fraction=0, elastic_constraint="off")
    )
    loose = constraint_check(reference, off.potential.calculator())
    assert max(loose["max_relative_deviation"].values()) > 1e-4


def test_exact_mode_needs_the_reference(eam):
    """Without an elastic reference the exact mode says what to pass."""
    configs = labelled(eam, "W", "bcc", 3.165, n_rattled=1)
    with pytest.raises(ValueError, match="'elastic_reference' parameter"):
        fit_distilled(SNAP(["W"], [0.5], twojmax=2), configs, FitSettings())


def test_unknown_lattice_is_refused():
    """Only the cubic lattices the formulas know are accepted."""
    with pytest.raises(ValueError, match="'lattice' parameter"):
        elastic_cells("Mg", "hcp", 3.2)


def test_report_units():
    """eV/Å³ convert to GPa; the internal-strain terms keep eV units."""
    converted = in_report_units({"c11": GPa, "internal_strain": 2.0})
    assert converted == pytest.approx({"c11": 1.0, "internal_strain": 2.0})


def test_no_stress_root_is_an_error(eam):
    """A guess far from any equilibrium gives a RuntimeError saying so."""
    with pytest.raises(RuntimeError, match="no stable bcc crystal near it"):
        zero_stress_lattice_constant(eam, "W", "bcc", 2.0)
