"""Shared fixtures of the engine tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="package")
def tungsten_pair():
    """Expensive W_2940_2017_2 and a cheap 2J=4 SNAP fitted to it."""
    from mixpot.models import shipped_tungsten
    from mixpot.testing import small_tungsten_snap

    expensive = shipped_tungsten()
    return expensive, small_tungsten_snap(expensive, twojmax=4)
