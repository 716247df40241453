"""``python -m cid``: the ``cid`` command."""

import sys

from .cli._main import main

sys.exit(main())
