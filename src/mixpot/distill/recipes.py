"""Sampling recipes: what to sample for one crystal, and the built-in ones.

:class:`Recipe` holds the settings (validated at construction);
:func:`~mixpot.distill.sampling.sample` turns one into configurations.
:data:`DEFAULT_RECIPE` is what ``mixpot distill --element X`` samples
without a recipe file, and :func:`quick_tungsten_recipe` the small recipe of
the demo and of the mixing tests and benchmarks.

Examples
--------
>>> Recipe(["W"], "bcc", **DEFAULT_RECIPE).repeat
3
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from math import sqrt

import numpy as np

#: Nearest-neighbour distance over the cubic lattice constant.
NEAREST_NEIGHBOUR_RATIO = {
    "sc": 1.0,
    "bcc": sqrt(3) / 2,
    "fcc": sqrt(0.5),
    "diamond": sqrt(3) / 4,
}
DEFECT_KINDS = (
    "vacancy",
    "self-interstitial",
    "substitution:<element>",
    "interstitial:<element>:<tetrahedral|octahedral>",
    "solute-vacancy:<element>",
    "cluster:<element>:<n>[:<tetrahedral|octahedral>]",
    "surface:<miller, e.g. 110>",
)
#: Defect kinds that place a solute (an element of ``elements[1:]``).
SOLUTE_KINDS = ("substitution", "interstitial", "solute-vacancy", "cluster")
#: Largest solute cluster a recipe may ask for.
MAX_CLUSTER = 8

#: Recipe settings of ``mixpot distill --element X`` without a recipe file.
DEFAULT_RECIPE = {
    "repeat": 3,
    "temperatures": [300.0, 1200.0],
    "n_frames": 10,
    "timestep": 2.0,
    "frame_interval": 40.0,
    "defects": ["vacancy"],
}


@dataclass(frozen=True)
class Recipe:
    """What to sample for one cubic crystal.

    Parameters
    ----------
    elements : sequence of str
        Chemical symbols; the first is the host crystal, the others are
        solutes that enter through solute defects (see ``defects``).
    lattice : {"bcc", "fcc", "diamond", "sc"}
    lattice_constant : float or None
        Cubic lattice constant (Å); None relaxes it with the expensive model.
    repeat : int
        Supercell of the cubic cell for MD, rattled copies and defects.
    temperatures : sequence of float
        Langevin MD temperatures (K).
    n_frames : int
        MD frames kept per temperature.
    frame_interval, timestep : float
        Time between kept frames and MD timestep (fs).
    friction : float
        Langevin friction (1/fs).
    strain_amplitude : float
        Largest homogeneous strain (dimensionless, ~0.005).
    n_strains : int
        Strain values per kind, evenly spread over ±amplitude (0: none).
    strain_repeat : int
        Supercell of the cubic cell for strains.
    n_rattled : int
        Rattled copies of the perfect supercell.
    rattle_amplitude : float
        Standard deviation of the Gaussian displacements (Å).
    defects : sequence of str
        Any of "vacancy", "self-interstitial", "surface:<miller>" (e.g.
        "surface:110") and the solute defects (the element one of
        ``elements[1:]``): "substitution:<element>",
        "interstitial:<element>:tetrahedral" or ":octahedral" (bcc, fcc),
        "solute-vacancy:<element>" (substitutional solute beside a vacancy),
        "cluster:<element>:<n>" (n solutes on nearby tetrahedral sites, or
        ":octahedral" appended). :func:`solute_defects` lists them all.
    n_defect_rattled : int
        Rattled copies of each ideal defect cell.
    n_defect_frames : int
        MD frames of each defect cell per temperature.
    surface_layers : int
        Layers of ASE's surface cell in a slab.
    n_relaxed_frames : int
        Frames along the expensive model's relaxation of each solute defect
        cell, evenly spaced, the relaxed cell last (group ``<tag>_relaxation``).
    isolated_atoms : bool
        Add one isolated atom of each solute element (group
        ``isolated_<element>``): it fixes the solute's reference energy, which
        solution energies are taken against.

    Raises
    ------
    ValueError
        Naming the parameter, what was expected and what came.

    Examples
    --------
    >>> Recipe(["Si"], "diamond", 5.43, temperatures=[500.0]).n_strains
    9
    """

    elements: Sequence[str]
    lattice: str = "bcc"
    lattice_constant: float | None = None
    repeat: int = 2
    temperatures: Sequence[float] = (300.0,)
    n_frames: int = 5
    frame_interval: float = 50.0
    timestep: float = 1.0
    friction: float = 0.02
    strain_amplitude: float = 0.005
    n_strains: int = 9
    strain_repeat: int = 1
    n_rattled: int = 5
    rattle_amplitude: float = 0.05
    defects: Sequence[str] = ()
    n_defect_rattled: int = 1
    n_defect_frames: int = 2
    surface_layers: int = 4
    n_relaxed_frames: int = 2
    isolated_atoms: bool = True

    def __post_init__(self) -> None:
        from .checks import check_elements  # checks builds on this module

        check_elements(self.elements)
        _check(
            self.lattice in NEAREST_NEIGHBOUR_RATIO,
            "lattice",
            f"one of {sorted(NEAREST_NEIGHBOUR_RATIO)}",
            self.lattice,
        )
        _check(
            self.lattice_constant is None or self.lattice_constant > 0,
            "lattice_constant",
            "None or a float > 0 (Å)",
            self.lattice_constant,
        )
        for name in ("repeat", "strain_repeat", "surface_layers"):
            _check_int(self, name, minimum=1)
        for name in (
            "n_frames",
            "n_rattled",
            "n_defect_rattled",
            "n_defect_frames",
            "n_relaxed_frames",
            "n_strains",
        ):
            _check_int(self, name, minimum=0)
        _check(self.n_strains != 1, "n_strains", "0 or an int >= 2", 1)
        _check(
            all(t > 0 for t in self.temperatures),
            "temperatures",
            "temperatures > 0 (K)",
            self.temperatures,
        )
        _check(
            0 < self.timestep <= self.frame_interval,
            "timestep",
            f"a float in (0, frame_interval={self.frame_interval}] (fs)",
            self.timestep,
        )
        _check(self.friction > 0, "friction", "a float > 0 (1/fs)", self.friction)
        _check(
            0 < self.strain_amplitude < 0.1,
            "strain_amplitude",
            "a float in (0, 0.1)",
            self.strain_amplitude,
        )
        _check(
            self.rattle_amplitude >= 0,
            "rattle_amplitude",
            "a float >= 0 (Å)",
            self.rattle_amplitude,
        )
        for defect in self.defects:
            parse_defect(defect, self.elements, self.lattice)


def quick_tungsten_recipe() -> Recipe:
    """Return a small, fast sampling recipe for bcc W (seconds with SNAP).

    2×2×2 cells: Langevin MD at 300 and 1200 K (6 frames each, 2 fs steps,
    40 fs apart), the strain set, 4 rattled cells and a vacancy cell. Used
    by the demo and by the mixing tests and benchmarks.

    Examples
    --------
    >>> quick_tungsten_recipe().defects
    ['vacancy']
    """
    return Recipe(
        ["W"],
        "bcc",
        None,
        repeat=2,
        temperatures=[300.0, 1200.0],
        n_frames=6,
        timestep=2.0,
        frame_interval=40.0,
        n_rattled=4,
        defects=["vacancy"],
    )


def _check(condition: bool, name: str, expected: str, got: object) -> None:
    """Raise the one ValueError of a bad Recipe parameter."""
    if not condition:
        raise ValueError(
            f"The {name!r} parameter of Recipe must be {expected}. Got {got!r}."
        )


def _check_int(recipe: Recipe, name: str, minimum: int) -> None:
    """Check that a Recipe field is an int of at least ``minimum``."""
    value = getattr(recipe, name)
    _check(
        isinstance(value, int | np.integer) and value >= minimum,
        name,
        f"an int >= {minimum}",
        value,
    )


def parse_defect(
    defect: str, elements: Sequence[str], lattice: str | None = None
) -> tuple[str, str]:
    """Split a defect spec into (kind, argument), checking both.

    The argument is what follows the first colon ("He:tetrahedral" for
    "interstitial:He:tetrahedral"); :func:`solute_parts` splits it further.
    """
    kind, _, argument = defect.partition(":")
    if kind in SOLUTE_KINDS:
        solute_parts(kind, argument, elements, lattice, defect)
        return kind, argument
    valid = (kind in ("vacancy", "self-interstitial") and not argument) or (
        kind == "surface" and miller_indices(argument) is not None
    )
    _check(valid, "defects", f"a list of {DEFECT_KINDS}", defect)
    return kind, argument


def solute_parts(
    kind: str,
    argument: str,
    elements: Sequence[str],
    lattice: str | None = None,
    defect: str | None = None,
) -> tuple[str, str | None, int]:
    """(solute, interstitial site or None, count) of a solute defect.

    Examples
    --------
    >>> solute_parts("cluster", "He:2", ["W", "He"], "bcc")
    ('He', 'tetrahedral', 2)
    """
    from .solutes import INTERSTITIAL_SITES, SITE_KINDS

    parts = argument.split(":")
    solute, rest = parts[0], parts[1:]
    count, site = 1, None
    if kind == "interstitial":
        site = rest[0] if len(rest) == 1 else None
        valid = site in SITE_KINDS
    elif kind == "cluster":
        text = rest[0] if rest else ""
        count = int(text) if text.isdigit() else 0
        site = rest[1] if len(rest) == 2 else "tetrahedral"
        valid = 1 <= count <= MAX_CLUSTER and len(rest) in (1, 2) and site in SITE_KINDS
    else:
        valid = not rest
    _check(
        valid and solute in elements[1:],
        "defects",
        f"a list of {DEFECT_KINDS} (a solute must be one of elements[1:] = "
        f"{list(elements[1:])}; a cluster holds 1 to {MAX_CLUSTER} solutes)",
        defect or f"{kind}:{argument}",
    )
    if site is not None and lattice is not None:
        _check(
            lattice in INTERSTITIAL_SITES,
            "defects",
            f"free of interstitial solutes for a {lattice} lattice (sites are "
            f"known for {sorted(INTERSTITIAL_SITES)})",
            defect or f"{kind}:{argument}",
        )
    return solute, site, count


def solute_defects(solute: str, lattice: str) -> list[str]:
    """Every solute defect of ``solute`` the lattice supports.

    Examples
    --------
    >>> solute_defects("He", "bcc")[1:3]
    ['interstitial:He:tetrahedral', 'interstitial:He:octahedral']
    """
    from .solutes import INTERSTITIAL_SITES

    defects = [f"substitution:{solute}"]
    if lattice in INTERSTITIAL_SITES:
        defects += [
            f"interstitial:{solute}:{site}" for site in ("tetrahedral", "octahedral")
        ]
    defects.append(f"solute-vacancy:{solute}")
    if lattice in INTERSTITIAL_SITES:
        defects.append(f"cluster:{solute}:2")
    return defects


def miller_indices(text: str) -> tuple[int, int, int] | None:
    """Miller indices from "110", "1-10" or "1,1,0"; None if not three."""
    match = re.fullmatch(r"(-?\d)(-?\d)(-?\d)", text) or re.fullmatch(
        r"(-?\d+),(-?\d+),(-?\d+)", text
    )
    if match is None:
        return None
    h, k, l_index = (int(index) for index in match.groups())
    return (h, k, l_index) if any((h, k, l_index)) else None
