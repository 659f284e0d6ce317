"""``python -m core <command>``: the same command line as ``invoiceflow`` (see ``core.cli``)."""

from __future__ import annotations

import sys

from core.cli import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
