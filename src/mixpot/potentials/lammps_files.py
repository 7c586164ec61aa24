"""Read and write the files of LAMMPS ``pair_style snap``.

A linear SNAP potential lives in two text files:

* ``.snapparam`` — ``keyword value`` lines: ``rcutfac`` and ``twojmax``
  (required), ``rfac0``, ``rmin0`` and the flags (optional);
* ``.snapcoeff`` — a line ``n_elements n_coefficients``, then per element a
  line ``symbol radius weight`` followed by ``n_coefficients`` lines of one
  coefficient each (the constant term first, then one per bispectrum
  component).

``#`` starts a comment anywhere on a line and blank lines are skipped, as in
LAMMPS. Errors name the file and the line. :func:`pair_commands` gives the
``pair_style``/``pair_coeff`` lines that run such files, with a
:class:`~mixpot.descriptors.ZBLBaseline` overlaid when there is one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from mixpot.descriptors import SNAP, ZBLBaseline

#: Defaults of LAMMPS ``pair_style snap`` for the optional keywords.
SNAPPARAM_DEFAULTS = {
    "rfac0": 0.99363,
    "rmin0": 0.0,
    "switchflag": 1,
    "bzeroflag": 1,
    "quadraticflag": 0,
    "chemflag": 0,
    "bnormflag": 0,
    "wselfallflag": 0,
}
REQUIRED_KEYWORDS = ("rcutfac", "twojmax")
#: Keywords LAMMPS reads that only tune its performance.
PERFORMANCE_KEYWORDS = ("chunksize", "parallelthresh")
#: Keywords of an inner switching that the SNAP settings do not model.
UNSUPPORTED_KEYWORDS = ("switchinnerflag", "sinner", "dinner")


def _data_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line number, words)`` of non-empty, comment-stripped lines."""
    if not path.is_file():
        raise FileNotFoundError(f"No LAMMPS SNAP file at {path}.")
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if words:
            yield number, words


def _number(path: Path, line: int, word: str, kind: type = float):
    try:
        return kind(word)
    except ValueError:
        expected = "an integer" if kind is int else "a number"
        raise ValueError(
            f"{path}, line {line}: expected {expected}, got {word!r}."
        ) from None


def read_snapparam(path: str | Path) -> dict[str, float]:
    r"""Read a ``.snapparam`` file, filling LAMMPS's defaults.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    dict of str to float
        ``rcutfac``, ``twojmax``, ``rfac0``, ``rmin0`` and the six flags.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        On a line that is not ``keyword value``, an unknown or unsupported
        keyword, or a missing required keyword.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.snapparam").write_text("rcutfac 4.7  # Å\ntwojmax 6\n")
    >>> params = read_snapparam(folder / "a.snapparam")
    >>> params["twojmax"], params["bzeroflag"]
    (6.0, 1)
    """
    path = Path(path)
    values: dict[str, float] = {}
    for number, words in _data_lines(path):
        if len(words) != 2:
            raise ValueError(
                f"{path}, line {number}: expected 'keyword value', got "
                f"{' '.join(words)!r}."
            )
        keyword, value = words[0], _number(path, number, words[1])
        if keyword in PERFORMANCE_KEYWORDS:
            continue
        if keyword in UNSUPPORTED_KEYWORDS:
            if keyword == "switchinnerflag" and value == 0:
                continue
            raise ValueError(
                f"{path}, line {number}: '{keyword}' (inner switching) is not "
                "supported by mixpot's SNAP settings."
            )
        if keyword not in REQUIRED_KEYWORDS and keyword not in SNAPPARAM_DEFAULTS:
            raise ValueError(f"{path}, line {number}: unknown keyword {keyword!r}.")
        values[keyword] = value
    missing = [keyword for keyword in REQUIRED_KEYWORDS if keyword not in values]
    if missing:
        raise ValueError(f"{path}: required keyword(s) {missing} missing.")
    return {**SNAPPARAM_DEFAULTS, **values}


def read_snapcoeff(
    path: str | Path,
) -> tuple[list[str], list[float], list[float], np.ndarray]:
    r"""Read a ``.snapcoeff`` file.

    Returns
    -------
    elements : list of str
        Element of each block, in file order (LAMMPS type order).
    radii, weights : list of float
        Per-element radius and neighbour weight.
    coef : ndarray, shape (n_elements * n_coefficients,)
        Coefficients, element blocks one after the other.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the header, an element line or a coefficient line is malformed,
        or the file ends early; the message names the file and line.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.snapcoeff"
    >>> _ = path.write_text("# demo\n1 2\nW 0.5 1\n-1.5\n0.25\n")
    >>> read_snapcoeff(path)
    (['W'], [0.5], [1.0], array([-1.5 ,  0.25]))
    """
    path = Path(path)
    lines = _data_lines(path)
    n_elements, n_coefficients = _header(path, lines)
    elements, radii, weights, coef = [], [], [], []
    for _ in range(n_elements):
        number, words = _next_line(path, lines, "an element line")
        if len(words) != 3:
            raise ValueError(
                f"{path}, line {number}: expected 'symbol radius weight', got "
                f"{' '.join(words)!r}."
            )
        symbol = words[0]
        elements.append(symbol)
        radii.append(_number(path, number, words[1]))
        weights.append(_number(path, number, words[2]))
        for _ in range(n_coefficients):
            number, words = _next_line(path, lines, f"a coefficient of {symbol}")
            if len(words) != 1:
                raise ValueError(
                    f"{path}, line {number}: expected one coefficient, got "
                    f"{' '.join(words)!r}."
                )
            coef.append(_number(path, number, words[0]))
    return elements, radii, weights, np.array(coef, dtype=np.float64)


