"""``python -m mixpot``: the command line (:mod:`mixpot.cli`)."""

import sys

from .cli import main

sys.exit(main())
