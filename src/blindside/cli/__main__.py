"""``python -m blindside.cli``: the same as the ``blindside`` command."""

import sys

from blindside.cli import main

sys.exit(main())
