"""``python -m conformance``: the ``cid-conformance`` command."""

import sys

from conformance._cli import main

sys.exit(main())
