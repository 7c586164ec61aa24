"""Configurations to label with the expensive model.

A :class:`~mixpot.distill.recipes.Recipe` says what to sample for one
crystal; :func:`sample` turns it into ordered groups of :class:`ase.Atoms`,
as ML-MIX (Birks, Swinburne & Kermode, 2025; see the README) distils its
cheap potential:

* soft data: Langevin MD frames with the expensive model at each temperature
  (``md_300K``), rattled copies of the perfect supercell (``rattle``) and
  defect cells, ideal, rattled and lightly MD-sampled (``vacancy``,
  ``vacancy_md_300K``, ``surface_110``, ...);
* solute cells, for alloys and impurities (``substitution_He``,
  ``interstitial_He_tetrahedral``, ``solute_vacancy_He``,
  ``cluster_He2_tetrahedral``, each with its MD frames) and one isolated atom
  of each solute (``isolated_He``), built by :mod:`mixpot.distill.solutes`;
* hard data: homogeneous strains (hydrostatic, uniaxial [100] and [111],
  three shears) on a small cell (``strain_hydrostatic``, ``strain_shear_xy``...),
  each with ``info["strain"]`` (the amplitude) and ``info["strain_voigt"]``
  (engineering Voigt strain: xx, yy, zz, 2yz, 2xz, 2xy).

Every configuration carries ``info["group"]`` and ``info["lattice_constant"]``
(Å). Units: Å, fs, K, eV. A missing lattice constant is relaxed with the
expensive model (:func:`relaxed_lattice_constant`). Given a ``random_state``
the result is deterministic; each stage draws from its own stream, so adding
a defect leaves the MD frames unchanged.

Examples
--------
>>> from mixpot.models import expensive_calculator
>>> calc = expensive_calculator("lammps:W_zhou")
>>> recipe = Recipe(["W"], "bcc", 3.165, repeat=2, temperatures=[300.0],
...                 n_frames=2, n_strains=3, n_rattled=2, defects=["vacancy"])
>>> groups = sample(recipe, calc, random_state=0)
>>> {tag: len(frames) for tag, frames in groups}["vacancy"]
2
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from math import sqrt

import numpy as np
from ase import Atoms, units
from ase.build import bulk, surface
from ase.calculators.calculator import Calculator
from ase.data import atomic_numbers, covalent_radii, reference_states
from ase.md.langevin import Langevin
from ase.optimize import BFGS
from scipy.optimize import minimize_scalar

from .recipes import (
    NEAREST_NEIGHBOUR_RATIO,
    SOLUTE_KINDS,
    Recipe,
    miller_indices,
    parse_defect,
    solute_parts,
)
from .solutes import interstitial_cell, isolated_atom, solute_vacancy_cell

logger = logging.getLogger(__name__)

_SURFACE_VACUUM = 8.0  # Å on each side: beyond the cutoff of the usual MLIPs
_DUMBBELL_SEPARATION = 0.75  # of the nearest-neighbour distance
_RELAXATION_FMAX, _RELAXATION_STEPS = 1e-2, 300  # eV/Å; a sampling, not a property


def sample(
    recipe: Recipe,
    expensive_calc: Calculator,
    random_state: int | np.random.Generator | None = None,
) -> list[tuple[str, list[Atoms]]]:
    """Sample the configurations of a recipe, grouped and tagged.

    Parameters
    ----------
    recipe : Recipe
    expensive_calc : ase.calculators.calculator.Calculator
        Drives the MD and relaxes a missing lattice constant.
    random_state : int, numpy.random.Generator or None
        Seeds velocities, thermostat noise, rattles and defect sites.

    Returns
    -------
    list of (str, list of ase.Atoms)
        Groups in order: MD, strains, rattled, defects. Empty groups are left
        out. Every configuration has ``info["group"]`` equal to its tag.

    Examples
    --------
    >>> from mixpot.models import expensive_calculator
    >>> recipe = Recipe(["W"], "bcc", 3.165, temperatures=[], n_strains=3,
    ...                 n_rattled=0)
    >>> groups = sample(recipe, expensive_calculator("lammps:W_zhou"), 0)
    >>> [len(frames) for _, frames in groups]
    [3, 3, 3, 3, 3, 3]
    """
    rng = np.random.default_rng(random_state)
    md_rng, rattle_rng, defect_rng = rng.spawn(3)
    host = recipe.elements[0]
    lattice_constant = recipe.lattice_constant or relaxed_lattice_constant(
        host, recipe.lattice, expensive_calc
    )
    unit_cell = bulk(host, recipe.lattice, a=lattice_constant, cubic=True)
    supercell = unit_cell * recipe.repeat
    groups = _md_groups("", supercell, recipe, recipe.n_frames, expensive_calc, md_rng)
    groups += _strain_groups(unit_cell * recipe.strain_repeat, recipe)
    rattled = _rattled(supercell, recipe.n_rattled, recipe.rattle_amplitude, rattle_rng)
    groups.append(("rattle", rattled))
    for defect, child in zip(
        recipe.defects, defect_rng.spawn(len(recipe.defects)), strict=True
    ):
        groups += _defect_groups(defect, unit_cell, recipe, expensive_calc, child)
    groups += _isolated_groups(recipe)
    groups = [(tag, frames) for tag, frames in groups if frames]
    for tag, frames in groups:
        for atoms in frames:
            atoms.info.update(group=tag, lattice_constant=lattice_constant)
    logger.info(
        "Sampled %d configurations in %d groups",
        sum(len(frames) for _, frames in groups),
        len(groups),
    )
    return groups


def all_configurations(groups: Sequence[tuple[str, list[Atoms]]]) -> list[Atoms]:
    """Flatten the groups of :func:`sample` into one list, in order.

    Examples
    --------
    >>> all_configurations([("a", [Atoms("W")]), ("b", [Atoms("Si")])])[1]
    Atoms(symbols='Si', pbc=False)
    """
    return [atoms for _, frames in groups for atoms in frames]


def relaxed_lattice_constant(
    element: str,
    lattice: str,
    calc: Calculator,
    guess: float | None = None,
    rel_tol: float = 1e-6,
) -> float:
    """Cubic lattice constant that minimises the energy per atom (Å).

    A 13-point scan over ±15% of the guess brackets the local minimum nearest
    the guess; a bounded Brent search refines it.

    Parameters
    ----------
    element : str
    lattice : {"bcc", "fcc", "diamond", "sc"}
    calc : ase.calculators.calculator.Calculator
    guess : float, optional
        Default: ASE's reference lattice constant when its structure matches,
        else an estimate from the covalent radius.
    rel_tol : float
        Tolerance on the lattice constant, relative to the guess.

    Raises
    ------
    RuntimeError
        When the scan finds no minimum inside ±15% of the guess.

    Examples
    --------
    >>> from mixpot.models import expensive_calculator
    >>> calc = expensive_calculator("lammps:W_zhou")
    >>> round(relaxed_lattice_constant("W", "bcc", calc), 3)
    3.165
    """
    guess = guess or _guessed_lattice_constant(element, lattice)

    def energy_per_atom(lattice_constant: float) -> float:
        atoms = bulk(element, lattice, a=lattice_constant, cubic=True)
        atoms.calc = calc
        return atoms.get_potential_energy() / len(atoms)

    grid = guess * np.linspace(0.85, 1.15, 13)
    energies = np.array([energy_per_atom(a) for a in grid])
    # The local minimum nearest the guess: far strains may extrapolate wildly.
    interior = np.flatnonzero(
        (energies[1:-1] < energies[:-2]) & (energies[1:-1] <= energies[2:])
    )
    best = int(interior[np.argmin(np.abs(interior - 5))] + 1) if len(interior) else 0
    if best in (0, len(grid) - 1):
        raise RuntimeError(
            f"No minimum of the energy per atom of {lattice} {element} within "
            f"±15% of {guess:.4f} Å: give Recipe(lattice_constant=...)."
        )
    result = minimize_scalar(
        energy_per_atom,
        method="bounded",
        bounds=(grid[best - 1], grid[best + 1]),
        options={"xatol": rel_tol * guess},
    )
    logger.info("Relaxed %s %s lattice constant: %.5f Å", lattice, element, result.x)
    return float(result.x)


def strain_tensors(
    amplitude: float = 0.005, n_strains: int = 9
) -> list[tuple[str, float, np.ndarray]]:
    """Homogeneous strain tensors: hydrostatic, uniaxial [100], [111], shears.

    Shear tensors have ε_ij = ε_ji = s/2, so the engineering shear is s.

    Returns
    -------
    list of (kind, s, ε of shape (3, 3))
        ``n_strains`` values of s from -amplitude to +amplitude per kind.

    Examples
    --------
    >>> kind, s, strain = strain_tensors(0.01, 2)[-1]
    >>> kind, s, float(strain[0, 1])
    ('shear_xy', 0.01, 0.005)
    """
    direction_111 = np.ones(3) / sqrt(3)
    shapes = {
        "hydrostatic": np.eye(3),
        "uniaxial_100": np.diag([1.0, 0, 0]),
        "uniaxial_111": np.outer(direction_111, direction_111),
    }
    for name, (i, j) in {"yz": (1, 2), "xz": (0, 2), "xy": (0, 1)}.items():
        shear = np.zeros((3, 3))
        shear[i, j] = shear[j, i] = 0.5
        shapes[f"shear_{name}"] = shear
    values = np.linspace(-amplitude, amplitude, n_strains)
    return [
        (kind, float(s), s * shape) for kind, shape in shapes.items() for s in values
    ]


def _guessed_lattice_constant(element: str, lattice: str) -> float:
    """ASE's reference lattice constant, else one from the covalent radius."""
    number = atomic_numbers[element]
    state = reference_states[number] or {}
    if state.get("symmetry") == lattice and "a" in state:
        return float(state["a"])
    return 2 * covalent_radii[number] / NEAREST_NEIGHBOUR_RATIO[lattice]