def _header(path: Path, lines: Iterator[tuple[int, list[str]]]) -> tuple[int, int]:
    number, words = _next_line(path, lines, "the header 'n_elements n_coefficients'")
    if len(words) != 2:
        raise ValueError(
            f"{path}, line {number}: expected 'n_elements n_coefficients', got "
            f"{' '.join(words)!r}."
        )
    counts = [_number(path, number, word, int) for word in words]
    if min(counts) < 1:
        raise ValueError(f"{path}, line {number}: counts must be positive.")
    return counts[0], counts[1]


def _next_line(
    path: Path, lines: Iterator[tuple[int, list[str]]], expected: str
) -> tuple[int, list[str]]:
    try:
        return next(lines)
    except StopIteration:
        raise ValueError(f"{path}: file ends where {expected} was expected.") from None


def read_snap_files(
    snapcoeff: str | Path, snapparam: str | Path
) -> tuple[SNAP, np.ndarray]:
    """Build the SNAP settings and coefficients described by a pair of files.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`read_snapcoeff` and :func:`read_snapparam`, and when the
        number of coefficients does not fit the settings.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> coeff_path, param_path = write_snap_files(folder / "w", snap, np.arange(6.0))
    >>> settings, coef = read_snap_files(coeff_path, param_path)
    >>> settings == snap, coef.tolist()
    (True, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    """
    elements, radii, weights, coef = read_snapcoeff(snapcoeff)
    params = read_snapparam(snapparam)
    flags = {name: bool(params[name]) for name in SNAPPARAM_DEFAULTS if "flag" in name}
    try:
        snap = SNAP(
            elements,
            radii,
            weights,
            twojmax=int(params["twojmax"]),
            rcutfac=params["rcutfac"],
            rfac0=params["rfac0"],
            rmin0=params["rmin0"],
            **flags,
        )
    except ValueError as error:
        raise ValueError(f"{snapcoeff} with {snapparam}: {error}") from error
    if len(coef) != snap.n_columns:
        raise ValueError(
            f"{snapcoeff} has {len(coef) // len(elements)} coefficients per "
            f"element; the settings of {snapparam} need {snap.n_coefficients}."
        )
    return snap, coef


def write_snap_files(
    stem: str | Path, descriptor: SNAP, coef: np.ndarray, comment: str = ""
) -> tuple[Path, Path]:
    """Write ``<stem>.snapcoeff`` and ``<stem>.snapparam``.

    Coefficients are written with 17 significant digits, so that LAMMPS and
    :func:`read_snapcoeff` read back the same doubles.

    Returns
    -------
    snapcoeff, snapparam : Path
        The two files written.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    snapcoeff = stem.with_name(stem.name + ".snapcoeff")
    snapparam = stem.with_name(stem.name + ".snapparam")
    snapcoeff.write_text(snapcoeff_text(descriptor, coef, comment))
    snapparam.write_text(descriptor.to_snapparam_text())
    return snapcoeff, snapparam


def snapcoeff_text(descriptor: SNAP, coef: np.ndarray, comment: str = "") -> str:
    """Return the text of a ``.snapcoeff`` file.

    Examples
    --------
    >>> snap = SNAP(["W"], [0.5], twojmax=0, rcutfac=4.7)
    >>> print(snapcoeff_text(snap, np.array([-1.0, 0.5])))
    # LAMMPS SNAP coefficients written by mixpot
    1 2
    W 0.5 1.0
    -1.0
    0.5
    <BLANKLINE>
    """
    lines = ["# LAMMPS SNAP coefficients written by mixpot"]
    lines += [f"# {text}" for text in comment.splitlines()]
    lines.append(f"{descriptor.n_elements} {descriptor.n_coefficients}")
    blocks = np.asarray(coef, dtype=np.float64).reshape(descriptor.n_elements, -1)
    for symbol, radius, weight, block in zip(
        descriptor.elements, descriptor.radii, descriptor.weights, blocks, strict=True
    ):
        lines.append(f"{symbol} {float(radius)!r} {float(weight)!r}")
        lines += [repr(float(value)) for value in block]
    return "\n".join(lines) + "\n"


def pair_commands(
    descriptor: SNAP,
    snapcoeff: str | Path,
    snapparam: str | Path,
    baseline: ZBLBaseline | None = None,
) -> list[str]:
    """LAMMPS commands that run a SNAP potential from its files.

    LAMMPS type ``k + 1`` must carry ``descriptor.elements[k]``.

    Examples
    --------
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> zbl = ZBLBaseline(4.0, 4.8)
    >>> for line in pair_commands(snap, "w.snapcoeff", "w.snapparam", zbl):
    ...     print(line)
    pair_style hybrid/overlay zbl 4.0 4.8 snap
    pair_coeff 1 1 zbl 74 74
    pair_coeff * * snap w.snapcoeff w.snapparam W
    """
    files = descriptor.lammps_pair_coeff_args(snapcoeff, snapparam)
    if baseline is None:
        return ["pair_style snap", f"pair_coeff * * {files}"]
    return [
        f"pair_style hybrid/overlay {baseline.pair_style_args()} snap",
        *baseline.pair_coeff_commands(descriptor.elements),
        f"pair_coeff * * snap {files}",
    ]
