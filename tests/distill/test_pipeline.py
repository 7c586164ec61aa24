"""End-to-end distillation (src/mixpot/distill/pipeline.py).

Si from the quadratic SNAP of Zuo et al. (shipped with LAMMPS) into a linear
SNAP: a misspecified but honest, fast stand-in for an MLIP.
"""

import json

import numpy as np
import pytest
from ase.calculators.calculator import Calculator

from mixpot.descriptors import SNAP
from mixpot.distill import Recipe
from mixpot.distill.pipeline import DistillConfig, config_from_dict, distil
from mixpot.models import expensive_calculator

SI_QUADRATIC = (
    "lammps:pair_style snap;pair_coeff * * Si_Zuo_JPCA2020.quadratic.snapcoeff "
    "Si_Zuo_JPCA2020.quadratic.snapparam Si"
)


def si_config(**changes) -> DistillConfig:
    recipe = Recipe(
        ["Si"],
        "diamond",
        None,
        repeat=2,
        temperatures=[300.0, 900.0],
        n_frames=8,
        frame_interval=20.0,
        n_rattled=8,
        defects=["vacancy"],
    )
    values = {
        "expensive": SI_QUADRATIC,
        "recipe": recipe,
        "descriptor": SNAP(["Si"], [0.5], twojmax=8, rcutfac=4.8),
        "n_ensemble": 0,
    }
    return DistillConfig(**{**values, **changes})


@pytest.fixture(scope="module")
def si_run(tmp_path_factory):
    """One distillation of Si, shared by the tests of this module."""
    return distil(si_config(), tmp_path_factory.mktemp("si"), progress=False)


def test_every_training_row_is_inside_its_bounds(si_run):
    """POPS covers every training label: energies, forces and stresses."""
    for kind, scores in si_run.numbers["train"].items():
        assert scores["coverage"] == 1.0, kind


def test_held_out_labels_are_covered(si_run):
    """At least 90% of held-out energies and force components lie in the bounds."""
    held_out = si_run.numbers["held_out"]
    assert held_out["energy"]["n_rows"] > 0
    assert held_out["energy"]["coverage"] >= 0.9
    assert held_out["force"]["coverage"] >= 0.9


def test_strain_constraint_recovers_lattice_and_elastic_constants(si_run):
    """The cheap model's lattice constant is within 0.2% and C11, C12, C44
    within 10% of the expensive model's.
    """
    properties = si_run.numbers["properties"]
    expensive, cheap = properties["expensive"], properties["cheap"]
    assert cheap["lattice_constant"] == pytest.approx(
        expensive["lattice_constant"], rel=2e-3
    )
    for name in ("c11", "c12", "c44"):
        assert cheap[name] == pytest.approx(expensive[name], rel=0.10), name


def test_outputs_are_written(si_run):
    """The run leaves the dataset, both model formats and the report behind."""
    out = si_run.out_dir
    for name in (
        "configurations.extxyz",
        "dataset.extxyz",
        "potential.npz",
        "lammps/cheap.snapcoeff",
        "report.md",
        "report.json",
        "parity.png",
        "uncertainty.png",
        "errors_by_group.png",
        "distill.json",
    ):
        assert (out / name).exists(), name
    assert json.loads((out / "report.json").read_text())["n_skipped"] == 0


class CountingCalculator(Calculator):
    """Wraps a calculator and counts its evaluations."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        super().calculate(atoms, properties, system_changes)
        self.calls += 1
        self.inner.calculate(atoms, properties, system_changes)
        self.results = dict(self.inner.results)


def test_rerun_reuses_samples_and_labels(tmp_path):
    """A second run in the same folder neither samples nor labels again, and
    fits the same potential.
    """
    config = si_config(
        recipe=Recipe(
            ["Si"],
            "diamond",
            5.4644,
            repeat=1,
            temperatures=[600.0],
            n_frames=3,
            frame_interval=10.0,
            n_rattled=2,
            n_strains=5,
        ),
        properties=False,
    )
    first = distil(config, tmp_path, progress=False)
    counting = CountingCalculator(expensive_calculator(SI_QUADRATIC))
    second = distil(config, tmp_path, calc=counting, progress=False)
    assert counting.calls == 0
    np.testing.assert_array_equal(first.fit.potential.coef, second.fit.potential.coef)


def test_settings_round_trip_through_plain_values():
    """config_from_dict inverts the JSON written into distill.json."""
    from mixpot.distill.pipeline import config_to_dict

    config = si_config()
    assert config_from_dict(json.loads(json.dumps(config_to_dict(config)))) == config


def test_unknown_settings_are_named():
    """A misspelt key in a recipe file is reported with the known keys."""
    with pytest.raises(ValueError, match=r"unknown keys \['temperature'\]"):
        config_from_dict(
            {"expensive": "x", "recipe": {"elements": ["W"], "temperature": [1]}}
        )


def test_exact_constraints_keep_the_expensive_elastic_constants(si_run):
    """The default fit keeps the quadratic SNAP's zero-stress a, its
    unrelaxed C11, C12, C44 and its internal-strain terms to 1e-8 (so the
    relaxed-ion C44 of the properties table agrees to 1e-6).
    """
    properties = si_run.numbers["properties"]
    check = properties["elastic_check"]
    assert set(check["max_relative_deviation"]) >= {"lattice_constant", "c44"}
    for name, deviation in check["max_relative_deviation"].items():
        assert deviation < 1e-8, name
    assert properties["cheap"]["c44"] == pytest.approx(
        properties["expensive"]["c44"], rel=1e-6
    )
    assert (si_run.out_dir / "expensive_elastic.json").exists()


def test_report_scores_the_held_out_uncertainties(si_run):
    """report.json holds, for held-out energies and forces, coverage and
    width ÷ RMSE of the bounds and of the 95% interval and a Spearman
    correlation; report.md has the table.
    """
    scores = si_run.numbers["held_out_uncertainty"]
    for kind in ("energy", "force"):
        assert 0 <= scores[kind]["interval_95"]["coverage"] <= 1
        assert scores[kind]["bounds"]["half_width_over_rmse"] > 0
    assert -1 <= scores["force"]["spearman"] <= 1
    assert "## Held-out uncertainties" in (si_run.out_dir / "report.md").read_text()
