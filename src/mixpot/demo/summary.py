"""The demo's Markdown summary, written from its numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

PROPERTIES = (
    ("lattice_constant", "a (Å)", 4),
    ("c11", "C11 (GPa)", 0),
    ("c12", "C12 (GPa)", 0),
    ("c44", "C44 (GPa)", 0),
    ("vacancy_formation_energy", "E_vac (eV)", 2),
)


def write_summary(path: Path, numbers: dict) -> None:
    """Write ``summary.md`` for the numbers :func:`run_demo` gathered."""
    path.write_text("\n".join(summary_lines(numbers)) + "\n")


def summary_lines(numbers: dict) -> list[str]:
    """Return the summary as Markdown lines."""
    settings, accuracy = numbers["settings"], numbers["accuracy"]
    lines = [
        "# mixpot demo",
        "",
        f"Expensive model `{settings['expensive']}`; cheap: a SNAP distilled "
        f"from it (`distill/`, LAMMPS files in `distill/lammps/`). "
        f"{settings.get('mode', 'energy').capitalize()}-mixed Langevin MD of a "
        f"crowdion in {accuracy['n_atoms']} {settings['element']} atoms at "
        f"{settings['temperature_K']:g} K, {settings['steps']} steps of "
        f"{settings['timestep_fs']:g} fs, the expensive correction every "
        f"{settings.get('expensive_every', 1)} steps, regions from the cheap "
        f"model's per-atom POPS uncertainty (rebuilt every "
        f"{settings['n_every']} steps). "
        "The trajectory with λ is `md/trajectory.extxyz` (OVITO reads it); "
        "`md/run.toml` reruns it with `mixpot run`.",
        "",
        *_distillation(numbers["distillation"]),
        *_accuracy(accuracy),
        *_costs(accuracy),
        "## Plots",
        "",
        *[f"![{name}]({name})" for name in numbers["figures"]],
        "",
        "Wall time (s): "
        + ", ".join(
            f"{k.removesuffix('_s')} {v:.0f}" for k, v in numbers["timings"].items()
        ),
    ]
    return lines


def _distillation(numbers: dict) -> list[str]:
    held_out = numbers.get("held_out", {})
    lines = ["## 1. The distilled cheap model (held-out data)", ""]
    lines += ["| rows | RMSE | inside POPS bounds |", "|---|---:|---:|"]
    for kind, unit in (("energy", "meV/atom"), ("force", "meV/Å")):
        if kind in held_out:
            scores = held_out[kind]
            lines.append(
                f"| {kind} | {scores['rmse']:.2f} {unit} | "
                f"{100 * scores['coverage']:.1f}% |"
            )
    properties = numbers.get("properties", {})
    if properties.get("cheap"):
        lines += ["", "| property | cheap | expensive |", "|---|---:|---:|"]
        for key, label, digits in PROPERTIES:
            cheap = properties["cheap"].get(key, math.nan)
            expensive = properties["expensive"].get(key, math.nan)
            lines.append(f"| {label} | {cheap:.{digits}f} | {expensive:.{digits}f} |")
    return [*lines, "", "Full report: `distill/report.md`.", ""]


def _accuracy(accuracy: dict) -> list[str]:
    path = accuracy["defect_path"]["displacement_A"]
    moved = f"{max(path):.2f} Å at most" if path else "not found"
    lines = [
        f"## 2. A saved frame (step {accuracy['frame_step']}) against the "
        "expensive model on the whole cell",
        "",
        "| force RMSE (meV/Å) | cheap alone | mixed |",
        "|---|---:|---:|",
    ]
    for where, label in (
        ("core", f"core, λ = 1 ({accuracy['n_core']} atoms)"),
        ("region", f"region, λ > 0 ({accuracy['n_region']} atoms)"),
        ("all", f"all {accuracy['n_atoms']} atoms"),
    ):
        row = accuracy[f"{where}_force_rmse_meV_per_A"]
        lines.append(f"| {label} | {row['cheap']:.1f} | {row['mixed']:.1f} |")
    recall = accuracy["recall"]
    lines += [
        "",
        f"- Atoms whose cheap force error exceeds 3× the held-out RMSE "
        f"({accuracy['held_out_force_rmse_meV_per_A']:.0f} meV/Å): "
        f"{accuracy['n_large_cheap_errors']}; inside the expensive region: "
        + ("n/a" if math.isnan(recall) else f"{100 * recall:.0f}%")
        + ".",
        f"- The expensive core's centroid moved {moved} from the first saved frame.",
        f"- {_hops(accuracy.get('interstitial_path'))}",
        "",
    ]
    return lines


def _hops(path: dict | None) -> str:
    """Say where the Wigner–Seitz interstitial went (found without λ)."""
    if not path or not path["time_fs"]:
        return "No interstitial site was found by Wigner–Seitz analysis."
    distance = np.asarray(path["displacement_A"])
    moved = np.flatnonzero(distance > 0.5)
    if not len(moved):
        return (
            "The interstitial (Wigner–Seitz site) stayed on its first site "
            f"for the {path['time_fs'][-1]:.0f} fs saved."
        )
    return (
        f"The interstitial (Wigner–Seitz site) first left its site at "
        f"{path['time_fs'][moved[0]]:.0f} fs and was at most {distance.max():.2f} Å "
        f"from it; {distance[-1]:.2f} Å at the end."
    )


def _costs(accuracy: dict) -> list[str]:
    projection = accuracy["projection"]
    lines = [
        "## 3. Cost per step and projected speedup",
        "",
        f"- Expensive model on the whole cell: "
        f"{accuracy['expensive_whole_cell_s']:.2f} s; on the cut-out "
        f"(mean {accuracy['mean_n_expensive']:.0f} atoms): "
        f"{accuracy.get('expensive_cut_out_s_per_call', 0.0):.2f} s per call, "
        f"{accuracy.get('expensive_calls', 0)} calls, "
        f"{accuracy['expensive_cut_out_s_per_step']:.2f} s per step on average.",
        f"- Cheap model on the whole cell: {accuracy['cheap_whole_cell_s']:.3f} s.",
        "- Projection: the cut-out's cost stays flat in N, the cheap model's "
        "grows ∝ N (region bookkeeping not counted); the expensive model alone "
        "∝ N (it does not fit in memory here beyond a few thousand atoms).",
        "- Speedup as run, and with the expensive model at every step (no "
        "multiple time stepping):",
        "",
        "| atoms | speedup as run | expensive every step |",
        "|---:|---:|---:|",
    ]
    every_step = projection.get("speedup_expensive_every_step", projection["speedup"])
    for n_atoms, speedup, plain in zip(
        projection["n_atoms"], projection["speedup"], every_step, strict=True
    ):
        lines.append(f"| {n_atoms:,} | {speedup:.1f}× | {plain:.1f}× |")
    return [*lines, ""]
