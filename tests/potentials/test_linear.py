"""Tests of mixpot.potentials.linear: fitting, validation, save and load.

Contracts checked: the fit learns the expensive model minus the baseline
(an exactly representable target is recovered), any sklearn regressor with
``coef_`` works, bad inputs fail with clear errors, and a saved potential
(with its POPS posterior) gives identical results after loading.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from sklearn.linear_model import LinearRegression, Ridge

from mixpot.descriptors import SNAP, ZBLBaseline
from mixpot.pops import POPSRegressor
from mixpot.potentials import LinearPotential

ZBL = ZBLBaseline(4.0, 4.8)
SMALL = SNAP(["W"], [0.5], twojmax=4, rcutfac=4.73442, bzeroflag=False)


@pytest.fixture(scope="module")
def small_rows():
    """Rows (with ZBL baseline) of three rattled 16-atom bcc W cells."""
    cells = []
    for seed in range(3):
        atoms = bulk("W", "bcc", a=3.17, cubic=True) * (2, 2, 2)
        atoms.rattle(0.1, seed=seed)
        cells.append(atoms)
    return SMALL.rows(cells, baseline=ZBL)


def test_fit_recovers_a_representable_potential(small_rows):
    """Targets made by a known 2J=4 potential + ZBL give back its coefficients."""
    true_coef = np.random.default_rng(0).normal(0.0, 0.1, SMALL.n_columns)
    targets = small_rows.predict(true_coef)
    potential = LinearPotential.fit(
        SMALL,
        small_rows,
        targets,
        regressor=LinearRegression(fit_intercept=False),
        baseline=ZBL,
    )
    np.testing.assert_allclose(potential.coef, true_coef, rtol=1e-6, atol=1e-9)
    assert potential.regressor is None
    assert potential.baseline == ZBL


def test_fit_with_pops_keeps_the_posterior(fitted):
    """The default POPS regressor is kept: its coef_ is the potential's."""
    assert isinstance(fitted.regressor, POPSRegressor)
    np.testing.assert_array_equal(fitted.coef, fitted.regressor.coef_)
    assert fitted.calculator().uncertainty


def test_fit_clones_the_given_regressor(small_rows):
    """The user's regressor object is left unfitted."""
    regressor = Ridge(alpha=1e-6, fit_intercept=False)
    LinearPotential.fit(
        SMALL, small_rows, small_rows.baseline * 0, regressor=regressor, baseline=ZBL
    )
    assert not hasattr(regressor, "coef_")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"targets": np.zeros(5)},
            "The 'targets' parameter of LinearPotential.fit must have one value",
        ),
        (
            {"targets": "nan"},
            "The 'targets' parameter of LinearPotential.fit must be finite",
        ),
        (
            {"weights": -1.0},
            "The 'weights' parameter of LinearPotential.fit must be >= 0",
        ),
        (
            {"regressor": Ridge()},
            "The 'regressor' parameter of LinearPotential.fit must not fit an",
        ),
        (
            {"baseline": None},
            "The 'baseline' parameter of LinearPotential.fit must be the ZBLBaseline",
        ),
        ({"descriptor": SNAP(["W"], [0.5], twojmax=2)}, "must have 6 columns"),
    ],
)
def test_fit_rejects_bad_input(small_rows, change, message):
    """Shapes, NaN, negative weights, intercepts and a missing baseline fail."""
    n_rows = len(small_rows.kind)
    arguments = {
        "descriptor": SMALL,
        "rows": small_rows,
        "targets": np.zeros(n_rows),
        "weights": np.ones(n_rows),
        "baseline": ZBL,
    }
    arguments.update(change)
    if isinstance(arguments["targets"], str):
        arguments["targets"] = np.full(n_rows, np.nan)
    if np.isscalar(arguments["weights"]):
        arguments["weights"] = np.full(n_rows, arguments["weights"])
    with pytest.raises(ValueError, match=message):
        LinearPotential.fit(**arguments)


