"""Shared data sets for the POPS tests: noise-free and misspecified."""

import numpy as np
import pytest


def legendre(x, degree=9):
    return np.polynomial.legendre.legvander(x, degree)[:, 1:]


@pytest.fixture
def runge():
    """Runge's function with a degree-9 Legendre basis: misspecified, no noise."""
    rng = np.random.default_rng(42)
    x = rng.uniform(-1, 1, 400)
    return legendre(x), 1.0 / (1.0 + 25.0 * x**2)


@pytest.fixture
def smooth_5d():
    """A smooth 5-D function with cubic polynomial features (P=56)."""
    from sklearn.preprocessing import PolynomialFeatures

    rng = np.random.default_rng(7)
    inputs = rng.uniform(-1, 1, (800, 5))
    X = PolynomialFeatures(3, include_bias=False).fit_transform(inputs)
    y = np.exp(-np.sum(inputs**2, axis=1)) + np.sin(3 * inputs[:, 0] * inputs[:, 1])
    return X, y
