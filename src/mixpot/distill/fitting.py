"""Fit a linear SNAP potential to labelled configurations with POPS.

Rows are weighted per kind: energy per atom (eV/atom), force components
(eV/Å) and virial per atom (stress × volume / N, eV/atom), so that
configurations of any size count alike. A share of the MD and rattled
configurations is held out for the report.

**Calibration per row kind.** The POPS fit takes ``strata=rows.kind``: each
kind (energy, force, stress, atom_energy) gets its own covering factor and
leave-one-configuration-out quantiles, so rows of one kind that the cheap
model follows less well (total energies, per-atom energies) do not widen
the force bounds and intervals (issue 10). The posterior's shape and its
ensemble members are shared by all kinds.

**Elastic constraint.** Fits to MD data alone get the lattice constant and
the elastic constants badly wrong. ``elastic_constraint="exact"`` (the
default) imposes zero stress at the expensive model's lattice constant and
its C11, C12, C44 (with the internal-strain terms for diamond) as exact
linear constraints of the POPS fit
(:mod:`mixpot.distill.elastic_constraints`): every ensemble member keeps
them. ``"soft"`` weights the homogeneous strain set instead: with
``strain_tolerance`` set, its weight is multiplied by
``strain_weight_factor`` until the RMS energy error on it falls below the
tolerance (or ``max_strain_rounds`` is reached, with a warning). ``"off"``
does neither.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms

from mixpot.descriptors import SNAP, SnapRows, ZBLBaseline
from mixpot.pops import POPSRegressor
from mixpot.potentials import LinearPotential

from .dropped import dropped_summary, report_scale, vanishing_rows
from .elastic_constraints import ElasticReference, elastic_constraints
from .group_weights import apply_group_weights, check_group_weights

logger = logging.getLogger(__name__)

HELD_OUT_GROUPS = ("md", "rattle")
ELASTIC_MODES = ("exact", "soft", "off")


@dataclass(frozen=True)
class FitSettings:
    """Weights, held-out share and strain constraint of a distillation fit.

    Attributes
    ----------
    energy_weight, force_weight, stress_weight : float
        Row weights for energy per atom, force components and virial per
        atom (defaults 30 : 1 : 10).
    atom_energy_weight : float
        Row weight of each atom's own energy (default 1; 0 leaves them
        out), used when every label carries per-atom energies. Matching the
        expensive model's share of energy per atom is what keeps energy
        mixing free of spurious forces where λ changes. The default only
        steers the share where energies and forces leave it open; raise it
        (e.g. 30) when the cheap model can follow the expensive one's
        per-atom energies (report row ``atom_energy``): from a SNAP, it
        makes a mixed vacancy energy exact; SevenNet's cannot be followed by
        a SNAP (about 45 meV RMSE) and a weight of 30 costs 27% in force
        error and 0.85 eV in the vacancy energy (benchmarks/README.md).
    holdout_fraction : float
        Share of MD and rattled configurations kept aside (default 0.2).
    elastic_constraint : {"exact", "soft", "off"} or None
        None (default): "exact" for one element, "soft" for several (see
        :meth:`elastic_mode`). "exact": zero stress at the expensive model's lattice
        constant and its unrelaxed C11, C12, C44 as exact constraints
        (needs the expensive model's :class:`ElasticReference`). The
        default by measurement (``benchmarks/distill_elements.py``, W from
        W_2940 and SevenNet-0, Mo, Ta, Fe, Si): it keeps a and the Cij to
        round-off in the fit and in every POPS member, at +0–12% held-out
        force RMSE over no constraint, where "soft" misses SevenNet-0's C44
        by +29%, Ta's by −7% and W_2940's C12 by +7%. "soft": the
        strain-set weighting below. "off": neither. Alloys default to
        "soft": "exact" does not pin the bulk energy per atom, which every
        solution energy is measured from (W–He from W_2940_He: He solution
        energies 0.29–0.35 eV low with "exact", within 0.06 eV with "soft"
        at a, Cij within 0.2%); constraining that energy exactly as well
        made the covering bounds explode (force half-width 2.4e6 meV/Å):
        near-crystal rows then lie almost in the constraints' span.
    strain_tolerance : float or None
        "soft" mode: target RMS energy error (eV/atom) on the strain set;
        None disables it. Default 2e-5 (0.02 meV/atom).
    strain_weight_factor : float
        Factor applied to the strain-set weight per round (default 4).
    max_strain_rounds : int
        Rounds of the constraint at most (default 10).
    random_state : int
        Seed of the held-out split.
    solute_energy_weight : float
        Row weight (1/eV²) of the total energy of each configuration that
        holds a solute (default 30; 0: per-atom weight like the others), so
        a few solute cells keep their total energies against many per-atom
        rows (:mod:`mixpot.distill.group_weights`).
    group_weights : mapping of str to float
        Multiplier of every row of the configurations whose group starts
        with the key (longest key wins); default none.
    """

    energy_weight: float = 30.0
    force_weight: float = 1.0
    stress_weight: float = 10.0
    atom_energy_weight: float = 1.0
    holdout_fraction: float = 0.2
    elastic_constraint: str | None = None
    strain_tolerance: float | None = 2e-5
    strain_weight_factor: float = 4.0
    max_strain_rounds: int = 10
    random_state: int = 0
    solute_energy_weight: float = 30.0
    group_weights: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_group_weights(self.group_weights)
        for name in (
            "energy_weight",
            "force_weight",
            "stress_weight",
            "atom_energy_weight",
            "solute_energy_weight",
        ):
            if not getattr(self, name) >= 0:
                raise ValueError(
                    f"The {name!r} parameter of FitSettings must be >= 0. "
                    f"Got {getattr(self, name)}."
                )
        if not 0 <= self.holdout_fraction < 1:
            raise ValueError(
                "The 'holdout_fraction' parameter of FitSettings must be in "
                f"[0, 1). Got {self.holdout_fraction}."
            )
        if self.elastic_constraint not in (None, *ELASTIC_MODES):
            raise ValueError(
                "The 'elastic_constraint' parameter of FitSettings must be one of "
                f"{', '.join(ELASTIC_MODES)}. Got {self.elastic_constraint!r}."
            )
        if self.strain_tolerance is not None and not self.strain_tolerance > 0:
            raise ValueError(
                "The 'strain_tolerance' parameter of FitSettings must be None "
                f"or > 0 (eV/atom). Got {self.strain_tolerance}."
            )
        if not self.strain_weight_factor > 1:
            raise ValueError(
                "The 'strain_weight_factor' parameter of FitSettings must be "
                f"> 1. Got {self.strain_weight_factor}."
            )

    def elastic_mode(self, n_elements: int) -> str:
        """Return the elastic constraint mode for ``n_elements`` elements.

        Examples
        --------
        >>> FitSettings().elastic_mode(1), FitSettings().elastic_mode(2)
        ('exact', 'soft')
        """
        if self.elastic_constraint is not None:
            return self.elastic_constraint
        return "exact" if n_elements == 1 else "soft"


@dataclass
class DistilledFit:
    """A fitted potential with the data it was fitted and judged on.

    Attributes
    ----------
    potential : LinearPotential
        The cheap model (with its POPS posterior).
    train, test : list of ase.Atoms
        Labelled configurations used for the fit and held out.
    train_rows, test_rows : SnapRows
        Their fitting blocks.
    strain_weight : float
        Final multiplier of the strain-set weights.
    strain_rmse_history : list of float
        RMS energy error (eV/atom) on the strain set after each round.
    train_weights : ndarray or None
        Base row weights of ``train_rows`` (0: left out of the fit).
    dropped : dict
        Rows left out, per kind (:func:`~mixpot.distill.dropped.dropped_summary`).
    elastic_reference : ElasticReference or None
        What the exact constraints imposed (None without them).
    constraints : tuple (A_eq, b_eq) or None
        The constraint rows of the fit.
    """

    potential: LinearPotential
    train: list[Atoms]
    test: list[Atoms]
    train_rows: SnapRows
    test_rows: SnapRows | None
    strain_weight: float = 1.0
    strain_rmse_history: list[float] = field(default_factory=list)
    train_weights: np.ndarray | None = None
    dropped: dict = field(default_factory=dict)
    elastic_reference: ElasticReference | None = None
    constraints: tuple[np.ndarray, np.ndarray] | None = None


def split_held_out(
    labelled: Sequence[Atoms], fraction: float, random_state: int = 0
) -> tuple[list[int], list[int]]:
    """Split configurations into training and held-out indices.

    Only MD and rattled configurations are held out; strain and defect cells
    always train. The split is seeded.

    Examples
    --------
    >>> from ase import Atoms
    >>> configs = [Atoms("W", info={"group": g}) for g in ["md_300K"] * 10]
    >>> train, test = split_held_out(configs, 0.2)
    >>> len(train), len(test)
    (8, 2)
    """
    rng = np.random.default_rng(random_state)
    eligible = [
        i
        for i, atoms in enumerate(labelled)
        if str(atoms.info.get("group", "")).startswith(HELD_OUT_GROUPS)
    ]
    n_test = int(round(fraction * len(eligible)))
    test = sorted(rng.choice(eligible, size=n_test, replace=False).tolist())
    held = set(test)
    return [i for i in range(len(labelled)) if i not in held], test


def row_weights(rows: SnapRows, labelled: Sequence[Atoms], settings: FitSettings):
    """Per-row weights that make energies and virials per atom.

    A weight w on a row scaled by 1/N equals w/N² on the raw row. Solute
    total energies and group multipliers follow
    (:mod:`~mixpot.distill.group_weights`). Rows whose descriptors vanish get
    weight 0 (:mod:`~mixpot.distill.dropped` reports them).
    """
    n_atoms = rows.n_atoms[rows.structure].astype(float)
    volumes = np.array([abs(a.cell.volume) for a in labelled])[rows.structure]
    weights = np.full(len(rows.kind), settings.force_weight)
    energy = rows.kind == "energy"
    stress = rows.kind == "stress"
    weights[energy] = settings.energy_weight / n_atoms[energy] ** 2
    weights[stress] = settings.stress_weight * (volumes[stress] / n_atoms[stress]) ** 2
    weights[rows.kind == "atom_energy"] = settings.atom_energy_weight
    weights = apply_group_weights(
        weights,
        rows.kind,
        rows.structure,
        labelled,
        settings.solute_energy_weight,
        settings.group_weights,
    )
    weights[vanishing_rows(rows.X, rows.kind)] = 0.0
    return weights


def fit_distilled(
    descriptor: SNAP,
    labelled: Sequence[Atoms],
    settings: FitSettings | None = None,
    baseline: ZBLBaseline | None = None,
    regressor: POPSRegressor | None = None,
    elastic_reference: ElasticReference | None = None,
) -> DistilledFit:
    """Fit the cheap potential to labelled configurations.

    Parameters
    ----------
    descriptor : SNAP
        Descriptor settings of the cheap model.
    labelled : sequence of ase.Atoms
        Configurations with energy, forces and stress results; their
        ``info["group"]`` ("md_…", "rattle", "strain_…", defects) drives the
        held-out split and the strain constraint.
    settings : FitSettings, optional
        Weights and constraint (defaults: :class:`FitSettings`).
    baseline : ZBLBaseline, optional
        Fixed baseline under the fitted model.
    regressor : POPSRegressor, optional
        Default ``POPSRegressor(fit_intercept=False)``.
    elastic_reference : ElasticReference, optional
        The expensive model's values, from
        :func:`~mixpot.distill.elastic_constraints.elastic_reference`;
        required by ``elastic_constraint="exact"``.

    Returns
    -------
    DistilledFit
    """
    settings = settings or FitSettings()
    labelled = list(labelled)
    if not labelled:
        raise ValueError(
            "The 'labelled' parameter of fit_distilled must hold at least one "
            "labelled configuration. Got none."
        )
    train_ids, test_ids = split_held_out(
        labelled, settings.holdout_fraction, settings.random_state
    )
    train = [labelled[i] for i in train_ids]
    test = [labelled[i] for i in test_ids]
    per_atom = uses_atom_energies(labelled, settings)
    train_rows = descriptor.rows(train, baseline=baseline, per_atom_energies=per_atom)
    targets = train_rows.targets_from(train)
    base_weights = row_weights(train_rows, train, settings)
    strained = np.array([_is_strain(a) for a in train])[train_rows.structure]
    fit = DistilledFit(None, train, test, train_rows, None, train_weights=base_weights)
    fit.dropped = dropped_summary(
        train_rows.kind, targets, base_weights == 0, report_scale(train_rows)
    )
    _log_dropped(fit.dropped)
    fit.elastic_reference, fit.constraints = _exact_constraints(
        descriptor, settings, elastic_reference, baseline
    )
    tolerance = settings.strain_tolerance
    if settings.elastic_mode(len(descriptor.elements)) != "soft":
        tolerance = None
    multiplier = 1.0
    for _ in range(settings.max_strain_rounds + 1):
        weights = np.where(strained, multiplier * base_weights, base_weights)
        fit.potential = LinearPotential.fit(
            descriptor,
            train_rows,
            targets,
            weights,
            regressor,
            baseline,
            groups=train_rows.structure,
            constraints=fit.constraints,
            strata=train_rows.kind,
        )
        fit.strain_weight = multiplier
        rmse = _strain_energy_rmse(fit.potential, train_rows, targets, strained)
        if rmse is None or tolerance is None:
            break
        fit.strain_rmse_history.append(rmse)
        logger.info("strain weight x%g: strain-set RMSE %.2e eV/atom", multiplier, rmse)
        if rmse <= tolerance:
            break
        multiplier *= settings.strain_weight_factor
    else:
        logger.warning(
            "strain constraint not met after %d rounds: RMSE %.2e > %.2e eV/atom",
            settings.max_strain_rounds,
            rmse,
            settings.strain_tolerance,
        )
    if test:
        fit.test_rows = descriptor.rows(
            test, baseline=baseline, per_atom_energies=per_atom
        )
    return fit


def _log_dropped(dropped: dict) -> None:
    for kind, row in dropped.items():
        if row["n_nonzero_label"]:
            logger.warning(
                "%d of %d %s rows left out of the fit (vanishing descriptors or "
                "weight 0) carry expensive values up to %.3g in report units",
                row["n_nonzero_label"],
                row["n_rows"],
                kind,
                row["max_abs_label"],
            )


def _exact_constraints(descriptor, settings, reference, baseline):
    """Return the constraint rows of the "exact" mode, or (None, None)."""
    if settings.elastic_mode(len(descriptor.elements)) != "exact":
        return None, None
    if reference is None:
        raise ValueError(
            "The 'elastic_reference' parameter of fit_distilled is required by "
            "FitSettings(elastic_constraint='exact'): pass "
            "elastic_reference(expensive_calc, element, lattice, a), or use "
            "elastic_constraint='soft' or 'off'."
        )
    constraints = elastic_constraints(descriptor, reference, baseline)
    logger.info("exact elastic constraints: %d rows", len(constraints[0]))
    return reference, constraints


def uses_atom_energies(labelled: Sequence[Atoms], settings: FitSettings) -> bool:
    """Fit per-atom energies if asked for and every label has them."""
    if settings.atom_energy_weight == 0:
        return False
    missing = sum("energies" not in a.calc.results for a in labelled)
    if missing:
        logger.warning(
            "%d of %d labels have no per-atom energies: fitting without them "
            "(energy mixing may then show spurious forces where λ changes)",
            missing,
            len(labelled),
        )
    return missing == 0


def _is_strain(atoms: Atoms) -> bool:
    return str(atoms.info.get("group", "")).startswith("strain")


def _strain_energy_rmse(potential, rows, targets, strained) -> float | None:
    mask = strained & (rows.kind == "energy")
    if not mask.any():
        return None
    n_atoms = rows.n_atoms[rows.structure[mask]]
    error = (rows.predict(potential.coef)[mask] - targets[mask]) / n_atoms
    return float(np.sqrt(np.mean(error**2)))
