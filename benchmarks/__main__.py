"""``python -m benchmarks [NAME ...] [--quick]``: see :mod:`benchmarks.runner`."""

import sys

from benchmarks.runner import main

sys.exit(main())
