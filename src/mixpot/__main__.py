"""``python -m mixpot``: the same command line as the ``mixpot`` script."""

import sys

from .cli import main

sys.exit(main())
