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
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _constraints, _io
from ._chunks import ChunkSource
from ._evidence import HyperPrior
from ._passes import fit_posteriors
from ._prediction import PosteriorPredictions
from ._validation import (
    as_target_matrix,
    check_estimator_params,
    check_groups,
    check_sample_weight,
    check_strata,
)

logger = logging.getLogger(__name__)

STD_COMPONENTS = ("misspecification", "epistemic", "noise")
POSTERIORS = ("ellipsoid", "hypercube", "ensemble")

# Rows per chunk of an in-memory fit: about 16 MB of float64.
_CHUNK_VALUES = 2**21


class POPSRegressor(PosteriorPredictions, RegressorMixin, BaseEstimator):
    """Linear regression with Pointwise Optimal Parameter Set (POPS) bounds.

    The base fit is Bayesian ridge regression (evidence maximisation, as
    :class:`sklearn.linear_model.BayesianRidge`) or ridge with a fixed
    regularisation. Each training row then gives the smallest parameter change
    that makes the model reproduce it; the posterior is a set that contains
    every such correction (an ellipsoid, or the box spanned by them along
    their principal axes), so every training point lies inside its own
    :meth:`predict_bounds` (Swinburne & Perez 2025). :meth:`predict_interval`
    adds intervals calibrated to a chosen coverage by leave-one-out scores,
    ``fit(..., strata=labels)`` calibrates the covering factor and those
    scores per stratum (per row kind: energy, force, stress), and
    ``fit(..., constraints=(A_eq, b_eq))`` keeps linear constraints
    exactly. The fit takes one Gram pass where that is accurate and a
    streaming Householder QR where the conditioning needs it (condition
    numbers of 1e12 and more keep full precision).

    Parameters
    ----------
    fit_intercept : bool, default=True
        Fit an (unpenalised) intercept by weighted centring.
    posterior : {"ellipsoid", "hypercube", "ensemble"}, default="ellipsoid"
        "ellipsoid": ``{θ* + δ : δᵀC⁺δ ≤ k²}`` with ``C = Σ w_i δθ_i δθ_iᵀ /
        Σ w_i`` the second moment of the corrections and k the smallest
        factor covering every row (``|e_i| ≤ k √(x_iᵀCx_i)``); exact bounds
        ``μ ± k √(xᵀCx)``. "hypercube": the box of the projected corrections
        (the paper's ansatz; exact bounds at its corners). Both need memory
        independent of the number of rows. "ensemble": the corrections
        themselves (memory O(N·R); bounds are their extremes). The default
        is the ellipsoid because, on ``benchmarks/pops_coverage.py``, it
        covers the training rows as the box does (by construction) and
        ≥ 0.99 of the test points in all four cases, at a half-width that
        does not grow with the number of modes: width ÷ RMSE 3.4, 5.1, 10.8
        against the box's 4.3, 8.5, 22.7 at P = 9, 55, 500 (1.3–2.1×
        narrower). The box covers more of the hardest test points (1.00
        against 0.945–0.999); see ``benchmarks/README.md``.
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
    min_stratum_rows : int > 0, default=99
        With ``fit(..., strata=...)``, a stratum needs at least this many
        rows of weight > 0 for a covering factor ``k_s`` and quantiles of
        its own; smaller strata take the pooled ones. The largest ratio
        among n exchangeable rows covers a new one with probability
        n / (n + 1): 99 rows are what a held-out coverage of 0.99 needs.
        The same floor holds for the quantiles, whose finite-sample rank
        accounts for n only if the stratum's rows are exchangeable with the
        new ones. Measured on the distillation of W from W_2940 (80
        total-energy rows, most of them strain cells that the exact elastic
        constraints fit closely; held-out energies are MD and rattled
        cells): the energy stratum's own ``k_s`` and 95% quantile left 1 of
        5 held-out energies outside the bounds and the interval (half-width
        0.8× RMSE); the pooled ones cover all 5. Si gave the same for its
        bounds.

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
    strata_ : ndarray of shape (n_strata,) or None
        Sorted distinct stratum labels of ``fit(..., strata=...)``; None for
        a fit without strata.
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
        posterior: str = "ellipsoid",
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
        min_stratum_rows: int = 99,
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
        self.min_stratum_rows = min_stratum_rows

    # ------------------------------------------------------------------ fit
    def fit(
        self, X, y, sample_weight=None, *, groups=None, constraints=None, strata=None
    ) -> POPSRegressor:
        """Fit the base model and its POPS posterior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets. Several targets share one factorisation.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; they act as repeat counts in the fit
            and the posterior. Rows of weight 0 are not covered.
        groups : array-like of shape (n_samples,), default=None
            Group labels for the leave-one-out calibration of
            :meth:`predict_interval`: the rows of one group (the energy,
            forces and virial of one structure, say) are left out together.
            None leaves out single rows. Each group's rows are solved as one
            small dense system, so groups should hold at most a few thousand
            rows.
        constraints : tuple (A_eq, b_eq), default=None
            Exact linear constraints ``A_eq @ coef = b_eq`` on the
            coefficients (not the intercept): ``A_eq`` of shape
            (m, n_features) with independent rows, m < n_features, and
            ``b_eq`` of shape (m,) (shared by every target) or
            (m, n_targets). The fit runs in the null space of ``A_eq`` (a QR
            of ``A_eqᵀ``, no penalty weight): ``coef = θ_p + N z`` with
            ``θ_p`` the minimum-norm solution and N an orthonormal null-space
            basis. The ridge (fixed, or from evidence maximisation of the
            reduced problem) acts on z, and ``|coef|² = |θ_p|² + |z|²``, so
            the base fit is the constrained ridge solution. The pointwise
            corrections are the smallest changes *within the null space*
            (metric ``(NᵀXᵀWXN + r·I)``) that reproduce a row; they may be
            longer than unconstrained ones, but the posterior is built from
            them exactly as without constraints, so training rows stay
            covered, except a row whose ``x N`` vanishes (no
            constraint-keeping change can move it). Every posterior member
            and every bound keeps ``A_eq θ = b_eq``.
        strata : array-like of shape (n_samples,), default=None
            A label per row (str, int or bool; e.g. the row kind "energy",
            "force", "stress") for per-stratum (Mondrian) calibration. The
            posterior's shape (the ellipsoid's C, the box) is still learnt
            from all rows, but each stratum s gets its own covering factor
            ``k_s`` (the smallest that covers its own rows of weight > 0, so
            every training row stays inside its own stratum's bounds) and its
            own leave-one-out quantiles, from its own rows scored with the σ
            of ``k_s``; strata with fewer than ``min_stratum_rows`` such rows
            take the pooled ``k`` and quantiles. Rows of one kind with large
            ``|e_i| / σ(x_i)`` (per-atom energies, say) then no longer widen
            the bounds and intervals of another (forces). Predict with the
            new rows' labels
            (``strata=`` of :meth:`predict_bounds`, :meth:`predict_interval`,
            :meth:`predict`); without labels the model answers exactly as a
            fit without strata (the pooled ``k`` is the largest ``k_s``).
            The box and the ensemble have no ``k``: for them strata set only
            the quantiles of :meth:`predict_interval`.

        Returns
        -------
        self : POPSRegressor
            The fitted estimator.

        Raises
        ------
        ValueError
            For bad inputs or parameters, inconsistent or redundant
            constraints, constraints that leave no free parameter.
        """
        self._check_params()
        owner = f"{type(self).__name__}.fit"
        X, y = validate_data(
            self, X, y, dtype=np.float64, multi_output=True, y_numeric=True
        )
        y = np.asarray(y, dtype=np.float64)  # validate_data keeps y's dtype
        w_n = check_sample_weight(sample_weight, len(X), owner)
        if not w_n.any():
            raise ValueError(
                f"The 'sample_weight' parameter of {owner} must have a positive "
                "entry. Got zero for every row: nothing to fit."
            )
        group_n = check_groups(groups, len(X), owner)
        label_n = check_strata(strata, len(X), owner)
        labels, code_n = (None, None)
        if label_n is not None:
            labels, code_n = np.unique(label_n, return_inverse=True)
        y_nk = as_target_matrix(y)
        limit = (
            _constraints.build(constraints, X.shape[1], y_nk.shape[1], owner)
            if (constraints is not None)
            else None
        )
        step = self.chunk_size or max(1, _CHUNK_VALUES // (X.shape[1] + 1))
        source = _rows_in_chunks(X, y_nk, w_n, step, code_n)
        by_group = (
            None
            if group_n is None
            else _groups_in_chunks(X, y_nk, w_n, group_n, step, code_n)
        )
        return self._fit_from(
            source, X.shape[1], y_nk.shape[1], y.ndim, limit, by_group, labels
        )

    def fit_chunks(
        self, chunks: Callable[[], Iterable] | Iterable, *, constraints=None
    ) -> POPSRegressor:
        """Fit out of core from row chunks, reading the data 3–4 times.

        Parameters
        ----------
        chunks : callable or re-iterable
            Either a function returning a fresh iterator of tuples
            ``(X_chunk, y_chunk)`` or ``(X_chunk, y_chunk, w_chunk)`` (called
            once per pass, so it must yield the same rows in the same order
            each time), or a re-iterable such as a list of such tuples. A
            one-shot generator is refused. Memory beyond one chunk is O(P²)
            per target, plus O(N) floats for the leave-one-out scores of the
            "ellipsoid" posterior. Passes: one Gram pass (plus one streaming
            QR pass when the conditioning needs it), the principal axes, the
            box or ellipsoid, and (except for the ellipsoid) the
            leave-one-out scores. The calibration leaves out single rows;
            there are no strata (use :meth:`fit` for per-stratum
            calibration).
        constraints : tuple (A_eq, b_eq), default=None
            As in :meth:`fit`.

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
        source = ChunkSource(chunks, type(self).__name__)
        first = source.peek()
        self.n_features_in_ = first[0].shape[1]
        self.__dict__.pop("feature_names_in_", None)
        limit = None
        if constraints is not None:
            owner = f"{type(self).__name__}.fit_chunks"
            limit = _constraints.build(
                constraints, self.n_features_in_, first[1].shape[1], owner
            )
        return self._fit_from(
            source, self.n_features_in_, first[1].shape[1], first[3], limit, None
        )

    def _fit_from(
        self, chunks, n_features, n_targets, y_ndim, limit, by_group, labels=None
    ):
        if limit is not None:
            chunks, by_group = _reduced(chunks, limit), _reduced(by_group, limit)
            n_features = limit.null.shape[1]
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
            kind=self.posterior,
            percentile_clipping=self.percentile_clipping,
            mode_threshold=self.mode_threshold,
            std_components=tuple(self.std_components),
            group_chunks=by_group,
            n_strata=0 if labels is None else len(labels),
            min_stratum_rows=self.min_stratum_rows,
        )
        self._set_fitted(targets, x_mean_p, y_ndim, limit, labels)
        logger.info("fitted %d rows, %d features", n_rows, n_features)
        return self

    def _set_fitted(
        self, targets, x_mean_p, y_ndim: int, limit=None, labels=None
    ) -> None:
        """Derive the public attributes from the per-target posteriors."""
        self.posteriors_ = targets
        self.strata_ = labels
        self._x_mean = x_mean_p
        self._y_ndim = y_ndim
        self._constraint = limit
        single = y_ndim == 1

        def gather(values, dtype=float):
            array = np.asarray(values, dtype=dtype)
            return array[0] if single else array

        self.coef_ = gather([self._full_coef(t.coef, k) for k, t in enumerate(targets)])
        self.intercept_ = gather([t.y_mean - x_mean_p @ t.coef for t in targets])
        if single:
            self.intercept_ = float(self.intercept_)
        self.alpha_ = gather([t.alpha for t in targets])
        self.lambda_ = gather([t.lambda_ for t in targets])
        self.n_iter_ = gather([t.n_iter for t in targets], int)
        self.n_modes_ = gather([t.modes.shape[1] for t in targets], int)

    def _check_params(self) -> None:
        check_estimator_params(self, POSTERIORS, STD_COMPONENTS)

    # ---------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to a portable ``.npz`` file (no pickle).

        The file holds the parameters and O(P²) arrays per target (plus the
        ensemble for ``posterior="ensemble"``); its size does not grow with
        the number of training rows for the "ellipsoid" and "hypercube"
        posteriors.

        Returns
        -------
        path : Path
            The file written.
        """
        check_is_fitted(self)
        return _io.save(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> POPSRegressor:
        """Read a model written by :meth:`save` (this or an older version).

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


