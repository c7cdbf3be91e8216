"""`python -m kb` runs the CLI."""

from __future__ import annotations

import sys

from kb.cli import main

sys.exit(main())
