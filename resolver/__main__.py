"""``python -m resolver``: the ``cid-resolve`` command."""

import sys

from ._cli import main

sys.exit(main())
