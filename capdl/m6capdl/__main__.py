"""Entry point for `python3 -m m6capdl`."""

import sys

from m6capdl.cli import main

if __name__ == "__main__":
    sys.exit(main())