def test_constructor_checks_coefficients():
    """A coefficient vector of the wrong length or with NaN is refused."""
    with pytest.raises(ValueError, match=r"shape \(15,\)"):
        LinearPotential(SMALL, np.zeros(14))
    with pytest.raises(ValueError, match="NaN"):
        LinearPotential(SMALL, np.full(15, np.nan))


def test_save_load_round_trip_gives_identical_results(fitted, triclinic_w, tmp_path):
    """A saved and loaded potential (with posterior) predicts bit for bit the same."""
    loaded = LinearPotential.load(fitted.save(tmp_path / "potential"))
    np.testing.assert_array_equal(loaded.coef, fitted.coef)
    assert loaded.descriptor == fitted.descriptor
    assert loaded.baseline == fitted.baseline
    results = []
    for potential in (fitted, loaded):
        atoms = triclinic_w.copy()
        atoms.calc = potential.calculator()
        atoms.get_stress()
        results.append(atoms.calc.results)
    assert results[0].keys() == results[1].keys()
    for name in results[0]:
        np.testing.assert_array_equal(results[1][name], results[0][name])


def test_save_load_without_posterior(tungsten, tmp_path):
    """An imported potential round-trips with no regressor."""
    loaded = LinearPotential.load(tungsten.save(tmp_path / "w.npz"))
    np.testing.assert_array_equal(loaded.coef, tungsten.coef)
    assert loaded.regressor is None and loaded.descriptor == tungsten.descriptor


def test_load_refuses_unknown_files(fitted, tmp_path):
    """Missing files, foreign files and unknown versions fail clearly."""
    with pytest.raises(FileNotFoundError):
        LinearPotential.load(tmp_path / "absent.npz")
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.zeros(3))
    with pytest.raises(ValueError, match="not a LinearPotential file"):
        LinearPotential.load(foreign)
    path = fitted.save(tmp_path / "future.npz")
    with np.load(path) as archive:
        arrays = dict(archive)
    arrays["format_version"] = np.array(99)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="format version 99"):
        LinearPotential.load(path)


@pytest.mark.parametrize("posterior", ["ellipsoid", "hypercube"])
def test_constraints_reach_the_posterior_and_the_calculator(small_rows, posterior):
    """Constraints given to LinearPotential.fit hold for the coefficients and
    every posterior member (1e-10), and the calculator's energy bounds and
    force std are those of the chosen, constrained posterior on the rows.
    """
    rng = np.random.default_rng(1)
    targets = small_rows.predict(rng.normal(0.0, 0.1, SMALL.n_columns))
    targets = targets + rng.normal(0.0, 0.01, len(targets))  # misspecified
    A_eq = rng.normal(size=(2, SMALL.n_columns))
    b_eq = np.array([0.3, -0.2])
    potential = LinearPotential.fit(
        SMALL,
        small_rows,
        targets,
        regressor=POPSRegressor(fit_intercept=False, posterior=posterior),
        baseline=ZBL,
        groups=small_rows.structure,
        constraints=(A_eq, b_eq),
    )
    np.testing.assert_allclose(A_eq @ potential.coef, b_eq, rtol=1e-10)
    for coef in potential.sample_coefficients(5, random_state=0):
        np.testing.assert_allclose(A_eq @ coef, b_eq, rtol=1e-10)
    atoms = bulk("W", "bcc", a=3.17, cubic=True) * (2, 2, 2)
    atoms.rattle(0.1, seed=0)
    atoms.calc = potential.calculator()
    energy = atoms.get_potential_energy()
    results = atoms.calc.results
    rows = SMALL.rows([atoms], baseline=ZBL)
    lower, upper = potential.regressor.predict_bounds(rows.X[:1])
    assert results["energy_lower"] == pytest.approx(lower[0] + rows.baseline[0], 1e-9)
    assert results["energy_upper"] == pytest.approx(upper[0] + rows.baseline[0], 1e-9)
    assert lower[0] + rows.baseline[0] <= energy <= upper[0] + rows.baseline[0]
    _, std = potential.regressor.predict(rows.X, return_std=True)
    np.testing.assert_allclose(
        results["forces_std"].ravel(), std[rows.kind == "force"], rtol=1e-8
    )