def _rows_in_chunks(X, y_nk, w_n, step, code_n=None):
    """Chunks of ``step`` rows, ending with their stratum codes if given."""

    def chunks():
        for start in range(0, len(X), step):
            rows = slice(start, start + step)
            codes = () if code_n is None else (code_n[rows],)
            yield X[rows], y_nk[rows], w_n[rows], *codes

    return chunks


def _groups_in_chunks(X, y_nk, w_n, group_n, step, code_n=None):
    """Chunks of about ``step`` rows that hold whole groups (for pass 4)."""
    order = np.argsort(group_n, kind="stable")
    sorted_groups = group_n[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    cuts = [0]
    for start in starts[1:]:
        if start - cuts[-1] >= step:
            cuts.append(int(start))
    cuts.append(len(order))

    def chunks():
        for begin, end in zip(cuts[:-1], cuts[1:], strict=True):
            rows = order[begin:end]
            codes = () if code_n is None else (code_n[rows],)
            yield X[rows], y_nk[rows], w_n[rows], group_n[rows], *codes

    return chunks


def _reduced(chunks, limit):
    """Return the chunk source seen through the constraint's null space."""
    if chunks is None:
        return None

    def reduced():
        for item in chunks():
            X_np, y_nk = limit.reduce(item[0], item[1])
            yield (X_np, y_nk, *item[2:])

    return reduced
