"""Propagate POPS parameter uncertainty to a derived quantity.

A degree-5 polynomial is fitted to noise-free sin(3x) data (misspecified).
The POPS posterior bounds every training point; an ensemble of parameter
vectors then bounds a quantity computed from the model, here the position
of its maximum on [0, 1]. Run: ``python examples/pops_uncertainty_propagation.py``.
"""

import numpy as np

from mixpot.pops import POPSRegressor


def features(x: np.ndarray) -> np.ndarray:
    return np.vander(x, 6, increasing=True)[:, 1:]


def main() -> None:
    x = np.linspace(-1, 1, 400)
    y = np.sin(3 * x)
    model = POPSRegressor().fit(features(x), y)
    lower, upper = model.predict_bounds(features(x))
    print(f"training points inside bounds: {np.mean((lower <= y) & (y <= upper)):.3f}")

    grid = np.linspace(0, 1, 2001)
    coefs, intercepts = model.sample_parameters(256, random_state=0)
    curves = features(grid) @ coefs.T + intercepts
    peaks = grid[np.argmax(curves, axis=0)]
    mean_peak = grid[np.argmax(model.predict(features(grid)))]
    print(f"argmax of the mean model: {mean_peak:.4f}")
    print(f"ensemble range of argmax: [{peaks.min():.4f}, {peaks.max():.4f}]")
    print(f"true argmax (pi/6):       {np.pi / 6:.4f}")


if __name__ == "__main__":
    main()
