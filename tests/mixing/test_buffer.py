"""default_buffer (src/mixpot/mixing/buffer.py) and its use by MixedCalculator."""

import pytest
from ase.calculators.emt import EMT

from mixpot.mixing import MixedCalculator, Regions
from mixpot.mixing.buffer import MARGIN, SEVENNET_BUFFER, default_buffer
from mixpot.testing import shipped_tungsten

CUTOFF = 4.8  # Å: W_2940's ZBL outer radius, beyond its 4.73 Å SNAP cutoff


@pytest.mark.parametrize(("mode", "cutoffs"), [("force", 2), ("energy", 1)])
def test_local_potential_gets_the_exact_buffer(mode, cutoffs):
    """Linear SNAP: 2 cutoffs in force mode, 1 in energy mode (plus a margin),
    chosen for Regions(r_buff=None) by the MixedCalculator, in its own copy.
    """
    potential = shipped_tungsten()
    expected = cutoffs * CUTOFF + MARGIN
    assert default_buffer(potential, mode) == pytest.approx(expected)
    regions = Regions([0])
    calc = MixedCalculator(
        potential.calculator(), potential.calculator(), regions, mode
    )
    assert calc.regions.r_buff == pytest.approx(expected)
    assert regions.r_buff is None


def test_given_buffer_is_kept():
    regions = Regions([0], r_buff=3.0)
    assert MixedCalculator(EMT(), EMT(), regions).regions.r_buff == 3.0


def test_unknown_range_asks_for_a_buffer():
    """EMT's range is unknown to mixpot: the error asks for r_buff."""
    with pytest.raises(ValueError, match=r"cannot choose r_buff for EMT"):
        MixedCalculator(EMT(), EMT(), Regions([0]))


def test_sevennet_gets_the_measured_buffer():
    """SevenNet-0: the widths measured by benchmarks/mixing_sevennet_buffer.py."""
    pytest.importorskip("sevenn")
    from mixpot.distill import sevennet_calculator

    calc = sevennet_calculator("7net-0")
    for mode in ("force", "energy"):
        assert default_buffer(calc, mode) == SEVENNET_BUFFER[mode]
