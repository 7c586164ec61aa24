"""Out-of-core fitting from row chunks (src/mixpot/pops/_passes.py, _tsqr.py)."""

import numpy as np
import pytest

from mixpot.pops import POPSRegressor


def chunked(X, y, w=None, size=97):
    rows = [slice(i, i + size) for i in range(0, len(X), size)]
    if w is None:
        return [(X[r], y[r]) for r in rows]
    return [(X[r], y[r], w[r]) for r in rows]


def assert_same_model(a, b, X, rtol=1e-10):
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=rtol)
    np.testing.assert_allclose(a.alpha_, b.alpha_, rtol=rtol)
    for got, expected in zip(a.predict_bounds(X), b.predict_bounds(X), strict=True):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(
        a.predict(X, return_std=True)[1], b.predict(X, return_std=True)[1], rtol=rtol
    )


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_chunked_fit_equals_in_memory_fit(smooth_5d, fit_intercept):
    """Streaming the rows in chunks gives the in-memory model to 1e-10."""
    X, y = smooth_5d
    w = np.random.default_rng(0).uniform(0.5, 2, len(y))
    in_memory = POPSRegressor(fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
    streamed = POPSRegressor(fit_intercept=fit_intercept).fit_chunks(chunked(X, y, w))
    assert_same_model(streamed, in_memory, X)


def test_chunk_size_does_not_change_the_fit(runge):
    """The in-memory fit's own chunking is invisible in the result."""
    X, y = runge
    assert_same_model(
        POPSRegressor(chunk_size=7).fit(X, y),
        POPSRegressor(chunk_size=10**6).fit(X, y),
        X,
    )


def test_callable_chunk_source_multi_output(smooth_5d):
    """A function returning fresh generators works, with 2-D targets."""
    X, y = smooth_5d
    Y = np.column_stack([y, y**2])

    def source():
        for i in range(0, len(X), 128):
            yield X[i : i + 128], Y[i : i + 128]

    assert_same_model(POPSRegressor().fit_chunks(source), POPSRegressor().fit(X, Y), X)


def test_ensemble_and_clipping_stream_too(runge):
    """Ensemble posterior and percentile clipping give the in-memory answer."""
    X, y = runge
    for params in (
        {"posterior": "ensemble"},
        {"posterior": "hypercube", "percentile_clipping": 2.5},
    ):
        assert_same_model(
            POPSRegressor(**params).fit_chunks(chunked(X, y)),
            POPSRegressor(**params).fit(X, y),
            X,
        )


def test_one_shot_generator_is_refused(runge):
    """A generator cannot be replayed for three passes: clear error."""
    X, y = runge
    with pytest.raises(ValueError, match="one-shot iterator"):
        POPSRegressor().fit_chunks(iter(chunked(X, y)))


def test_inconsistent_chunks_are_refused(runge):
    """Chunks with another number of features, or a changing source, fail clearly."""
    X, y = runge
    parts = chunked(X, y)
    parts[1] = (parts[1][0][:, :-1], parts[1][1])
    with pytest.raises(ValueError, match="Got chunk 1 has 8 features"):
        POPSRegressor().fit_chunks(parts)
    calls = []

    def shrinking():
        calls.append(1)
        return iter(chunked(X, y)[: 5 - len(calls)])

    with pytest.raises(ValueError, match="same rows on every call"):
        POPSRegressor().fit_chunks(shrinking)


def test_bad_values_in_a_chunk_name_the_chunk(runge):
    """NaN in a chunk's X is reported with the chunk's index."""
    X, y = runge
    X = X.copy()
    X[300, 2] = np.nan
    with pytest.raises(ValueError, match="X of chunk 3"):
        POPSRegressor().fit_chunks(chunked(X, y, size=100))
