"""The demo's check of a saved frame, and its cost measurements.

The last frame of the mixed run is recomputed with the expensive model on
the whole cell (the reference) and with the cheap model alone; the frame's
own forces are the mixed ones. From these:

* force errors (meV/Å, RMS per component) of cheap and mixed against the
  expensive model, in the core (λ = 1), in the region (λ > 0) and overall;
* recall: of the atoms whose cheap force error (RMS over their three
  components) exceeds 3× the cheap model's held-out force RMSE, the share
  inside the expensive region (λ > 0);
* the defect's path: the centroid of the λ = 1 atoms in each saved frame;
* costs: the expensive model per atom (whole cell), the cheap model per atom
  (whole cell), the expensive cut-out per step (thermo), and the projected
  speedup over the expensive model alone at larger sizes.

The result is kept in ``accuracy.json`` and reused while the frame is the
same.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import read

from mixpot.run.output import THERMO, TRAJECTORY

#: Cheap force errors above this many held-out RMSEs count as "large".
LARGE_ERROR_FACTOR = 3.0


def check_frame(out_dir: Path, config, distilled, settings) -> dict:
    """Compare the last saved frame with the expensive model; measure costs.

    Returns the numbers described in the module docstring (and writes them
    to ``out_dir / "accuracy.json"``).
    """
    frames = read(Path(config.output.folder) / TRAJECTORY, index=":")
    frame = frames[-1]
    cache = out_dir / "accuracy.json"
    if cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("frame_step") == frame.info["step"]:
            return cached
    held_out_rmse = float(distilled.numbers["held_out"]["force"]["rmse"])
    forces, seconds = _reference_forces(frame, config, distilled)
    numbers = {
        "frame_step": int(frame.info["step"]),
        "n_atoms": len(frame),
        **force_errors(frame, forces, held_out_rmse),
        **costs(frame, seconds, config, settings),
        "defect_path": defect_path(frames),
        "interstitial_path": interstitial_path(frames, config),
    }
    cache.write_text(json.dumps(numbers, indent=2))
    return numbers


def _reference_forces(frame: Atoms, config, distilled) -> tuple[dict, dict]:
    """Expensive and cheap forces on the whole frame, and their times (s)."""
    from mixpot.run.build import expensive_calculator_for

    positions = Atoms(frame.numbers, frame.positions, cell=frame.cell, pbc=frame.pbc)
    forces, seconds = {}, {}
    for name, calc in (
        ("expensive", expensive_calculator_for(config)),
        ("cheap", distilled.fit.potential.calculator(uncertainty=False)),
    ):
        atoms = positions.copy()
        atoms.calc = calc
        if name == "cheap":  # the first call also starts LAMMPS
            atoms.get_forces()
            atoms.positions += 1e-6
        start = time.perf_counter()
        forces[name] = atoms.get_forces()
        seconds[name] = time.perf_counter() - start
    forces["mixed"] = frame.get_forces()
    return forces, seconds


def force_errors(frame: Atoms, forces: dict, held_out_rmse: float) -> dict:
    """Force errors (meV/Å) and the recall of large cheap errors by λ > 0.

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", cubic=True).repeat(2)
    >>> atoms.arrays["lambda"] = np.r_[1.0, np.zeros(15)]
    >>> exact = np.zeros((16, 3)); cheap = exact.copy(); cheap[0] = 1.0
    >>> errors = force_errors(atoms, {"expensive": exact, "cheap": cheap,
    ...                               "mixed": exact}, held_out_rmse=10.0)
    >>> errors["recall"], errors["core_force_rmse_meV_per_A"]["mixed"]
    (1.0, 0.0)
    """
    weights = frame.arrays["lambda"]
    reference = forces["expensive"]
    masks = {
        "core": weights == 1.0,
        "region": weights > 0,
        "all": np.ones(len(frame), bool),
    }
    table = {}
    for where, mask in masks.items():
        table[f"{where}_force_rmse_meV_per_A"] = {
            model: _rmse(forces[model][mask] - reference[mask])
            for model in ("cheap", "mixed")
        }
    atom_error = 1e3 * np.sqrt(np.mean((forces["cheap"] - reference) ** 2, axis=1))
    large = atom_error > LARGE_ERROR_FACTOR * held_out_rmse
    distance = distance_to_core(frame)
    mixed_error = 1e3 * np.sqrt(np.mean((forces["mixed"] - reference) ** 2, axis=1))
    return {
        **table,
        "held_out_force_rmse_meV_per_A": held_out_rmse,
        "n_core": int(masks["core"].sum()),
        "n_region": int(masks["region"].sum()),
        "n_large_cheap_errors": int(large.sum()),
        "recall": float(masks["region"][large].mean()) if large.any() else float("nan"),
        "profile": {
            "distance_A": distance.tolist(),
            "cheap_error_meV_per_A": atom_error.tolist(),
            "mixed_error_meV_per_A": mixed_error.tolist(),
        },
    }


def distance_to_core(frame: Atoms) -> np.ndarray:
    """Minimum-image distance (Å) of every atom to the centroid of λ = 1."""
    centre = core_centroid(frame)
    if centre is None:
        return np.full(len(frame), np.nan)
    probe = Atoms(
        np.r_[frame.numbers, 1],
        np.vstack([frame.positions, centre]),
        cell=frame.cell,
        pbc=frame.pbc,
    )
    return probe.get_distances(len(frame), range(len(frame)), mic=True)


def core_centroid(frame: Atoms) -> np.ndarray | None:
    """Centroid (Å) of the λ = 1 atoms, unwrapped around the first of them."""
    core = np.flatnonzero(frame.arrays["lambda"] == 1.0)
    if not len(core):
        return None
    offsets = frame.get_distances(core[0], core, mic=True, vector=True)
    return frame.positions[core[0]] + offsets.mean(axis=0)


def defect_path(frames: list[Atoms]) -> dict:
    """Time (fs) and displacement (Å) of the core centroid from the first frame."""
    centres, times = [], []
    for frame in frames:
        centre = core_centroid(frame)
        if centre is not None:
            centres.append(centre)
            times.append(float(frame.info["time_fs"]))
    return _path(centres, times, frames[0])


def interstitial_path(frames: list[Atoms], config) -> dict:
    """Time (fs) and displacement (Å) of the self-interstitial, found alone.

    The doubly occupied Wigner–Seitz site of each frame against the perfect
    lattice (:func:`mixpot.mixing.defects.wigner_seitz`), independent of λ:
    a <111> hop of a bcc interstitial moves it by √3 a / 2.
    """
    from ase.build import bulk

    from mixpot.mixing.defects import wigner_seitz

    system = config.system
    lattice = bulk(
        system.element, system.lattice, a=system.lattice_constant, cubic=True
    ).repeat(tuple(system.repeat))
    sites, times = [], []
    for frame in frames:
        occupancy = wigner_seitz(frame, lattice)
        crowded = occupancy.interstitials
        if len(crowded):
            sites.append(occupancy.site_positions_sc[crowded[0]])
            times.append(float(frame.info["time_fs"]))
    return _path(sites, times, frames[0])


def _path(points: list, times: list, first: Atoms) -> dict:
    """Minimum-image distance (Å) of each point from the first, with its time."""
    if not points:
        return {"time_fs": [], "displacement_A": []}
    probe = Atoms([1] * len(points), np.array(points), cell=first.cell, pbc=first.pbc)
    displacement = probe.get_distances(0, range(len(points)), mic=True)
    return {"time_fs": times, "displacement_A": displacement.tolist()}


def costs(frame: Atoms, seconds: dict, config, settings) -> dict:
    """Cost per step of each model and the projected speedup."""
    thermo = np.loadtxt(Path(config.output.folder) / THERMO, comments="#", ndmin=2)
    steps = thermo[1:] if len(thermo) > 1 else thermo  # row 0: the start
    n_expensive = float(np.mean(steps[:, 5]))
    # Per step, the expensive time averages over its calls: with multiple
    # time stepping one step in expensive_every makes one.
    cut_out_s = float(np.mean(steps[:, 7]))
    calls = steps[:, 7] > 0
    n_atoms = len(frame)
    expensive_per_atom = seconds["expensive"] / n_atoms
    cheap_per_atom = seconds["cheap"] / n_atoms
    sizes = [n_atoms, *settings.projected_sizes]
    speedup = projected_speedup(sizes, expensive_per_atom, cheap_per_atom, cut_out_s)
    per_call = float(np.mean(steps[calls, 7])) if calls.any() else 0.0
    every_step = projected_speedup(sizes, expensive_per_atom, cheap_per_atom, per_call)
    return {
        "expensive_whole_cell_s": seconds["expensive"],
        "cheap_whole_cell_s": seconds["cheap"],
        "expensive_cut_out_s_per_step": cut_out_s,
        "expensive_cut_out_s_per_call": per_call,
        "expensive_calls": int(calls.sum()),
        "cheap_in_run_s_per_step": float(np.mean(steps[:, 8])),
        "mean_n_expensive": n_expensive,
        "projection": {
            "n_atoms": sizes,
            "speedup": speedup.tolist(),
            "speedup_expensive_every_step": every_step.tolist(),
        },
    }


def _rmse(difference: np.ndarray) -> float:
    return float(1e3 * np.sqrt(np.mean(difference**2))) if difference.size else 0.0


def projected_speedup(
    sizes, expensive_per_atom_s: float, cheap_per_atom_s: float, fixed_s: float
) -> np.ndarray:
    """Speedup of mixed MD over the expensive model alone at each size.

    The expensive model alone costs ``expensive_per_atom_s · N``; a mixed
    step costs the expensive cut-out and the region bookkeeping, which do
    not grow with N (``fixed_s``), plus ``cheap_per_atom_s · N``.

    Examples
    --------
    >>> projected_speedup([1000, 10**6], 0.01, 1e-4, 5.0).round(1).tolist()
    [2.0, 95.2]
    """
    sizes = np.asarray(sizes, dtype=float)
    return expensive_per_atom_s * sizes / (fixed_s + cheap_per_atom_s * sizes)
