"""What a fitted POPSRegressor predicts: mean, std, bounds, intervals, members.

A mixin of :class:`~mixpot.pops.POPSRegressor`; the fit lives in
``regressor.py``. With constraints, the posteriors live in the constraint's
null space and rows are mapped there before prediction. A model fit with
``strata`` predicts each new row with its stratum's ``k`` and quantiles when
given the rows' labels (``strata=``), and as a fit without strata when not.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _conformal, _predict
from ._validation import check_param, check_strata


class PosteriorPredictions:
    """Prediction methods shared by the POPS estimator (a mixin)."""

    def predict(self, X, return_std: bool = False, strata=None):
        """Predict with the base fit; optionally with its std.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        return_std : bool, default=False
            Also return the std σ: the square root of the sum of the
            variances named in ``std_components`` (by default
            misspecification + epistemic; see :meth:`predict_std_components`).
            For the ellipsoid the misspecification part is the std of a
            uniform law inside it, ``k √(xᵀCx / (R + 2))``: the bounds'
            half-width over ``√(R + 2)``.
        strata : array-like of shape (n_samples,), default=None
            Stratum label of each row, for a model fit with ``strata``: the
            std then uses each row's stratum ``k_s`` (the mean does not
            depend on it). None uses the pooled ``k``.

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
            ``X @ coef_ + intercept_``.
        std : ndarray, same shape as ``mean``
            Only when ``return_std`` is True.
        """
        Xc_np, offset_nk = self._centred(X)
        code_n = self._stratum_codes(strata, len(Xc_np), "predict")
        mean = self._mean(Xc_np, offset_nk)
        if not return_std:
            return mean
        return mean, self._std(Xc_np, code_n)

    def predict_std_components(self, X, strata=None) -> dict[str, np.ndarray]:
        """Each std component separately.

        ``strata`` as in :meth:`predict` (it changes the misspecification
        part only).

        Returns
        -------
        components : dict of str to ndarray
            "misspecification": root-mean-square deviation of the posterior's
            predictions from the mean: for "ellipsoid" that of θ uniform in
            the ellipsoid, ``k √(xᵀCx / (R + 2))`` (R its dimension; the
            half-width of the bounds is ``√(R + 2)`` times it); for
            "hypercube" that of the uniform law on the box; for "ensemble"
            that of the weighted corrections. "epistemic": Bayesian-ridge
            parameter std ``sqrt(xᵀΣ̃x/α)``; "noise": ``sqrt(1/α)``. Arrays
            have the shape of :meth:`predict`'s output.
        """
        Xc_np = self._centred(X)[0]
        code_n = self._stratum_codes(strata, len(Xc_np), "predict_std_components")
        parts = self._variances(Xc_np, code_n)
        return {name: np.sqrt(value) for name, value in parts.items()}

    def predict_bounds(self, X, strata=None) -> tuple[np.ndarray, np.ndarray]:
        """Exact lower and upper POPS bounds.

        The extremes of the prediction over the whole posterior (``μ ± k
        √(xᵀCx)`` for the ellipsoid, box corners, or ensemble members),
        computed in closed form, not sampled. Every training row of positive
        weight lies inside its own bounds; the mean of :meth:`predict` always
        lies between them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        strata : array-like of shape (n_samples,), default=None
            Stratum label of each row, for a model fit with ``strata``: each
            row gets its stratum's ellipsoid ``μ ± k_s √(xᵀCx)``, the
            smallest that covers that stratum's training rows. None uses the
            pooled ``k`` (the largest ``k_s``). The box and the ensemble have
            no ``k``: their bounds do not depend on the labels.

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Bounds.
        """
        Xc_np, offset_nk = self._centred(X)
        code_n = self._stratum_codes(strata, len(Xc_np), "predict_bounds")
        lows, highs = [], []
        for k, target in enumerate(self.posteriors_):
            mean = _predict.mean(target, Xc_np) + offset_nk[:, k]
            low, high = _predict.bounds(target, Xc_np, target.radii(code_n))
            lows.append(mean + low)
            highs.append(mean + high)
        return self._stack(lows), self._stack(highs)

    def predict_interval(self, X, coverage: float = 0.95, strata=None):
        """Calibrated interval ``mean ± q · σ`` at a chosen coverage.

        ``σ`` is the std of :meth:`predict` (the ``std_components`` at fit);
        ``q`` is the finite-sample conformal quantile of the leave-one-out
        scores ``|e_i^LOO| / σ(x_i)`` of the training rows, with the
        leave-one-out residuals of the ridge base fit in closed form (whole
        groups left out when ``fit`` had ``groups``). The quantiles are
        computed at fit for coverages 0.001 … 0.999; ``coverage`` is rounded
        up to the next 0.001. ``q`` is infinite when there are too few rows
        for the coverage (``⌈(n + 1)·coverage⌉ > n``). Only those 999
        quantiles are stored per target; the fit holds the N scores (O(N)
        floats) while it computes them.

        What it guarantees: approximately the asked marginal coverage for
        new points exchangeable with the training rows (drawn from the same
        distribution; for groups, new groups exchangeable with the training
        groups). It is approximate because the scores come from
        leave-one-out refits at the fitted ridge, not from independent
        calibration data. What it does not: coverage of each point (only on
        average over points), coverage under extrapolation or of defects,
        structures or conditions unlike the training set. For those, the
        covering bounds of :meth:`predict_bounds` are the safer choice.

        With ``strata`` (at fit and here) each row gets ``q_s · σ_s``: the
        quantile of its own stratum's training rows, each scored with the σ
        of its stratum's ``k_s`` (Mondrian conformal prediction). The
        coverage then holds within each stratum separately, for new rows
        exchangeable with that stratum's training rows; the pooled interval
        only holds on average over all rows, and over-covers strata whose
        scores are smaller than the others' (forces beside energies, say).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        coverage : float in (0, 1), default=0.95
            Target fraction of new points inside the interval.
        strata : array-like of shape (n_samples,), default=None
            Stratum label of each row, for a model fit with ``strata``; None
            uses the pooled quantiles and σ (as a fit without strata).

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Interval ends.

        Examples
        --------
        >>> import numpy as np
        >>> from mixpot.pops import POPSRegressor
        >>> rng = np.random.default_rng(0)
        >>> x = rng.uniform(-1, 1, 2000)
        >>> X, y = np.vander(x, 5), np.abs(x)
        >>> model = POPSRegressor().fit(X[:1000], y[:1000])
        >>> lower, upper = model.predict_interval(X[1000:], coverage=0.9)
        >>> inside = (lower <= y[1000:]) & (y[1000:] <= upper)
        >>> bool(0.85 < inside.mean() < 0.95)
        True
        """
        owner = type(self).__name__
        if not (
            isinstance(coverage, float | int)
            and not isinstance(coverage, bool)
            and 0 < coverage < 1
        ):
            raise ValueError(
                f"The 'coverage' parameter of {owner}.predict_interval must be a "
                f"float in (0, 1). Got {coverage!r}."
            )
        Xc_np, offset_nk = self._centred(X)
        if any(len(t.interval_quantiles) == 0 for t in self.posteriors_):
            raise ValueError(
                f"This {owner} was loaded from a format-1 file, which holds no "
                "leave-one-out calibration: refit it to use predict_interval."
            )
        code_n = self._stratum_codes(strata, len(Xc_np), "predict_interval")
        mean = self._mean(Xc_np, offset_nk)
        std = self._std(Xc_np, code_n)
        q = self._stack(
            [
                _quantile_per_row(t, coverage, code_n, len(Xc_np))
                for t in self.posteriors_
            ]
        )
        half = std * q
        return mean - half, mean + half

    def sample_parameters(
        self, n_samples: int, random_state=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw parameter vectors from the POPS posterior.

        Uniform in the ellipsoid ("ellipsoid": typical members, not corners)
        or in the box ("hypercube"), or drawn from the weighted corrections
        ("ensemble"); use them to propagate the uncertainty to any quantity
        computed from the model. With constraints, every member satisfies
        them. For a model fit with ``strata`` the ellipsoid's members are
        drawn with the pooled ``k`` (the largest ``k_s``), not a stratum's:
        one parameter vector predicts energies, forces and stresses at once,
        and only the pooled ellipsoid covers the training rows of every
        stratum, so a member's force spread is wider than the force
        stratum's bounds.

        Parameters
        ----------
        n_samples : int
            Number of parameter vectors.
        random_state : int, RandomState or None, default=None
            Seed for reproducible draws.

        Returns
        -------
        coefs : ndarray of shape (n_samples, n_features) or
            (n_samples, n_targets, n_features)
            Coefficient vectors.
        intercepts : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Matching intercepts (zeros without ``fit_intercept``).
        """
        check_is_fitted(self)
        check_param(type(self).__name__, "n_samples", n_samples, "positive-int")
        rng = check_random_state(random_state)
        reduced = [_predict.draw(t, n_samples, rng) for t in self.posteriors_]
        intercepts = np.stack(
            [
                t.y_mean - z @ self._x_mean
                for t, z in zip(self.posteriors_, reduced, strict=True)
            ],
            1,
        )
        coefs = np.stack([self._full_coef(z, k) for k, z in enumerate(reduced)], 1)
        if self._y_ndim == 1:
            return coefs[:, 0], intercepts[:, 0]
        return coefs, intercepts

    def mode_coordinates(self, X, target: int = 0) -> np.ndarray:
        """Coordinates of rows along one target's principal axes.

        ``g_ij = (x_i − x̄) · v_j`` with ``v_j`` the axes (``modes``) of the
        posterior of ``target`` (in the constraint's null space for a fit
        with constraints). For the ellipsoid the half-width of a row's
        bounds is ``k √(Σ_j (g_ij s_j)²)`` with ``s = axis_scale`` of
        ``posteriors_[target]``: what each axis contributes to it, for
        diagnosing which directions set a bound.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        target : int, default=0
            Index of the target column.

        Returns
        -------
        coordinates : ndarray of shape (n_samples, n_modes)

        Examples
        --------
        >>> import numpy as np
        >>> from mixpot.pops import POPSRegressor
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 3))
        >>> model = POPSRegressor().fit(X, np.sin(X).sum(axis=1))
        >>> g = model.mode_coordinates(X[:5])
        >>> t = model.posteriors_[0]
        >>> half = t.radius * np.sqrt(((g * t.axis_scale) ** 2).sum(axis=1))
        >>> low, high = model.predict_bounds(X[:5])
        >>> bool(np.allclose(half, (high - low) / 2))
        True
        """
        check_is_fitted(self)
        indices = tuple(range(len(self.posteriors_)))
        check_param(type(self).__name__, "target", target, "option", indices)
        return self._centred(X)[0] @ self.posteriors_[target].modes

    def _stratum_codes(self, strata, n_rows: int, method: str) -> np.ndarray | None:
        """Codes (indices into ``strata_``) of the rows' labels, or None."""
        if strata is None:
            return None
        owner = f"{type(self).__name__}.{method}"
        known = getattr(self, "strata_", None)
        if known is None:
            raise ValueError(
                f"The 'strata' parameter of {owner} needs a model fit with "
                "strata: this one was fit without them. Refit with "
                "fit(..., strata=labels) to predict per stratum, or call "
                f"{method} without strata."
            )
        label_n = check_strata(strata, n_rows, owner)
        code_of = {label: code for code, label in enumerate(known.tolist())}
        distinct, inverse = np.unique(label_n, return_inverse=True)
        unknown = [v for v in distinct.tolist() if v not in code_of]
        if unknown:
            raise ValueError(
                f"The 'strata' parameter of {owner} must hold labels seen in "
                f"fit: {known.tolist()}. Got unknown labels {unknown[:5]}; "
                "refit with rows of those strata, or label the rows with a "
                "known stratum."
            )
        codes = np.array([code_of[v] for v in distinct.tolist()], dtype=np.intp)
        return codes[inverse.reshape(-1)]

    def _full_coef(self, z: np.ndarray, k: int) -> np.ndarray:
        limit = getattr(self, "_constraint", None)
        return z if limit is None else limit.expand(z, k)

    def _centred(self, X) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        limit = getattr(self, "_constraint", None)
        if limit is None:
            return X - self._x_mean, np.zeros((len(X), len(self.posteriors_)))
        return X @ limit.null - self._x_mean, X @ limit.theta

    def _mean(self, Xc_np, offset_nk):
        return self._stack(
            [
                _predict.mean(t, Xc_np) + offset_nk[:, k]
                for k, t in enumerate(self.posteriors_)
            ]
        )

    def _std(self, Xc_np, code_n=None):
        parts = self._variances(Xc_np, code_n)
        return np.sqrt(sum(parts[name] for name in self.std_components))

    def _variances(self, Xc_np: np.ndarray, code_n=None) -> dict[str, np.ndarray]:
        per_target = [
            _predict.variances(t, Xc_np, t.radii(code_n)) for t in self.posteriors_
        ]
        return {
            name: self._stack([parts[name] for parts in per_target])
            for name in per_target[0]
        }

    def _stack(self, columns: list[np.ndarray]) -> np.ndarray:
        return columns[0] if self._y_ndim == 1 else np.stack(columns, axis=1)


def _quantile_per_row(target, coverage: float, code_n, n_rows: int) -> np.ndarray:
    """Return the conformal quantile of each row's stratum (pooled without codes)."""
    if code_n is None:
        return np.full(n_rows, _conformal.quantile_at(target.quantiles(None), coverage))
    per_stratum = np.array(
        [
            _conformal.quantile_at(target.quantiles(code), coverage)
            for code in range(len(target.stratum_quantiles))
        ]
    )
    return per_stratum[code_n]
