"""Rows the fit leaves out, and why: nothing is dropped silently.

A row whose descriptors vanish (a force in a perfect crystal, the shear
stress of a cubic cell) predicts 0 whatever the coefficients: no parameter
can fit it, and as a POPS correction it would blow the box up, so it gets
weight 0. Its expensive label is usually round-off; but it need not be: an
expensive model with a longer reach than the cheap descriptor (or a pair
term the descriptor cannot see) puts real forces there (issue 11: W–He rows
of 20–28 meV/Å). :func:`dropped_summary` counts the dropped rows per kind,
splits them into round-off and non-zero labels and gives the largest label,
for the report; the coverage the report prints is over the rows fitted.

Examples
--------
>>> import numpy as np
>>> kind = np.array(["force"] * 4)
>>> summary = dropped_summary(kind, np.array([0.5, -0.4, 1e-9, 0.02]),
...                           np.array([False, False, True, True]),
...                           np.ones(4) * 1e3)
>>> summary["force"]["n_dropped"], summary["force"]["n_nonzero_label"]
(2, 1)
"""

from __future__ import annotations

import numpy as np
from ase.units import GPa

#: Labels within this share of their kind's RMS count as round-off.
LABEL_NOISE = 1e-6


def report_scale(rows) -> np.ndarray:
    """Per-row factor of a SnapRows to report units: meV/atom, meV/Å, GPa, meV."""
    scale = np.ones(len(rows.kind))
    n_atoms = rows.n_atoms[rows.structure]
    energy = rows.kind == "energy"
    scale[energy] = 1e3 / n_atoms[energy]
    scale[(rows.kind == "force") | (rows.kind == "atom_energy")] = 1e3
    scale[rows.kind == "stress"] = 1 / GPa
    return scale


def vanishing_rows(X: np.ndarray, kind: np.ndarray, relative: float = 1e-6):
    """Rows whose descriptors vanish: norm <= ``relative`` × the kind's largest.

    Examples
    --------
    >>> import numpy as np
    >>> vanishing_rows(np.array([[1.0, 0], [0, 1e-9]]),
    ...                np.array(["force", "force"])).tolist()
    [False, True]
    """
    norms = np.linalg.norm(X, axis=1)
    vanishing = np.zeros(len(norms), dtype=bool)
    for name in np.unique(kind):
        mask = kind == name
        vanishing[mask] = norms[mask] <= relative * np.max(norms[mask])
    return vanishing


def dropped_summary(
    kind: np.ndarray,
    target: np.ndarray,
    dropped: np.ndarray,
    scale: np.ndarray,
) -> dict[str, dict]:
    """Per kind: rows dropped, how many carry a label above round-off, the largest.

    Parameters
    ----------
    kind, target : ndarray, shape (n_rows,)
        Row kinds and expensive labels (raw units).
    dropped : ndarray of bool, shape (n_rows,)
        Rows left out of the fit.
    scale : ndarray, shape (n_rows,)
        Factor to report units (meV/atom, meV/Å, GPa, meV).

    Returns
    -------
    dict
        ``{kind: {"n_rows", "n_dropped", "n_nonzero_label",
        "max_abs_label"}}`` for kinds with dropped rows (max in report units).
    """
    summary = {}
    for name in np.unique(kind):
        mask = kind == name
        out = mask & dropped
        if not out.any():
            continue
        floor = LABEL_NOISE * np.sqrt(np.mean(target[mask] ** 2))
        labels = np.abs(target[out] * scale[out])
        summary[str(name)] = {
            "n_rows": int(mask.sum()),
            "n_dropped": int(out.sum()),
            "n_nonzero_label": int((np.abs(target[out]) > floor).sum()),
            "max_abs_label": float(labels.max()),
        }
    return summary


def dropped_lines(summary: dict, units: dict[str, str]) -> list[str]:
    """Markdown section on the dropped rows (empty when none were)."""
    if not summary:
        return []
    lines = [
        "## Rows left out of the fit",
        "",
        "Their descriptors vanish (the cheap model predicts 0 there whatever "
        "its coefficients), or a setting gives them weight 0; the coverage "
        "above is over the rows fitted, the RMSE over all rows.",
        "",
        "| rows | dropped / all | with a label above round-off | largest label |",
        "|---|---|---|---|",
    ]
    for name, row in summary.items():
        lines.append(
            f"| {name} | {row['n_dropped']} / {row['n_rows']} | "
            f"{row['n_nonzero_label']} | {row['max_abs_label']:.3g} "
            f"{units.get(name, '')} |"
        )
    if any(row["n_nonzero_label"] for row in summary.values()):
        lines += [
            "",
            "Some dropped rows carry expensive values above round-off: the "
            "expensive model acts where the cheap descriptor sees nothing (a "
            "longer cutoff, or a pair term); their error counts in the RMSE.",
        ]
    return [*lines, ""]
