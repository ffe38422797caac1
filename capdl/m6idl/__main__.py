"""Entry point for `python3 -m m6idl`."""

import sys

from m6idl.cli import main

if __name__ == "__main__":
    sys.exit(main())