def _md_groups(
    prefix: str,
    start: Atoms,
    recipe: Recipe,
    n_frames: int,
    calc: Calculator,
    rng: np.random.Generator,
) -> list[tuple[str, list[Atoms]]]:
    """One group of Langevin frames per temperature."""
    children = rng.spawn(len(recipe.temperatures))
    return [
        (
            f"{prefix}md_{temperature:g}K",
            _md_frames(start, temperature, recipe, n_frames, calc, child),
        )
        for temperature, child in zip(recipe.temperatures, children, strict=True)
    ]


def _md_frames(
    start: Atoms,
    temperature: float,
    recipe: Recipe,
    n_frames: int,
    calc: Calculator,
    rng: np.random.Generator,
) -> list[Atoms]:
    """Langevin MD frames, every ``frame_interval`` fs, with the given model."""
    if n_frames == 0:
        return []
    atoms = start.copy()
    atoms.calc = calc
    # Twice the target: equipartition moves half into potential energy.
    atoms.set_momenta(_thermal_momenta(atoms, 2 * temperature, rng))
    dynamics = Langevin(
        atoms,
        recipe.timestep * units.fs,
        temperature_K=temperature,
        friction=recipe.friction / units.fs,
        rng=rng,
        fixcm=False,
    )
    steps = max(1, round(recipe.frame_interval / recipe.timestep))
    frames = []
    for index in range(n_frames):
        dynamics.run(steps)
        frame = atoms.copy()
        frame.arrays.pop("momenta", None)
        frame.info.update(
            temperature=float(temperature),
            md_time=float((index + 1) * steps * recipe.timestep),
        )
        frames.append(frame)
        logger.info(
            "MD %g K: frame %d/%d (%d steps each)",
            temperature,
            index + 1,
            n_frames,
            steps,
        )
    return frames


