"""Plots shared by the demo, the benchmarks and the reports (matplotlib).

Functions draw on a given ``Axes`` and return it, so callers compose figures.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes


def plot_bounds_1d(
    ax: Axes,
    x,
    y_true,
    y_mean,
    lower,
    upper,
    *,
    x_train=None,
    y_train=None,
    label: str = "POPS bounds",
    color: str = "C0",
) -> Axes:
    """Draw truth, mean and a shaded interval along one input dimension.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> x = np.linspace(0, 1, 5)
    >>> ax = plot_bounds_1d(plt.figure().gca(), x, x, x, x - 0.1, x + 0.1)
    >>> len(ax.lines)
    2
    """
    order = np.argsort(x)
    x, y_true, y_mean, lower, upper = (
        np.asarray(a)[order] for a in (x, y_true, y_mean, lower, upper)
    )
    ax.fill_between(x, lower, upper, color=color, alpha=0.25, label=label)
    ax.plot(x, y_true, "k-", lw=1.2, label="truth")
    ax.plot(x, y_mean, color=color, lw=1.2, ls="--", label="mean")
    if x_train is not None:
        ax.scatter(x_train, y_train, s=6, color="k", zorder=3, label="training")
    ax.set_xlabel("x")
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_interval_errors(ax: Axes, y_true, y_mean, lower, upper, **kwargs) -> Axes:
    """Parity-style plot of error against interval half-widths.

    Points below the diagonal lie inside their interval.
    """
    error = np.abs(np.asarray(y_true) - np.asarray(y_mean))
    half_width = 0.5 * (np.asarray(upper) - np.asarray(lower))
    ax.loglog(half_width, error, ".", ms=3, **kwargs)
    values = np.concatenate([half_width, error])
    values = values[values > 0]
    if values.size:
        ax.plot(
            [values.min(), values.max()], [values.min(), values.max()], "k-", lw=0.8
        )
    ax.set_xlabel("interval half-width")
    ax.set_ylabel("|error|")
    return ax
