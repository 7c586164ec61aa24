"""Save and load of fitted models (src/mixpot/pops/_io.py)."""

import numpy as np
import pytest

from mixpot.pops import POPSRegressor


@pytest.mark.parametrize("posterior", ["ellipsoid", "hypercube", "ensemble"])
def test_round_trip_gives_identical_predictions(runge, tmp_path, posterior):
    """A loaded model predicts, bounds, calibrates and samples exactly as the
    saved one, with its posterior.
    """
    X, y = runge
    model = POPSRegressor(posterior=posterior, std_components=("misspecification",))
    model.fit(X, y)
    path = model.save(tmp_path / "model")
    loaded = POPSRegressor.load(path)
    assert path.suffix == ".npz"
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(
        loaded.predict(X, return_std=True)[1], model.predict(X, return_std=True)[1]
    )
    for a, b in zip(loaded.predict_bounds(X), model.predict_bounds(X), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        loaded.sample_parameters(5, random_state=1)[0],
        model.sample_parameters(5, random_state=1)[0],
    )
    np.testing.assert_array_equal(
        loaded.predict_interval(X)[0], model.predict_interval(X)[0]
    )
    assert loaded.posteriors_[0].kind == posterior


def test_format_1_files_still_load(runge, tmp_path):
    """A file of format version 1 (box, no calibration) loads and predicts its
    bounds; predict_interval then asks for a refit.
    """
    X, y = runge
    model = POPSRegressor(posterior="hypercube").fit(X, y)
    path = model.save(tmp_path / "new.npz")
    arrays = {
        name: value
        for name, value in np.load(path).items()
        if name.split("/")[-1]
        not in ("kind", "axis_scale", "radius", "interval_quantiles")
    }
    arrays["format_version"] = np.array(1)
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    loaded = POPSRegressor.load(old)
    assert loaded.posterior == "hypercube"
    for a, b in zip(loaded.predict_bounds(X), model.predict_bounds(X), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(
        ValueError,
        match="format-1 file, which holds no leave-one-out calibration: refit",
    ):
        loaded.predict_interval(X)


def test_multi_output_round_trip(smooth_5d, tmp_path):
    """Several targets survive the round trip with their shapes."""
    X, y = smooth_5d
    model = POPSRegressor().fit(X, np.column_stack([y, -y]))
    loaded = POPSRegressor.load(model.save(tmp_path / "m.npz"))
    assert loaded.coef_.shape == (2, X.shape[1])
    np.testing.assert_array_equal(
        loaded.predict_bounds(X)[0], model.predict_bounds(X)[0]
    )


def test_file_size_does_not_grow_with_rows(tmp_path):
    """The hypercube file holds O(P²) numbers, whatever N."""
    rng = np.random.default_rng(0)
    sizes = []
    for n in (1000, 20000):
        X = rng.normal(size=(n, 10))
        y = np.tanh(X).sum(axis=1)
        sizes.append(
            POPSRegressor().fit(X, y).save(tmp_path / f"{n}.npz").stat().st_size
        )
    assert sizes[1] < 1.2 * sizes[0]


def test_unknown_format_version_is_a_clear_error(runge, tmp_path):
    """A file from a future format version is refused with the versions named."""
    X, y = runge
    path = POPSRegressor().fit(X, y).save(tmp_path / "m.npz")
    arrays = dict(np.load(path))
    arrays["format_version"] = np.array(99)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="format version 99; this mixpot reads"):
        POPSRegressor.load(path)


def test_missing_or_foreign_files_are_clear_errors(tmp_path):
    """Missing files, foreign npz files and non-npz files are each named."""
    with pytest.raises(FileNotFoundError, match="No POPSRegressor file"):
        POPSRegressor.load(tmp_path / "absent.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not a POPSRegressor file"):
        POPSRegressor.load(tmp_path / "other.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a readable .npz file"):
        POPSRegressor.load(tmp_path / "text.npz")


@pytest.mark.parametrize("posterior", ["ellipsoid", "hypercube"])
def test_strata_round_trip(runge, tmp_path, posterior):
    """A model fit with strata keeps its labels, per-stratum k and quantiles:
    the loaded one predicts bounds, std and intervals per stratum exactly as
    the saved one.
    """
    X, y = runge
    strata = np.where(X[:, 0] > 0, "force", "energy")
    model = POPSRegressor(posterior=posterior).fit(X, y, strata=strata)
    loaded = POPSRegressor.load(model.save(tmp_path / "strata.npz"))
    np.testing.assert_array_equal(loaded.strata_, model.strata_)
    for method in ("predict_bounds", "predict_interval"):
        for a, b in zip(
            getattr(loaded, method)(X, strata=strata),
            getattr(model, method)(X, strata=strata),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        loaded.predict(X, return_std=True, strata=strata)[1],
        model.predict(X, return_std=True, strata=strata)[1],
    )


def test_files_without_strata_load_as_fits_without_them(runge, tmp_path):
    """A file written before strata existed loads, predicts as before, and
    refuses labels with the message to refit.
    """
    X, y = runge
    model = POPSRegressor().fit(X, y, strata=np.arange(len(y)) % 2)
    path = model.save(tmp_path / "new.npz")
    arrays = {
        name: value
        for name, value in np.load(path).items()
        if name.split("/")[-1] not in ("strata", "stratum_radii", "stratum_quantiles")
    }
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    loaded = POPSRegressor.load(old)
    assert loaded.strata_ is None
    np.testing.assert_array_equal(
        loaded.predict_bounds(X)[0], model.predict_bounds(X)[0]
    )
    with pytest.raises(ValueError, match="fit without them"):
        loaded.predict_bounds(X, strata=np.arange(len(y)) % 2)
