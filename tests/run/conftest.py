"""TOML configurations of a small W vacancy run (cheap_npz: tests/conftest.py)."""

import tomli_w


def w_vacancy_settings(cheap_path, **sections):
    """Settings of a 127-atom W vacancy run; ``sections`` update them."""
    settings = {
        "system": {
            "lattice": "bcc",
            "element": "W",
            "lattice_constant": 3.1803,
            "repeat": [4, 4, 4],
            "defect": "vacancy",
            "rattle": 0.02,
            "seed": 1,
        },
        "expensive": {
            "snapcoeff": "W_2940_2017_2.snapcoeff",
            "snapparam": "W_2940_2017_2.snapparam",
            "zbl": [4.0, 4.8],
        },
        "cheap": {"potential": str(cheap_path)},
        "regions": {
            "criterion": {"name": "coordination", "cutoff": 3.0},
            "criterion_bounds": [0, 7],
            "r_core": 0.5,
            "r_blend": 2.5,
            "r_buff": 4.81,
            "n_every": 2,
        },
        "mixing": {"mode": "energy"},
        "dynamics": {
            "integrator": "langevin",
            "timestep_fs": 2.0,
            "temperature_K": 600.0,
            "friction_per_fs": 0.02,
            "steps": 6,
            "seed": 3,
        },
        "output": {
            "folder": "out",
            "trajectory_every": 2,
            "thermo_every": 1,
            "checkpoint_every": 3,
        },
    }
    for name, values in sections.items():
        settings[name] = {**settings.get(name, {}), **values}
    return settings


def write_toml(folder, settings, name="run.toml"):
    """Write ``settings`` as TOML into ``folder``; return the path."""
    path = folder / name
    path.write_text(tomli_w.dumps(settings))
    return path
