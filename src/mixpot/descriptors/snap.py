"""SNAP (spectral neighbour analysis) settings and descriptors.

:class:`SNAP` holds the hyper-parameters of a linear (or quadratic) SNAP
potential, in the vocabulary of LAMMPS ``compute snap`` and
``pair_style snap``, and computes through LAMMPS:

* :meth:`SNAP.rows` — the linear fitting block (energy, force and stress rows)
  of a list of configurations, as a :class:`~mixpot.descriptors.SnapRows`;
* :meth:`SNAP.per_atom` — per-atom bispectrum descriptors.

Column convention, shared by both: for each element (in the order given to
:class:`SNAP`) one constant column then the K bispectrum components, which is
the coefficient layout of a LAMMPS ``.snapcoeff`` file. With ``bzeroflag``
the descriptors are shifted by those of an isolated atom, exactly as
``pair_style snap`` does, so ``rows.X @ coef + rows.baseline`` reproduces
LAMMPS's own energies, forces and stresses.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols
from tqdm.auto import tqdm

from ._rows import SnapRows, block_to_rows, stack_rows
from ._session import SnapSession
from ._validation import as_atoms_list, check_structure
from .baseline import ZBLBaseline

logger = logging.getLogger(__name__)

FLAGS = (
    "switchflag",
    "bzeroflag",
    "quadraticflag",
    "chemflag",
    "bnormflag",
    "wselfallflag",
)


def count_bispectrum(twojmax: int) -> int:
    """Count the distinct bispectrum components B_{j1 j2 j} up to ``twojmax``.

    Examples
    --------
    >>> count_bispectrum(6), count_bispectrum(8)
    (30, 55)
    """
    return sum(
        1
        for j1 in range(twojmax + 1)
        for j2 in range(j1 + 1)
        for j in range(j1 - j2, min(twojmax, j1 + j2) + 1, 2)
        if j >= j1
    )


#: Default band limit 2J of mixpot's SNAP descriptors.
DEFAULT_TWOJMAX = 8
#: Default cutoff scale (Å): that of the W_2940_2017_2 SNAP shipped with LAMMPS.
DEFAULT_RCUTFAC = 4.73442


@dataclass(frozen=True)
class SNAP:
    """Settings of a SNAP descriptor / potential.

    Parameters
    ----------
    elements : sequence of str
        Chemical symbols; element ``k`` is LAMMPS atom type ``k + 1``.
    radii : sequence of float
        Per-element radius R (dimensionless); the pair cutoff of elements i
        and j is ``rcutfac * (R_i + R_j)`` Å.
    weights : sequence of float, optional
        Per-element neighbour weight w (default 1 for every element).
    twojmax : int, default DEFAULT_TWOJMAX (8)
        Band limit 2J of the bispectrum, even and >= 0.
    rcutfac : float, default DEFAULT_RCUTFAC (4.73442)
        Scale (Å) of the cutoffs.
    rfac0 : float, default 0.99363
        Angular mapping parameter, in (0, 1].
    rmin0 : float, default 0.0
        Inner distance (Å) of the radial mapping.
    switchflag : bool, default True
        Smoothly switch neighbour contributions off at the cutoff.
    bzeroflag : bool, default True
        Subtract the bispectrum of an isolated atom.
    quadraticflag : bool, default False
        Append the products B_i B_j (quadratic SNAP).
    chemflag : bool, default False
        Explicit multi-element (chemical) SNAP: K grows as n_elements**3.
    bnormflag : bool, default False
        LAMMPS ``bnormflag``, used with ``chemflag``.
    wselfallflag : bool, default False
        LAMMPS ``wselfallflag``, used with ``chemflag``.

    Examples
    --------
    >>> snap = SNAP(["W"], [0.5], twojmax=8, rcutfac=4.73442, bzeroflag=False)
    >>> snap.n_descriptors, snap.n_coefficients, round(snap.cutoff, 5)
    (55, 56, 4.73442)
    """

    elements: Sequence[str]
    radii: Sequence[float]
    weights: Sequence[float] | None = None
    twojmax: int = DEFAULT_TWOJMAX
    rcutfac: float = DEFAULT_RCUTFAC
    rfac0: float = 0.99363
    rmin0: float = 0.0
    switchflag: bool = True
    bzeroflag: bool = True
    quadraticflag: bool = False
    chemflag: bool = False
    bnormflag: bool = False
    wselfallflag: bool = False

    def __post_init__(self) -> None:
        elements = tuple(self.elements)
        weights = [1.0] * len(elements) if self.weights is None else self.weights
        _check_elements(elements)
        object.__setattr__(self, "elements", elements)
        object.__setattr__(self, "radii", _per_element("radii", self.radii, elements))
        object.__setattr__(self, "weights", _per_element("weights", weights, elements))
        self._check_scalars()

    def _check_scalars(self) -> None:
        if not isinstance(self.twojmax, Integral) or isinstance(self.twojmax, bool):
            raise ValueError(
                f"The 'twojmax' parameter of SNAP must be an int. Got {self.twojmax!r}."
            )
        if self.twojmax < 0 or self.twojmax % 2:
            raise ValueError(
                "The 'twojmax' parameter of SNAP must be an even int >= 0. "
                f"Got {self.twojmax}."
            )
        _check_real("rcutfac", self.rcutfac, lower=0.0, strict=True)
        _check_real("rfac0", self.rfac0, lower=0.0, strict=True, upper=1.0)
        _check_real("rmin0", self.rmin0, lower=0.0, strict=False)
        if self.rmin0 >= self.cutoff:
            raise ValueError(
                "The 'rmin0' parameter of SNAP must be below the cutoff "
                f"({self.cutoff} Å). Got {self.rmin0}."
            )
        for name in FLAGS:
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ValueError(
                    f"The {name!r} parameter of SNAP must be a bool. "
                    f"Got {getattr(self, name)!r}."
                )

    @property
    def n_elements(self) -> int:
        """Number of elements (LAMMPS atom types)."""
        return len(self.elements)

    @property
    def n_descriptors(self) -> int:
        """Number K of bispectrum components per element (no constant)."""
        linear = count_bispectrum(self.twojmax)
        if self.chemflag:
            linear *= self.n_elements**3
        if self.quadraticflag:
            return linear + linear * (linear + 1) // 2
        return linear

    @property
    def n_coefficients(self) -> int:
        """Coefficients per element: the constant term plus K."""
        return self.n_descriptors + 1

    @property
    def n_columns(self) -> int:
        """Columns of the fitting block: ``n_elements * n_coefficients``."""
        return self.n_elements * self.n_coefficients

    @property
    def cutoff(self) -> float:
        """Largest pair cutoff (Å): ``rcutfac * 2 * max(radii)``."""
        return float(self.rcutfac * 2 * max(self.radii))

    def lammps_compute_args(self) -> str:
        """Arguments of ``compute snap`` / ``compute sna/atom`` after the style.

        Examples
        --------
        >>> SNAP(["W"], [0.5], twojmax=6, rcutfac=4.7).lammps_compute_args()[:28]
        '4.7 0.99363 6 0.5 1.0 rmin0 '
        """
        values = [_fmt(self.rcutfac), _fmt(self.rfac0), str(self.twojmax)]
        values += [_fmt(radius) for radius in self.radii]
        values += [_fmt(weight) for weight in self.weights]
        values += ["rmin0", _fmt(self.rmin0)]
        for name in ("switchflag", "bzeroflag", "quadraticflag"):
            values += [name, str(int(getattr(self, name)))]
        if self.chemflag:
            type_map = " ".join(str(index) for index in range(self.n_elements))
            values += ["chem", str(self.n_elements), type_map]
        values += ["bnormflag", str(int(self.bnormflag))]
        values += ["wselfallflag", str(int(self.wselfallflag))]
        return " ".join(values)

    def lammps_pair_coeff_args(self, snapcoeff_path: str, snapparam_path: str) -> str:
        """Arguments of ``pair_coeff * * [snap]`` for these settings' files.

        Examples
        --------
        >>> SNAP(["W", "Be"], [0.5, 0.42]).lammps_pair_coeff_args("a.c", "a.p")
        'a.c a.p W Be'
        """
        return " ".join([str(snapcoeff_path), str(snapparam_path), *self.elements])

    def to_snapparam_text(self) -> str:
        """Return the text of the matching LAMMPS ``.snapparam`` file.

        Examples
        --------
        >>> print(SNAP(["W"], [0.5]).to_snapparam_text().splitlines()[1])
        rcutfac 4.73442
        """
        lines = [
            "# SNAP parameters written by mixpot",
            f"rcutfac {_fmt(self.rcutfac)}",
            f"twojmax {self.twojmax}",
            f"rfac0 {_fmt(self.rfac0)}",
            f"rmin0 {_fmt(self.rmin0)}",
        ]
        lines += [f"{name} {int(getattr(self, name))}" for name in FLAGS]
        return "\n".join(lines) + "\n"

    def rows(
        self,
        atoms_list: Atoms | Sequence[Atoms],
        baseline: ZBLBaseline | None = None,
        progress: bool = False,
        per_atom_energies: bool = False,
    ) -> SnapRows:
        """Compute the linear fitting rows of a list of configurations.

        Parameters
        ----------
        atoms_list : sequence of ase.Atoms
            Periodic, non-periodic or mixed configurations, any cell shape.
        baseline : ZBLBaseline, optional
            Fixed pair term whose contributions fill ``SnapRows.baseline``.
            Without one, atoms closer than 0.5 Å are an error.
        progress : bool, default False
            Show a tqdm progress bar over configurations.
        per_atom_energies : bool, default False
            Also one ``"atom_energy"`` row per atom (its descriptors, and its
            share of the baseline), fitted to per-atom energy labels.

        Returns
        -------
        SnapRows
            See :class:`SnapRows` for the row layout and units.

        Raises
        ------
        ValueError
            Empty list, unknown element, non-finite positions, or (without a
            baseline) two atoms closer than 0.5 Å; the message names the
            structure index.

        Examples
        --------
        >>> from ase.build import bulk
        >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
        >>> rows = snap.rows([bulk("W", "bcc", a=3.18, cubic=True)])
        >>> rows.X.shape
        (13, 6)
        """
        atoms_list = self._checked(atoms_list, check_distances=baseline is None)
        per_structure = []
        with SnapSession(
            self.elements, self.lammps_compute_args(), self.cutoff, baseline
        ) as session:
            for atoms in tqdm(atoms_list, disable=not progress, desc="SNAP rows"):
                block = session.snap_block(atoms, per_atom_energies)
                volume = atoms.get_volume() if atoms.pbc.all() else None
                type_index = self._type_index(atoms)
                per_structure.append(
                    block_to_rows(block, type_index, self.n_elements, volume)
                )
        logger.debug("SNAP rows for %d structures", len(atoms_list))
        return stack_rows(per_structure, [len(atoms) for atoms in atoms_list])

    def per_atom(self, atoms: Atoms) -> np.ndarray:
        """Per-atom bispectrum descriptors with a leading constant column.

        Column 0 is 1 and columns 1..K are the atom's bispectrum (shifted by
        the isolated-atom values when ``bzeroflag``), so
        ``per_atom(atoms)[i] @ coef_of_element(i)`` is the SNAP energy of atom
        ``i`` (eV), with ``coef_of_element`` the element's block of
        ``n_coefficients`` coefficients.

        Parameters
        ----------
        atoms : ase.Atoms
            One configuration.

        Returns
        -------
        ndarray, shape (n_atoms, n_coefficients)

        Examples
        --------
        >>> from ase.build import bulk
        >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
        >>> snap.per_atom(bulk("W", "bcc", a=3.18, cubic=True)).shape
        (2, 6)
        """
        (atoms,) = self._checked([atoms], check_distances=False)
        with SnapSession(self.elements, self.lammps_compute_args(), self.cutoff) as s:
            descriptors = s.sna_atom(atoms)
        return np.hstack([np.ones((len(atoms), 1)), descriptors])

    def _checked(
        self, atoms_list: Atoms | Sequence[Atoms], check_distances: bool
    ) -> list[Atoms]:
        atoms_list = as_atoms_list(atoms_list)
        for index, atoms in enumerate(atoms_list):
            check_structure(atoms, index, self.elements, check_distances)
        return atoms_list

    def _type_index(self, atoms: Atoms) -> np.ndarray:
        index_of = {symbol: index for index, symbol in enumerate(self.elements)}
        return np.array([index_of[s] for s in atoms.get_chemical_symbols()], dtype=int)


def _fmt(value: float) -> str:
    # repr is the shortest text that LAMMPS reads back to the same double.
    return repr(float(value))


def _per_element(name: str, values, elements: tuple[str, ...]) -> tuple[float, ...]:
    values = tuple(values)
    if len(values) != len(elements):
        raise ValueError(
            f"The {name!r} parameter of SNAP must have one value per element "
            f"({len(elements)}). Got {len(values)}."
        )
    for value in values:
        _check_real(name, value, lower=0.0, strict=True)
    return tuple(float(value) for value in values)


def _check_elements(elements: tuple[str, ...]) -> None:
    if not elements:
        raise ValueError(
            "The 'elements' parameter of SNAP must name at least one element. Got none."
        )
    for symbol in elements:
        if symbol not in chemical_symbols[1:]:
            raise ValueError(
                "The 'elements' parameter of SNAP must hold chemical symbols. "
                f"Got {symbol!r}."
            )
    if len(set(elements)) != len(elements):
        raise ValueError(
            "The 'elements' parameter of SNAP must not repeat a symbol. "
            f"Got {list(elements)}."
        )


def _check_real(
    name: str, value, lower: float, strict: bool, upper: float | None = None
) -> None:
    bad_type = not isinstance(value, Real) or isinstance(value, bool)
    if bad_type or not math.isfinite(value):
        raise ValueError(
            f"The {name!r} parameter of SNAP must be a finite float. Got {value!r}."
        )
    too_low = value <= lower if strict else value < lower
    if too_low or (upper is not None and value > upper):
        bound = f"> {lower}" if strict else f">= {lower}"
        bound += f" and <= {upper}" if upper is not None else ""
        raise ValueError(
            f"The {name!r} parameter of SNAP must be a float {bound}. Got {value}."
        )
