"""How sharp and how honest the cheap model's uncertainties are on held-out rows.

For held-out energies (per atom) and force components, two kinds of band:

* the POPS covering bounds (``predict_bounds``): fraction of labels inside
  and mean half-width ÷ RMSE of the errors;
* the calibrated 95% interval (``predict_interval(coverage=0.95)``, its
  leave-one-out calibration leaving out whole configurations): the same two
  numbers.

And whether σ ranks the errors: the Spearman rank correlation between
``|error|`` and σ per configuration (energies) and per atom (forces: the
norm of the force error against ``√(σ_x² + σ_y² + σ_z²)``).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

#: Row kinds scored, with the unit of their half-widths.
SCORED = {"energy": "meV/atom", "force": "meV/Å"}


def band_scores(target, mean, lower, upper) -> dict[str, float]:
    """Coverage and mean half-width ÷ RMSE of one band on some rows.

    Examples
    --------
    >>> import numpy as np
    >>> scores = band_scores(np.array([0.0, 1.0]), np.array([0.5, 0.5]),
    ...                      np.array([-1.0, 0.0]), np.array([2.0, 1.0]))
    >>> scores["coverage"], scores["half_width_over_rmse"]
    (1.0, 2.0)
    """
    error = mean - target
    rmse = float(np.sqrt(np.mean(error**2)))
    inside = (lower <= target) & (target <= upper)
    half = float(np.mean(upper - lower) / 2)
    return {
        "coverage": float(inside.mean()),
        "half_width": half,
        "half_width_over_rmse": half / rmse if rmse > 0 else float("inf"),
    }


def rank_correlation(abs_error, sigma) -> float:
    """Spearman rank correlation of ``|error|`` and σ (NaN if undefined).

    Examples
    --------
    >>> rank_correlation([0.1, 0.2, 0.3], [1.0, 2.0, 5.0])
    1.0
    """
    abs_error, sigma = np.asarray(abs_error), np.asarray(sigma)
    if len(abs_error) < 3 or np.ptp(sigma) == 0 or np.ptp(abs_error) == 0:
        return float("nan")
    return float(spearmanr(abs_error, sigma).statistic)


def uncertainty_scores(predictions) -> dict[str, dict]:
    """Band scores and rank correlations of held-out energies and forces.

    Parameters
    ----------
    predictions : RowPredictions
        From :func:`~mixpot.distill.report.predict_rows`; the interval is
        scored only when it carries ``interval_lower`` / ``interval_upper``.

    Returns
    -------
    dict
        Per kind: ``bounds`` and ``interval_95`` (:func:`band_scores`) and
        ``spearman`` (per configuration for energies, per atom for forces).
    """
    scores = {}
    for kind in SCORED:
        mask = predictions.kind == kind
        if not mask.any():
            continue
        p = predictions
        entry = {
            "n_rows": int(mask.sum()),
            "bounds": band_scores(
                p.target[mask], p.mean[mask], p.lower[mask], p.upper[mask]
            ),
        }
        if p.interval_lower is not None:
            entry["interval_95"] = band_scores(
                p.target[mask],
                p.mean[mask],
                p.interval_lower[mask],
                p.interval_upper[mask],
            )
        error, sigma = _per_unit(p, mask, kind)
        entry["spearman"] = rank_correlation(error, sigma)
        scores[kind] = entry
    return scores


def _per_unit(p, mask, kind):
    """|error| and σ per configuration (energy) or per atom (forces)."""
    error = np.abs(p.mean[mask] - p.target[mask])
    sigma = p.std[mask]
    if kind != "force" or p.structure is None:
        return error, sigma
    keys = p.structure[mask] * (1 + p.atom.max()) + p.atom[mask]
    _, atom = np.unique(keys, return_inverse=True)
    return (
        np.sqrt(np.bincount(atom, error**2)),
        np.sqrt(np.bincount(atom, sigma**2)),
    )


def markdown_lines(scores: dict[str, dict]) -> list[str]:
    """Return the report's table of the held-out uncertainty scores."""
    if not scores:
        return []
    lines = [
        "## Held-out uncertainties",
        "",
        "Covering bounds (POPS `predict_bounds`) and the calibrated 95% "
        "interval (`predict_interval`, leave-one-configuration-out), "
        "calibrated per row kind (a kind with fewer than `min_stratum_rows`, "
        "default 99, training rows "
        "takes the pooled covering factor): share "
        "of held-out labels inside and mean half-width ÷ RMSE; Spearman rank "
        "correlation of |error| and σ (per configuration for energies, per "
        "atom for forces).",
        "",
        "| rows | n | bounds: inside | bounds: half-width ÷ RMSE "
        "| 95%: inside | 95%: half-width ÷ RMSE | Spearman(|error|, σ) |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, entry in scores.items():
        bounds = entry["bounds"]
        interval = entry.get("interval_95", {})
        lines.append(
            f"| {kind} ({SCORED[kind]}) | {entry['n_rows']} | "
            f"{bounds['coverage']:.3f} | {bounds['half_width_over_rmse']:.2f} | "
            f"{interval.get('coverage', float('nan')):.3f} | "
            f"{interval.get('half_width_over_rmse', float('nan')):.2f} | "
            f"{entry['spearman']:.2f} |"
        )
    return [*lines, ""]
