"""`python -m assistant` is the `policyqa` command."""

from __future__ import annotations

import sys

from assistant.cli import main

sys.exit(main())
