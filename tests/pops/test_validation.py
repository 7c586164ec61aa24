"""Bad input gets a clear ValueError naming the argument."""

import numpy as np
import pytest

from mixpot.pops import POPSRegressor


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    return X, X.sum(axis=1) ** 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda X, y, w: (np.where(X > 1, np.nan, X), y, w), "Input X contains NaN"),
        (lambda X, y, w: (X, np.full_like(y, np.inf), w), "Input y contains infinity"),
        (lambda X, y, w: (X, y[:-1], w), "inconsistent numbers of samples"),
        (lambda X, y, w: (X[:0], y[:0], None), "0 sample"),
        (
            lambda X, y, w: (X, y, -w),
            "'sample_weight' parameter of POPSRegressor.fit must be non-negative. Got",
        ),
        (
            lambda X, y, w: (X, y, 0 * w),
            "'sample_weight' .* must have a positive entry",
        ),
        (
            lambda X, y, w: (X, y, w[:-2]),
            r"\'sample_weight\' .* must be an array of shape \(30,\)",
        ),
        (
            lambda X, y, w: (X, y, w * np.nan),
            "'sample_weight' .* must be finite. Got NaN",
        ),
    ],
)
def test_bad_fit_input(data, change, message):
    """Each kind of bad input to fit names what was wrong."""
    X, y, w = change(*data, np.ones(len(data[1])))
    with pytest.raises(ValueError, match=message):
        POPSRegressor().fit(X, y, sample_weight=w)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"posterior": "cloud"}, "'posterior' parameter of POPSRegressor must be one"),
        ({"ridge": -1.0}, "'ridge' parameter .* None or a float > 0. Got -1.0"),
        ({"percentile_clipping": 60}, "'percentile_clipping'"),
        ({"std_components": ("aleatoric",)}, "'std_components'"),
        ({"max_iter": 0}, "'max_iter'"),
        ({"fit_intercept": "yes"}, "'fit_intercept'"),
        ({"min_stratum_rows": 0}, "'min_stratum_rows' parameter .* an int > 0"),
    ],
)
def test_bad_parameters(data, params, message):
    """Invalid constructor parameters are reported at fit, naming the parameter."""
    with pytest.raises(ValueError, match=message):
        POPSRegressor(**params).fit(*data)


def test_wrong_number_of_features_at_predict(data):
    """Predicting with another number of features says how many were expected."""
    model = POPSRegressor().fit(*data)
    with pytest.raises(ValueError, match="expecting 3 features"):
        model.predict_bounds(np.ones((2, 4)))


def test_bad_n_samples(data):
    """sample_parameters needs a positive integer count."""
    with pytest.raises(ValueError, match="'n_samples'"):
        POPSRegressor().fit(*data).sample_parameters(0)
