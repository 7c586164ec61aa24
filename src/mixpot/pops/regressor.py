"""POPSRegressor: Bayesian ridge with misspecification-aware bounds.

The estimator follows scikit-learn's conventions (``fit`` returns ``self``,
learnt attributes end in ``_``) and adds what near-deterministic surrogate
fitting needs: exact POPS bounds that cover every training point, parameter
ensembles, multi-output targets sharing one factorisation, an out-of-core
fit from row chunks, and a portable file format.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from . import _io, _predict
from ._evidence import HyperPrior
from ._passes import fit_posteriors
from ._posterior import TargetPosterior
from ._validation import as_target_matrix, check_param, check_sample_weight

logger = logging.getLogger(__name__)

STD_COMPONENTS = ("misspecification", "epistemic", "noise")

# Rows per chunk of an in-memory fit: about 16 MB of float64.
_CHUNK_VALUES = 2**21


class POPSRegressor(RegressorMixin, BaseEstimator):
    """Linear regression with Pointwise Optimal Parameter Set (POPS) bounds.

    The base fit is Bayesian ridge regression (evidence maximisation, as
    :class:`sklearn.linear_model.BayesianRidge`) or ridge with a fixed
    regularisation. Each training row then gives the smallest parameter change
    that makes the model reproduce it; the posterior is the box spanned by
    those corrections along their principal axes, so every training point
    lies inside its own :meth:`predict_bounds` (Swinburne & Perez 2025).
    The fit works on QR factors of the data, never on ``XᵀX``, so it stays
    accurate for descriptor matrices with condition numbers of 1e12 and more.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Fit an (unpenalised) intercept by weighted centring.
    posterior : {"hypercube", "ensemble"}, default="hypercube"
        "hypercube": the box of projected corrections (memory independent of
        the number of rows). "ensemble": the corrections themselves (memory
        O(N·R); bounds are their extremes).
    percentile_clipping : float in [0, 50), default=0.0
        Clip the box to these weighted percentiles of the projections (and
        100 minus it). Any value above 0 gives up guaranteed training
        coverage and keeps all projections in memory.
    ridge : float > 0 or None, default=None
        Fixed ridge ``λ/α``. None maximises the evidence.
    mode_threshold : float > 0, default=1e-10
        Principal axes of the corrections with a second moment below this
        fraction of the largest are dropped.
    std_components : tuple of str, default=("misspecification", "epistemic")
        Variances summed into the std of :meth:`predict`:
        "misspecification" (spread of the POPS posterior), "epistemic"
        (Bayesian-ridge parameter variance ``xᵀΣ̃x/α``) and "noise"
        (``1/α``, the residual variance Bayesian ridge attributes to noise).
        ``("epistemic", "noise")`` reproduces ``BayesianRidge``'s std.
    max_iter, tol, alpha_1, alpha_2, lambda_1, lambda_2, alpha_init, lambda_init
        Evidence-maximisation settings, as in ``BayesianRidge``.
    chunk_size : int or None, default=None
        Rows per chunk of an in-memory fit; None picks about 16 MB per chunk.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Base-fit coefficients ``θ*``.
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (0.0 without ``fit_intercept``).
    alpha_, lambda_ : float or ndarray of shape (n_targets,)
        Noise and weight precisions (``ridge = lambda_ / alpha_``).
    n_iter_ : int or ndarray of shape (n_targets,)
        Evidence iterations (0 for a fixed ridge).
    n_modes_ : int or ndarray of shape (n_targets,)
        Principal axes kept in the posterior.
    posteriors_ : list of TargetPosterior
        Everything learnt per target (factor, axes, box, ensemble).
    n_features_in_ : int
        Number of features seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from mixpot.pops import POPSRegressor
    >>> x = np.linspace(-1, 1, 200)
    >>> X = np.vander(x, 4)                   # cubic: too small for Runge
    >>> y = 1 / (1 + 25 * x**2)
    >>> model = POPSRegressor().fit(X, y)
    >>> lower, upper = model.predict_bounds(X)
    >>> bool(np.all((lower <= y + 1e-9) & (y <= upper + 1e-9)))
    True
    >>> mean, std = model.predict(X[:3], return_std=True)
    >>> mean.shape, std.shape
    ((3,), (3,))
    """

    def __init__(
        self,
        *,
        fit_intercept: bool = True,
        posterior: str = "hypercube",
        percentile_clipping: float = 0.0,
        ridge: float | None = None,
        mode_threshold: float = 1e-10,
        std_components: tuple[str, ...] = ("misspecification", "epistemic"),
        max_iter: int = 300,
        tol: float = 1e-3,
        alpha_1: float = 1e-6,
        alpha_2: float = 1e-6,
        lambda_1: float = 1e-6,
        lambda_2: float = 1e-6,
        alpha_init: float | None = None,
        lambda_init: float | None = None,
        chunk_size: int | None = None,
    ) -> None:
        self.fit_intercept = fit_intercept
        self.posterior = posterior
        self.percentile_clipping = percentile_clipping
        self.ridge = ridge
        self.mode_threshold = mode_threshold
        self.std_components = std_components
        self.max_iter = max_iter
        self.tol = tol
        self.alpha_1 = alpha_1
        self.alpha_2 = alpha_2
        self.lambda_1 = lambda_1
        self.lambda_2 = lambda_2
        self.alpha_init = alpha_init
        self.lambda_init = lambda_init
        self.chunk_size = chunk_size

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, sample_weight=None) -> POPSRegressor:
        """Fit the base model and the POPS posterior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Design matrix (converted to float64).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets; several columns share one factorisation of ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights, acting like repeat counts on the base
            fit and on the corrections (rows of weight 0 are left out).

        Returns
        -------
        self : POPSRegressor
            The fitted estimator.
        """
        self._check_params()
        X, y = validate_data(
            self, X, y, dtype=np.float64, multi_output=True, y_numeric=True
        )
        y = np.asarray(y, dtype=np.float64)  # validate_data keeps y's dtype
        w_n = check_sample_weight(sample_weight, len(X))
        if not w_n.any():
            raise ValueError("sample_weight is zero for every row: nothing to fit.")
        y_nk = as_target_matrix(y)
        step = self.chunk_size or max(1, _CHUNK_VALUES // (X.shape[1] + 1))

        def chunks():
            for start in range(0, len(X), step):
                rows = slice(start, start + step)
                yield X[rows], y_nk[rows], w_n[rows]

        return self._fit_from(chunks, X.shape[1], y_nk.shape[1], y.ndim)

    def fit_chunks(self, chunks: Callable[[], Iterable] | Iterable) -> POPSRegressor:
        """Fit out of core from row chunks, reading the data three times.

        Parameters
        ----------
        chunks : callable or re-iterable
            Either a function returning a fresh iterator of tuples
            ``(X_chunk, y_chunk)`` or ``(X_chunk, y_chunk, w_chunk)`` (called
            once per pass, so it must yield the same rows in the same order
            each time), or a re-iterable such as a list of such tuples. A
            one-shot generator is refused. Memory beyond one chunk is O(P²)
            per target for the "hypercube" posterior.

        Returns
        -------
        self : POPSRegressor
            The fitted estimator; equal to ``fit`` on the stacked rows up to
            round-off.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X, y = rng.normal(size=(1000, 5)), rng.normal(size=1000)
        >>> parts = [(X[i:i + 250], y[i:i + 250]) for i in range(0, 1000, 250)]
        >>> streamed = POPSRegressor().fit_chunks(parts)
        >>> bool(np.allclose(streamed.coef_, POPSRegressor().fit(X, y).coef_))
        True
        """
        self._check_params()
        source = _ChunkSource(chunks, self)
        first = source.peek()
        self.n_features_in_ = first[0].shape[1]
        self.__dict__.pop("feature_names_in_", None)
        return self._fit_from(source, self.n_features_in_, first[1].shape[1], first[3])

    def _fit_from(self, chunks, n_features: int, n_targets: int, y_ndim: int):
        keep = self.posterior == "ensemble" or self.percentile_clipping > 0
        targets, x_mean_p, n_rows = fit_posteriors(
            chunks,
            n_features,
            n_targets,
            fit_intercept=self.fit_intercept,
            ridge=self.ridge,
            prior=HyperPrior(
                self.alpha_1,
                self.alpha_2,
                self.lambda_1,
                self.lambda_2,
                self.max_iter,
                self.tol,
            ),
            alpha_init=self.alpha_init,
            lambda_init=self.lambda_init,
            keep_projections=keep,
            percentile_clipping=self.percentile_clipping,
            mode_threshold=self.mode_threshold,
        )
        for target in targets:
            target.is_ensemble = self.posterior == "ensemble"
        self._set_fitted(targets, x_mean_p, y_ndim)
        logger.info("fitted %d rows, %d features", n_rows, n_features)
        return self

    def _set_fitted(self, targets, x_mean_p, y_ndim: int) -> None:
        """Derive the public attributes from the per-target posteriors."""
        self.posteriors_ = targets
        self._x_mean = x_mean_p
        self._y_ndim = y_ndim
        single = y_ndim == 1

        def gather(values, dtype=float):
            array = np.asarray(values, dtype=dtype)
            return array[0] if single else array

        self.coef_ = gather([t.coef for t in targets])
        self.intercept_ = gather([t.y_mean - x_mean_p @ t.coef for t in targets])
        if single:
            self.intercept_ = float(self.intercept_)
        self.alpha_ = gather([t.alpha for t in targets])
        self.lambda_ = gather([t.lambda_ for t in targets])
        self.n_iter_ = gather([t.n_iter for t in targets], int)
        self.n_modes_ = gather([t.modes.shape[1] for t in targets], int)

    def _check_params(self) -> None:
        owner = type(self).__name__
        check_param(owner, "fit_intercept", self.fit_intercept, "bool")
        check_param(
            owner, "posterior", self.posterior, "option", ("hypercube", "ensemble")
        )
        check_param(owner, "percentile_clipping", self.percentile_clipping, "percent")
        check_param(owner, "ridge", self.ridge, "optional-positive")
        check_param(owner, "mode_threshold", self.mode_threshold, "positive")
        check_param(owner, "max_iter", self.max_iter, "positive-int")
        check_param(owner, "tol", self.tol, "non-negative")
        for name in ("alpha_1", "alpha_2", "lambda_1", "lambda_2"):
            check_param(owner, name, getattr(self, name), "non-negative")
        for name in ("alpha_init", "lambda_init"):
            check_param(owner, name, getattr(self, name), "optional-positive")
        if self.chunk_size is not None:
            check_param(owner, "chunk_size", self.chunk_size, "positive-int")
        components = self.std_components
        if (
            not isinstance(components, tuple | list)
            or not components
            or any(c not in STD_COMPONENTS for c in components)
        ):
            raise ValueError(
                f"The 'std_components' parameter of {owner} must be a non-empty "
                f"tuple drawn from {list(STD_COMPONENTS)}. Got {components!r}."
            )

    # -------------------------------------------------------------- predict
    def predict(self, X, return_std: bool = False):
        """Predict with the base fit; optionally with its std.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        return_std : bool, default=False
            Also return the std: the square root of the sum of the variances
            named in ``std_components`` (by default misspecification +
            epistemic; see :meth:`predict_std_components`).

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
            ``X @ coef_ + intercept_``.
        std : ndarray, same shape as ``mean``
            Only when ``return_std`` is True.
        """
        Xc_np = self._centred(X)
        mean = self._stack([_predict.mean(t, Xc_np) for t in self.posteriors_])
        if not return_std:
            return mean
        parts = self._variances(Xc_np)
        variance = sum(parts[name] for name in self.std_components)
        return mean, np.sqrt(variance)

    def predict_std_components(self, X) -> dict[str, np.ndarray]:
        """Each std component separately.

        Returns
        -------
        components : dict of str to ndarray
            "misspecification": root-mean-square deviation of the posterior's
            predictions from the mean (uniform law on the box, or the
            weighted ensemble); "epistemic": Bayesian-ridge parameter std
            ``sqrt(xᵀΣ̃x/α)``; "noise": ``sqrt(1/α)``. Arrays have the shape
            of :meth:`predict`'s output.
        """
        parts = self._variances(self._centred(X))
        return {name: np.sqrt(value) for name, value in parts.items()}

    def predict_bounds(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Exact lower and upper POPS bounds.

        The extremes of the prediction over the whole posterior (box corners
        or ensemble members), computed in closed form, not sampled. The mean
        of :meth:`predict` always lies between them.

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Bounds.
        """
        Xc_np = self._centred(X)
        lows, highs = [], []
        for target in self.posteriors_:
            mean = _predict.mean(target, Xc_np)
            low, high = _predict.bounds(target, Xc_np)
            lows.append(mean + low)
            highs.append(mean + high)
        return self._stack(lows), self._stack(highs)

    def sample_parameters(
        self, n_samples: int, random_state=None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw parameter vectors from the POPS posterior.

        Uniform in the box ("hypercube") or drawn from the weighted
        corrections ("ensemble"); use them to propagate the uncertainty to
        any quantity computed from the model.

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
        coefs = np.stack([self._draw(t, n_samples, rng) for t in self.posteriors_], 1)
        intercepts = (
            np.array([t.y_mean for t in self.posteriors_]) - coefs @ self._x_mean
        )
        if self._y_ndim == 1:
            return coefs[:, 0], intercepts[:, 0]
        return coefs, intercepts

    @staticmethod
    def _draw(target: TargetPosterior, n_samples: int, rng) -> np.ndarray:
        if target.is_ensemble and len(target.projections):
            p = target.projection_weights / target.projection_weights.sum()
            u_sr = target.projections[rng.choice(len(p), size=n_samples, p=p)]
        else:
            fraction = rng.random_sample((n_samples, len(target.lower)))
            u_sr = target.lower + (target.upper - target.lower) * fraction
        return target.coef + u_sr @ target.modes.T

    def _centred(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X - self._x_mean

    def _variances(self, Xc_np: np.ndarray) -> dict[str, np.ndarray]:
        parts = {
            "misspecification": [
                _predict.misspecification_variance(t, Xc_np) for t in self.posteriors_
            ],
            "epistemic": [
                _predict.epistemic_variance(t, Xc_np) for t in self.posteriors_
            ],
            "noise": [np.full(len(Xc_np), 1 / t.alpha) for t in self.posteriors_],
        }
        return {name: self._stack(columns) for name, columns in parts.items()}

    def _stack(self, columns: list[np.ndarray]) -> np.ndarray:
        return columns[0] if self._y_ndim == 1 else np.stack(columns, axis=1)

    # ---------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to a portable ``.npz`` file (no pickle).

        The file holds the parameters and O(P²) arrays per target (plus the
        ensemble for ``posterior="ensemble"``); its size does not grow with
        the number of training rows for the hypercube posterior.

        Returns
        -------
        path : Path
            The file written.
        """
        check_is_fitted(self)
        return _io.save(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> POPSRegressor:
        """Read a model written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not a POPSRegressor file or has an unknown format
            version.
        """
        return _io.load(cls, Path(path))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


class _ChunkSource:
    """Validate user chunks and replay them once per pass."""

    def __init__(self, chunks, estimator: POPSRegressor) -> None:
        if callable(chunks):
            self._open = chunks
        elif isinstance(chunks, Iterable) and iter(chunks) is not chunks:
            self._open = lambda: iter(chunks)
        else:
            raise ValueError(
                "chunks must be a list of (X, y[, w]) tuples or a function "
                "returning a new iterator of them: a one-shot iterator cannot "
                "be read the three times the fit needs."
            )
        self._owner = type(estimator).__name__
        self._layout: tuple[int, int] | None = None
        self._rows_per_pass: int | None = None

    def peek(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Validate the first chunk and fix the layout (P, K, y.ndim)."""
        for item in self._open():
            X, y_nk, w_n, y_ndim = self._validate(item, 0)
            self._layout = (X.shape[1], y_nk.shape[1])
            return X, y_nk, w_n, y_ndim
        raise ValueError("chunks yielded no chunk: nothing to fit.")

    def __call__(self):
        n_rows = 0
        for index, item in enumerate(self._open()):
            X, y_nk, w_n, _ = self._validate(item, index)
            n_rows += len(X)
            yield X, y_nk, w_n
        if self._rows_per_pass is None:
            self._rows_per_pass = n_rows
        elif n_rows != self._rows_per_pass:
            raise ValueError(
                f"chunks gave {n_rows} rows on a later pass but "
                f"{self._rows_per_pass} on the first: the chunk source must "
                "replay the same rows on every call."
            )

    def _validate(self, item, index: int):
        if not isinstance(item, tuple | list) or len(item) not in (2, 3):
            raise ValueError(
                f"chunk {index} must be a tuple (X, y) or (X, y, sample_weight)."
            )
        X = check_array(item[0], dtype=np.float64, input_name=f"X of chunk {index}")
        y = check_array(
            item[1], dtype=np.float64, ensure_2d=False, input_name=f"y of chunk {index}"
        )
        if y.ndim not in (1, 2) or len(y) != len(X):
            raise ValueError(
                f"y of chunk {index} must have {len(X)} rows like its X; "
                f"got shape {y.shape}."
            )
        y_nk = as_target_matrix(y)
        if self._layout is not None and (X.shape[1], y_nk.shape[1]) != self._layout:
            raise ValueError(
                f"chunk {index} has {X.shape[1]} features and {y_nk.shape[1]} "
                f"targets; the first chunk had {self._layout[0]} and "
                f"{self._layout[1]}."
            )
        w_n = check_sample_weight(item[2] if len(item) == 3 else None, len(X))
        return X, y_nk, w_n, y.ndim
