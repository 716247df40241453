"""``python -m cid``: the ``cid`` command."""

import sys

from ._cli import main

sys.exit(main())