def _thermal_momenta(
    atoms: Atoms, temperature: float, rng: np.random.Generator
) -> np.ndarray:
    """Draw Maxwell-Boltzmann momenta with zero total momentum."""
    masses = atoms.get_masses()[:, np.newaxis]
    momenta = rng.normal(size=(len(atoms), 3)) * np.sqrt(
        masses * units.kB * temperature
    )
    return momenta - masses * momenta.sum(axis=0) / masses.sum()


def _strain_groups(cell: Atoms, recipe: Recipe) -> list[tuple[str, list[Atoms]]]:
    """Homogeneously strained copies of ``cell``, one group per strain kind."""
    groups: dict[str, list[Atoms]] = {}
    for kind, value, strain in strain_tensors(
        recipe.strain_amplitude, recipe.n_strains
    ):
        atoms = cell.copy()
        atoms.set_cell(cell.cell.array @ (np.eye(3) + strain), scale_atoms=True)
        voigt = [
            strain[0, 0],
            strain[1, 1],
            strain[2, 2],
            2 * strain[1, 2],
            2 * strain[0, 2],
            2 * strain[0, 1],
        ]
        atoms.info.update(strain=value, strain_voigt=np.array(voigt) + 0.0)
        groups.setdefault(f"strain_{kind}", []).append(atoms)
    return list(groups.items())


def _rattled(
    start: Atoms, count: int, amplitude: float, rng: np.random.Generator
) -> list[Atoms]:
    """Copy ``start`` with Gaussian displacements of ``amplitude`` Å."""
    copies = []
    for _ in range(count):
        atoms = start.copy()
        atoms.positions += rng.normal(0.0, amplitude, atoms.positions.shape)
        atoms.info.update(rattle_amplitude=amplitude)
        copies.append(atoms)
    return copies


