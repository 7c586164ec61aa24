"""A linear SNAP potential: fitted coefficients, baseline and POPS posterior.

:class:`LinearPotential` ties together what the rest of mixpot produces and
consumes: the SNAP settings (:class:`~mixpot.descriptors.SNAP`), one
coefficient per column of the fitting block (per element, the constant term
then the K bispectrum coefficients: the ``.snapcoeff`` layout), an optional
fixed :class:`~mixpot.descriptors.ZBLBaseline` underneath, and, when the fit
was done with :class:`~mixpot.pops.POPSRegressor`, its posterior, which gives
every prediction an uncertainty and a parameter ensemble.

The potential is evaluated by LAMMPS ``pair_style snap``: in process through
:meth:`LinearPotential.calculator` (an ASE calculator), or by any LAMMPS run
from the files of :meth:`LinearPotential.to_lammps`. :meth:`save` writes one
portable ``.npz`` file (no pickle).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import clone

from mixpot._npz import read_versioned, write_versioned
from mixpot.descriptors import SNAP, SnapRows, ZBLBaseline
from mixpot.pops import POPSRegressor

from . import uncertainty
from ._validation import check_fit_inputs, checked_coef, checked_regressor, checked_rows
from .lammps_files import (
    pair_commands,
    read_snap_files,
    snapcoeff_text,
    write_snap_files,
)
from .per_atom_uncertainty import (
    DEFAULT_QUANTILE,
    UncertaintyThreshold,
    atom_uncertainty,
    uncertainty_threshold,
)

if TYPE_CHECKING:
    from .calculator import SnapCalculator

logger = logging.getLogger(__name__)

FORMAT_TAG = "mixpot.LinearPotential"
FORMAT_VERSION = 1


class LinearPotential:
    """Linear SNAP potential ``E = Σ_i coef_{e(i)} · [1, B_i] + baseline``.

    Parameters
    ----------
    descriptor : SNAP
        SNAP settings (elements, radii, weights, 2J, cutoff, flags).
    coef : array-like, shape (descriptor.n_columns,)
        Coefficients in eV: per element its constant term then one per
        bispectrum component.
    baseline : ZBLBaseline or None, default=None
        Fixed pair repulsion added to the SNAP energy.
    regressor : POPSRegressor or None, default=None
        Fitted regressor whose posterior gives uncertainties and ensembles.
    uncertainty_threshold : UncertaintyThreshold or None, default=None
        Per-atom uncertainty above which the potential is off its training
        data (see :meth:`with_uncertainty_threshold`); the default of the
        regions' uncertainty criterion.

    Examples
    --------
    >>> import numpy as np
    >>> from ase.build import bulk
    >>> from mixpot.descriptors import SNAP
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> potential = LinearPotential(snap, np.array([-8.0, 0.1, 0, 0, 0, 0]))
    >>> atoms = bulk("W", "bcc", a=3.18)
    >>> atoms.calc = potential.calculator()
    >>> float(round(atoms.get_potential_energy() - 0.1 * snap.per_atom(atoms)[0, 1], 6))
    -8.0
    """

    def __init__(
        self,
        descriptor: SNAP,
        coef: np.ndarray,
        baseline: ZBLBaseline | None = None,
        regressor: POPSRegressor | None = None,
        uncertainty_threshold: UncertaintyThreshold | None = None,
    ) -> None:
        if not isinstance(descriptor, SNAP):
            raise TypeError(
                "The 'descriptor' parameter of LinearPotential must be a SNAP. Got "
                f"{type(descriptor).__name__}."
            )
        if baseline is not None and not isinstance(baseline, ZBLBaseline):
            raise TypeError(
                "The 'baseline' parameter of LinearPotential must be a ZBLBaseline or "
                f"None. Got {type(baseline).__name__}."
            )
        self.descriptor = descriptor
        self.coef = checked_coef(coef, descriptor.n_columns)
        self.baseline = baseline
        self.regressor = checked_regressor(regressor, descriptor.n_columns)
        if uncertainty_threshold is not None and not isinstance(
            uncertainty_threshold, UncertaintyThreshold
        ):
            raise TypeError(
                "The 'uncertainty_threshold' parameter of LinearPotential must be "
                f"an UncertaintyThreshold or None. Got "
                f"{type(uncertainty_threshold).__name__}."
            )
        self.uncertainty_threshold = uncertainty_threshold

    @property
    def elements(self) -> tuple[str, ...]:
        """Chemical symbols; element ``k`` is LAMMPS atom type ``k + 1``."""
        return tuple(self.descriptor.elements)

    def __repr__(self) -> str:
        return (
            f"LinearPotential(elements={list(self.descriptor.elements)}, "
            f"twojmax={self.descriptor.twojmax}, n_columns={len(self.coef)}, "
            f"baseline={self.baseline}, posterior={self.regressor is not None})"
        )

    # ------------------------------------------------------------------ fit
    @classmethod
    def fit(
        cls,
        descriptor: SNAP,
        rows: SnapRows,
        targets: np.ndarray,
        weights: np.ndarray | None = None,
        regressor=None,
        baseline: ZBLBaseline | None = None,
        *,
        groups: np.ndarray | None = None,
        constraints: tuple[np.ndarray, np.ndarray] | None = None,
        strata: np.ndarray | None = None,
    ) -> LinearPotential:
        """Fit the coefficients to reference energies, forces and stresses.

        The regressor learns ``targets - rows.baseline``: what the expensive
        model gives beyond the fixed baseline.

        Parameters
        ----------
        descriptor : SNAP
            Settings that produced ``rows``.
        rows : SnapRows
            Fitting block from ``descriptor.rows(atoms_list, baseline)``.
        targets : array-like, shape (n_rows,)
            Reference value of each row, in the order of ``rows.X``: energies
            (eV), forces (eV/Å), stresses (eV/Å^3).
        weights : array-like, shape (n_rows,), optional
            Non-negative row weights (``sample_weight`` of the regressor).
        regressor : sklearn-style regressor, optional
            Any regressor exposing ``coef_`` after ``fit``; it is cloned, and
            must not fit an intercept (the per-element constant columns play
            that role). Default ``POPSRegressor(fit_intercept=False)``. A
            POPSRegressor is kept for uncertainties; others are not.
        baseline : ZBLBaseline, optional
            The baseline given to ``descriptor.rows``; required when
            ``rows.baseline`` is not zero.
        groups : array-like, shape (n_rows,), optional
            Group label of each row (e.g. ``rows.structure``) for the
            leave-one-group-out calibration of ``predict_interval``; passed
            to a POPSRegressor's ``fit``.
        constraints : tuple (A_eq, b_eq), optional
            Exact linear constraints ``A_eq @ coef = b_eq`` (baseline already
            moved into ``b_eq``), passed to a POPSRegressor's ``fit``: the
            fit, every bound and every ensemble member keep them.
        strata : array-like, shape (n_rows,), optional
            Stratum label of each row (``rows.kind``: "energy", "force",
            "stress", "atom_energy") for per-kind covering factors and
            calibration, passed to a POPSRegressor's ``fit`` (other
            regressors do not calibrate). The potential's uncertainties then
            use the matching stratum: "force" for forces, "energy" for total
            energies, "atom_energy" (else "energy") for per-atom energies
            (see :mod:`mixpot.potentials.uncertainty`).

        Returns
        -------
        LinearPotential

        Raises
        ------
        ValueError
            On mismatched shapes, non-finite values, negative weights, a
            regressor that fits an intercept, or a missing baseline.
        """
        X = np.asarray(rows.X, dtype=np.float64)
        targets = checked_rows("targets", targets, len(X))
        weights = None if weights is None else checked_rows("weights", weights, len(X))
        check_fit_inputs(descriptor, rows, X, weights, baseline)
        regressor = (
            POPSRegressor(fit_intercept=False) if regressor is None else regressor
        )
        if getattr(regressor, "fit_intercept", False):
            raise ValueError(
                "The 'regressor' parameter of LinearPotential.fit must not fit "
                "an intercept (the per-element constant columns of SNAP play "
                f"that role): pass fit_intercept=False. Got "
                f"{type(regressor).__name__} with fit_intercept=True."
            )
        regressor = clone(regressor)
        fit_kwargs = {} if weights is None else {"sample_weight": weights}
        if groups is not None and isinstance(regressor, POPSRegressor):
            fit_kwargs["groups"] = groups  # other regressors do not calibrate
        if strata is not None and isinstance(regressor, POPSRegressor):
            fit_kwargs["strata"] = strata
        if constraints is not None:
            if not isinstance(regressor, POPSRegressor):
                raise ValueError(
                    "The 'constraints' parameter of LinearPotential.fit needs a "
                    "POPSRegressor (it solves them exactly). Got "
                    f"{type(regressor).__name__}."
                )
            fit_kwargs["constraints"] = constraints
        regressor.fit(X, targets - rows.baseline, **fit_kwargs)
        coef = np.asarray(regressor.coef_, dtype=np.float64).reshape(-1)
        logger.info("fitted %d coefficients on %d rows", len(coef), len(X))
        kept = regressor if isinstance(regressor, POPSRegressor) else None
        return cls(descriptor, coef, baseline=baseline, regressor=kept)

    # ------------------------------------------------------------- evaluate
    def calculator(
        self, uncertainty: bool | None = None, force_uncertainty: bool = True
    ) -> SnapCalculator:
        """Return an ASE calculator evaluating this potential through LAMMPS.

        Parameters
        ----------
        uncertainty : bool or None, default=None
            Fill the POPS extra results (see
            :class:`~mixpot.potentials.SnapCalculator`); None means "when the
            potential has a posterior".
        force_uncertainty : bool, default=True
            With ``uncertainty``, also fill ``forces_std`` (needs the
            descriptor gradients, the most expensive part).

        Returns
        -------
        SnapCalculator
        """
        from .calculator import SnapCalculator

        return SnapCalculator(self, uncertainty, force_uncertainty)

    def sample_coefficients(self, n_samples: int, random_state=None) -> np.ndarray:
        """Draw coefficient vectors from the POPS posterior.

        Returns
        -------
        ndarray, shape (n_samples, n_columns)

        Raises
        ------
        ValueError
            If the potential has no posterior.
        """
        regressor = self._posterior("sample_coefficients")
        coefs, _ = regressor.sample_parameters(n_samples, random_state)
        return coefs

    # ---------------------------------------------------------- uncertainty
    def atom_energy_uncertainty(
        self, descriptors_nk: np.ndarray, types: np.ndarray
    ) -> uncertainty.EnergyUncertainty:
        """Return the POPS std and bounds of per-atom and total energies.

        Parameters
        ----------
        descriptors_nk : array-like, shape (n_atoms, n_coefficients)
            Per-atom descriptors with the leading constant column, as
            :meth:`~mixpot.descriptors.SNAP.per_atom` returns them.
        types : array-like of int, shape (n_atoms,)
            Element index of each atom in ``descriptor.elements`` (0-based).

        Returns
        -------
        EnergyUncertainty
            Stds (eV) and bounds as offsets from the predicted energies.

        Raises
        ------
        ValueError
            Without a POPS posterior, or for arrays of the wrong shape.

        Examples
        --------
        >>> from ase.build import bulk
        >>> from ase.calculators.emt import EMT
        >>> snap = SNAP(["Cu"], [0.5], twojmax=2, rcutfac=4.7)
        >>> cells = [bulk("Cu", cubic=True) * 2 for _ in range(3)]
        >>> for seed, atoms in enumerate(cells):
        ...     atoms.rattle(0.05, seed=seed)
        ...     atoms.calc = EMT()
        >>> rows = snap.rows(cells)
        >>> cheap = LinearPotential.fit(snap, rows, rows.targets_from(cells))
        >>> atoms = bulk("Cu", cubic=True)
        >>> found = cheap.atom_energy_uncertainty(snap.per_atom(atoms), [0] * 4)
        >>> bool((found.atom_lower <= 0).all() and (0 <= found.atom_upper).all())
        True
        """
        return uncertainty.atom_energy_uncertainty(
            self._posterior("atom_energy_uncertainty"),
            self.descriptor,
            descriptors_nk,
            types,
        )

    def force_std(self, gradients: np.ndarray) -> np.ndarray:
        """Return the POPS std of each force component (eV/Å), (n_atoms, 3).

        Parameters
        ----------
        gradients : array-like, shape (n_atoms, n_elements, 3, n_coefficients - 1)
            Force rows in the ASE frame, as ``compute snad/atom`` gives them
            (see :func:`mixpot.potentials.uncertainty.force_std`).

        Raises
        ------
        ValueError
            Without a POPS posterior, or for an array of the wrong shape.
        """
        regressor = self._posterior("force_std")
        return uncertainty.force_std(regressor, self.descriptor, gradients)

    def atom_uncertainty(self, atoms, quantity: str = "energy") -> np.ndarray:
        """Return each atom's POPS uncertainty in ``atoms``, shape (n_atoms,).

        ``quantity="energy"``: std of the atom's energy (eV); ``"force"``:
        norm of the std of its force components (eV/Å). See
        :func:`mixpot.potentials.per_atom_uncertainty.atom_uncertainty`.

        Raises
        ------
        ValueError
            Without a POPS posterior, or for an unknown quantity.
        """
        self._posterior("atom_uncertainty")
        return atom_uncertainty(self, atoms, quantity)

    def with_uncertainty_threshold(
        self, frames, quantile: float = DEFAULT_QUANTILE
    ) -> LinearPotential:
        """Return a copy that stores the uncertainty threshold of ``frames``.

        The threshold (one for per-atom energies, eV, one for per-atom
        forces, eV/Å) is the ``quantile`` of :meth:`atom_uncertainty` over
        every atom of ``frames``: training frames of the perfect crystal at
        the highest training temperature
        (:func:`~mixpot.potentials.hottest_crystal_frames` picks them from a
        distillation's training set). The regions' uncertainty criterion
        uses it unless given a threshold; a lower ``quantile`` is stricter
        (more atoms expensive), a higher one, or 1 (the maximum), looser.
        :meth:`save` keeps it.

        Parameters
        ----------
        frames : sequence of ase.Atoms
            Perfect-crystal configurations.
        quantile : float, default 0.999
            In (0, 1].

        Raises
        ------
        ValueError
            Without a POPS posterior, frames, or for a quantile out of range.

        Examples
        --------
        >>> from ase.build import bulk
        >>> from ase.calculators.emt import EMT
        >>> snap = SNAP(["Cu"], [0.5], twojmax=2, rcutfac=4.7)
        >>> cells = [bulk("Cu", cubic=True) * 2 for _ in range(3)]
        >>> for seed, atoms in enumerate(cells):
        ...     atoms.rattle(0.05, seed=seed)
        ...     atoms.calc = EMT()
        >>> rows = snap.rows(cells)
        >>> cheap = LinearPotential.fit(snap, rows, rows.targets_from(cells))
        >>> cheap = cheap.with_uncertainty_threshold(cells, quantile=1.0)
        >>> threshold = cheap.uncertainty_threshold
        >>> threshold.n_atoms, threshold.energy >= threshold.energy_median
        (96, True)
        """
        self._posterior("with_uncertainty_threshold")
        threshold = uncertainty_threshold(self, frames, quantile)
        return LinearPotential(
            self.descriptor,
            self.coef,
            baseline=self.baseline,
            regressor=self.regressor,
            uncertainty_threshold=threshold,
        )

    def _posterior(self, method: str) -> POPSRegressor:
        if self.regressor is None:
            raise ValueError(
                f"LinearPotential.{method} needs a POPS posterior: fit the "
                "potential with a POPSRegressor."
            )
        return self.regressor

    # ---------------------------------------------------------- LAMMPS files
    def to_lammps(
        self,
        directory: str | Path,
        name: str = "mixpot",
        ensemble: int = 0,
        random_state=None,
    ) -> list[str]:
        """Write files that stock LAMMPS ``pair_style snap`` reads.

        Writes ``<name>.snapcoeff``, ``<name>.snapparam``, ``<name>.lammps``
        (the pair commands, for ``include``) and, with ``ensemble=K``, K
        coefficient sets drawn from the posterior, ``<name>_ens{k}.snapcoeff``
        (k = 0..K-1; use them with the same ``.snapparam``).

        ``<name>.lammps`` names its files relative to the LAMMPS variable
        ``<name>_dir`` (default ``.``, an ``index`` variable), so the folder
        can be moved: run LAMMPS in it, or define the variable first
        (``variable <name>_dir string /path/to/folder`` or ``-var <name>_dir
        /path/to/folder``) and ``include /path/to/folder/<name>.lammps``.

        Parameters
        ----------
        directory : str or Path
            Output folder (created if needed).
        name : str, default="mixpot"
            Stem of the file names.
        ensemble : int, default=0
            Number of posterior samples to write.
        random_state : int, RandomState or None
            Seed of the ensemble draw.

        Returns
        -------
        list of str
            ``pair_style``/``pair_coeff`` commands with absolute file paths;
            LAMMPS type ``k + 1`` must be ``descriptor.elements[k]``.
        """
        if not isinstance(ensemble, int | np.integer) or ensemble < 0:
            raise ValueError(
                "The 'ensemble' parameter of LinearPotential.to_lammps must be an "
                f"int >= 0. Got {ensemble!r}."
            )
        directory = Path(directory).resolve()
        coeff_path, param_path = write_snap_files(
            directory / name, self.descriptor, self.coef, repr(self)
        )
        for k, coef in enumerate(self._ensemble(ensemble, random_state)):
            comment = f"POPS ensemble member {k} of {ensemble}; use {param_path.name}"
            text = snapcoeff_text(self.descriptor, coef, comment)
            (directory / f"{name}_ens{k}.snapcoeff").write_text(text)
        commands = pair_commands(self.descriptor, coeff_path, param_path, self.baseline)
        (directory / f"{name}.lammps").write_text(self._include_text(name))
        logger.info("wrote LAMMPS files %s.* in %s", name, directory)
        return commands

    def _include_text(self, name: str) -> str:
        """Text of ``<name>.lammps``: pair commands with folder-relative files."""
        variable = re.sub(r"\W", "_", name) + "_dir"
        folder = "${" + variable + "}"
        relative = pair_commands(
            self.descriptor,
            f"{folder}/{name}.snapcoeff",
            f"{folder}/{name}.snapparam",
            self.baseline,
        )
        types = ", ".join(
            f"{k + 1} = {symbol}" for k, symbol in enumerate(self.descriptor.elements)
        )
        header = [
            f"# mixpot LinearPotential; LAMMPS types: {types}",
            f"# Files relative to ${variable} (default: the working directory); "
            f"to include from elsewhere: variable {variable} string <this folder>",
            f"variable {variable} index .",
        ]
        return "\n".join(header + relative) + "\n"

    def _ensemble(self, ensemble: int, random_state) -> np.ndarray:
        if ensemble == 0:
            return np.zeros((0, len(self.coef)))
        return self.sample_coefficients(ensemble, random_state)

    @classmethod
    def from_lammps(
        cls,
        snapcoeff: str | Path,
        snapparam: str | Path,
        baseline: ZBLBaseline | None = None,
    ) -> LinearPotential:
        """Import a linear SNAP potential from its LAMMPS files.

        Parameters
        ----------
        snapcoeff, snapparam : str or Path
            The ``.snapcoeff`` and ``.snapparam`` files.
        baseline : ZBLBaseline, optional
            The pair term the files were fitted with (e.g. ZBL 4.0 4.8 for
            W_2940_2017_2: read it from the potential's ``.snap`` file).

        Raises
        ------
        FileNotFoundError
            If a file is missing.
        ValueError
            If a file is malformed (the message names file and line).
        """
        descriptor, coef = read_snap_files(snapcoeff, snapparam)
        return cls(descriptor, coef, baseline=baseline)

    # ---------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Write the potential to one portable ``.npz`` file (no pickle).

        Holds the settings (and the uncertainty threshold, when set) as
        JSON, the coefficients and, when present, the POPSRegressor's own
        file as bytes.

        Returns
        -------
        Path
            The file written (``.npz`` appended when missing).
        """
        arrays = {
            "settings": np.array(json.dumps(self._settings())),
            "coef": self.coef,
        }
        if self.regressor is not None:
            arrays["regressor_npz"] = _regressor_bytes(self.regressor)
        return write_versioned(Path(path), FORMAT_TAG, FORMAT_VERSION, arrays)

    @classmethod
    def load(cls, path: str | Path) -> LinearPotential:
        """Read a potential written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not a LinearPotential file or has an unknown
            format version.
        """
        archive = read_versioned(path, FORMAT_TAG, FORMAT_VERSION)
        settings = json.loads(str(archive["settings"]))
        coef = archive["coef"]
        regressor = (
            _regressor_from_bytes(archive["regressor_npz"])
            if "regressor_npz" in archive
            else None
        )
        baseline = settings["baseline"]
        # Files written before thresholds were stored have no such key.
        threshold = settings.get("uncertainty_threshold")
        return cls(
            SNAP(**settings["descriptor"]),
            coef,
            baseline=None if baseline is None else ZBLBaseline(**baseline),
            regressor=regressor,
            uncertainty_threshold=None
            if threshold is None
            else UncertaintyThreshold.from_dict(threshold),
        )

    def _settings(self) -> dict:
        baseline, threshold = self.baseline, self.uncertainty_threshold
        return {
            "descriptor": dataclasses.asdict(self.descriptor),
            "baseline": None if baseline is None else dataclasses.asdict(baseline),
            "uncertainty_threshold": None if threshold is None else threshold.to_dict(),
        }


def _regressor_bytes(regressor: POPSRegressor) -> np.ndarray:
    with tempfile.TemporaryDirectory() as folder:
        written = regressor.save(Path(folder) / "regressor.npz")
        return np.frombuffer(written.read_bytes(), dtype=np.uint8)


def _regressor_from_bytes(data: np.ndarray) -> POPSRegressor:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "regressor.npz"
        path.write_bytes(np.asarray(data, dtype=np.uint8).tobytes())
        return POPSRegressor.load(path)
