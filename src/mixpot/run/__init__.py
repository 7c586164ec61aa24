"""A mixed simulation from one configuration: settings, validation, output.

:class:`RunConfig` (TOML in and out) describes a run for any engine;
:func:`validate` checks it before any model is built; output files and
checkpoints (:mod:`mixpot.run.output`, :mod:`mixpot.run.checkpoint`) are
shared by the engines (:mod:`mixpot.engines`).
"""

from .checkpoint import Checkpoint, CheckpointError
from .config import ConfigError, RunConfig
from .validation import validate

__all__ = ["Checkpoint", "CheckpointError", "ConfigError", "RunConfig", "validate"]
