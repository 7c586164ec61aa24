"""Errors per configuration group, and a warning for a group left behind.

A distillation fits many kinds of configurations (MD per temperature,
strains, defects, solute cells). A handful of rare ones can be fitted badly
while the overall RMSE looks excellent, so the report gives, for training
and held-out rows alike, per group: the number of configurations, the energy
RMSE per atom (meV/atom) and per configuration (meV, the total energy, which
solution energies are made of) and the force RMSE (meV/Å).
:func:`energy_outliers` names the groups whose energy error is far above the
rest; the report and the log warn about them.

Examples
--------
>>> table = {"md_300K": {"energy_rmse": 1.0}, "md_1200K": {"energy_rmse": 2.0},
...          "substitution_He": {"energy_rmse": 60.0}}
>>> energy_outliers(table)
['substitution_He']
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

#: A group is an outlier above this factor times the median group error...
OUTLIER_FACTOR = 5.0
#: ... and above this energy RMSE (meV/atom).
OUTLIER_FLOOR = 2.0


def group_scores(predictions) -> dict[str, dict[str, float]]:
    """Per group: configurations, energy RMSE (meV/atom, meV), force RMSE.

    Parameters
    ----------
    predictions : RowPredictions
        From :func:`~mixpot.distill.report.predict_rows` (with ``n_atoms``).
    """
    table = {}
    for group in sorted(set(predictions.group.tolist())):
        in_group = predictions.group == group
        energy = in_group & (predictions.kind == "energy")
        row: dict[str, float] = {"n_configurations": int(energy.sum())}
        if energy.any():
            error = predictions.mean[energy] - predictions.target[energy]
            row["energy_rmse"] = _rms(error)
            if predictions.n_atoms is not None:
                row["energy_rmse_total"] = _rms(error * predictions.n_atoms[energy])
        force = in_group & (predictions.kind == "force")
        if force.any():
            row["force_rmse"] = _rms(
                predictions.mean[force] - predictions.target[force]
            )
        table[group] = row
    return table


def energy_outliers(
    table: dict[str, dict[str, float]],
    factor: float = OUTLIER_FACTOR,
    floor: float = OUTLIER_FLOOR,
) -> list[str]:
    """Name the groups with energy RMSE > ``factor`` × the median and > ``floor``."""
    errors = {g: row["energy_rmse"] for g, row in table.items() if "energy_rmse" in row}
    if len(errors) < 2:
        return []
    median = float(np.median(list(errors.values())))
    return [g for g, e in errors.items() if e > floor and e > factor * median]


def group_lines(title: str, table: dict[str, dict[str, float]]) -> list[str]:
    """Markdown table of :func:`group_scores`."""
    if not table:
        return []
    lines = [
        f"## {title}",
        "",
        "| group | configurations | energy RMSE (meV/atom) | energy RMSE per "
        "configuration (meV) | force RMSE (meV/Å) |",
        "|---|---|---|---|---|",
    ]
    nan = float("nan")
    for group, row in table.items():
        lines.append(
            f"| {group} | {row.get('n_configurations', 0)} | "
            f"{row.get('energy_rmse', nan):.3g} | "
            f"{row.get('energy_rmse_total', nan):.3g} | "
            f"{row.get('force_rmse', nan):.3g} |"
        )
    return [*lines, ""]


def outlier_lines(outliers: dict[str, list[str]]) -> list[str]:
    """Markdown warning for the groups of :func:`energy_outliers`."""
    named = {split: groups for split, groups in outliers.items() if groups}
    if not named:
        return []
    lines = ["## Warning: groups fitted far worse than the rest", ""]
    for split, groups in named.items():
        lines.append(
            f"- {split}: energy RMSE of {', '.join(groups)} above "
            f"{OUTLIER_FACTOR:g}× the median group's (and {OUTLIER_FLOOR:g} "
            "meV/atom); raise their weight (FitSettings.group_weights or "
            "solute_energy_weight) or sample more of them."
        )
    return [*lines, ""]


def warn_outliers(outliers: dict[str, list[str]]) -> None:
    """Log one warning per split with outlier groups."""
    for split, groups in outliers.items():
        if groups:
            logger.warning(
                "%s: energy error of group(s) %s far above the rest (see report.md)",
                split,
                ", ".join(groups),
            )


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values**2)))
