"""``python -m ikou ...``: the command line, as the ``ikou`` script runs it."""

import sys

from ikou.pipeline.cli import main

sys.exit(main())