def _defect_groups(
    defect: str,
    unit_cell: Atoms,
    recipe: Recipe,
    calc: Calculator,
    rng: np.random.Generator,
) -> list[tuple[str, list[Atoms]]]:
    """Ideal and rattled defect cells, then a few MD frames per temperature.

    Solute defects add frames of their relaxation with the expensive model.
    """
    tag, cell = _defect_cell(defect, unit_cell, recipe, rng)
    cell.info.update(defect=defect)
    rattle_rng, md_rng = rng.spawn(2)
    static = [cell] + _rattled(
        cell, recipe.n_defect_rattled, recipe.rattle_amplitude, rattle_rng
    )
    groups = [(tag, static)]
    if defect.partition(":")[0] in SOLUTE_KINDS:
        frames = _relaxation_frames(cell, calc, recipe.n_relaxed_frames)
        groups.append((f"{tag}_relaxation", frames))
    return groups + _md_groups(
        f"{tag}_", cell, recipe, recipe.n_defect_frames, calc, md_rng
    )


def _relaxation_frames(cell: Atoms, calc: Calculator, count: int) -> list[Atoms]:
    """``count`` frames evenly spaced along a BFGS relaxation, the last relaxed.

    Solution energies are energies of relaxed cells: the fit must see them.
    """
    if count == 0:
        return []
    atoms = cell.copy()
    atoms.calc = calc
    path: list[np.ndarray] = []
    optimiser = BFGS(atoms, logfile=None)
    optimiser.attach(lambda: path.append(atoms.positions.copy()))
    optimiser.run(fmax=_RELAXATION_FMAX, steps=_RELAXATION_STEPS)
    picks = np.unique(np.round(np.linspace(0, len(path) - 1, count + 1)[1:]))
    picks = picks[picks > 0]  # step 0 is the ideal cell, sampled already
    frames = []
    for index in picks.astype(int):
        frame = cell.copy()
        frame.positions = path[index]
        frame.info.update(relaxation_step=int(index))
        frames.append(frame)
    return frames


def _defect_cell(
    defect: str, unit_cell: Atoms, recipe: Recipe, rng: np.random.Generator
) -> tuple[str, Atoms]:
    """Build the ideal cell of one defect and its group tag."""
    kind, argument = parse_defect(defect, recipe.elements)
    if kind == "surface":
        miller = miller_indices(argument)
        slab = surface(
            unit_cell,
            miller,
            recipe.surface_layers,
            vacuum=_SURFACE_VACUUM,
            periodic=True,
        )
        slab = slab * (recipe.repeat, recipe.repeat, 1)
        slab.pbc = True
        return f"surface_{argument.replace(',', '')}", slab
    if kind in SOLUTE_KINDS and kind != "substitution":
        return _solute_cell(kind, argument, unit_cell, recipe)
    atoms = unit_cell * recipe.repeat
    site = int(rng.integers(len(atoms)))
    if kind == "vacancy":
        del atoms[site]
        return "vacancy", atoms
    if kind == "substitution":
        atoms[site].symbol = argument
        return f"substitution_{argument}", atoms
    return "self_interstitial", _with_dumbbell(atoms, site, recipe)


def _solute_cell(
    kind: str, argument: str, unit_cell: Atoms, recipe: Recipe
) -> tuple[str, Atoms]:
    """Interstitial, cluster or solute–vacancy cell (:mod:`.solutes`)."""
    solute, site, count = solute_parts(kind, argument, recipe.elements)
    a = float(unit_cell.cell.lengths()[0])
    host, lattice, repeat = recipe.elements[0], recipe.lattice, recipe.repeat
    if kind == "solute-vacancy":
        return f"solute_vacancy_{solute}", solute_vacancy_cell(
            host, lattice, a, repeat, solute
        )
    atoms = interstitial_cell(host, lattice, a, repeat, solute, site, count)
    if kind == "cluster":
        return f"cluster_{solute}{count}_{site}", atoms
    return f"interstitial_{solute}_{site}", atoms


def _isolated_groups(recipe: Recipe) -> list[tuple[str, list[Atoms]]]:
    """One isolated atom per solute element, if the recipe asks for them."""
    if not recipe.isolated_atoms:
        return []
    return [
        (f"isolated_{symbol}", [isolated_atom(symbol)])
        for symbol in recipe.elements[1:]
    ]


def _with_dumbbell(atoms: Atoms, site: int, recipe: Recipe) -> Atoms:
    """Replace the atom at ``site`` by a <110> dumbbell of two atoms."""
    nearest = (
        atoms.cell.lengths()[0]
        / recipe.repeat
        * NEAREST_NEIGHBOUR_RATIO[recipe.lattice]
    )
    offset = 0.5 * _DUMBBELL_SEPARATION * nearest * np.array([1.0, 1.0, 0.0]) / sqrt(2)
    centre = atoms.positions[site].copy()
    atoms.positions[site] = centre - offset
    atoms.append(atoms[site].symbol)
    atoms.positions[-1] = centre + offset
    return atoms
