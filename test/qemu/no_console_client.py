#!/usr/bin/env python3
"""Check that binaries hold none of the console service's client code.

libm6 must not depend on the console's protocol: neither libm6.a nor a component that
does not link m6::console_client may contain the console IDL's stubs (console_write,
console_read) or the client library (m6_console_stdio). Looks for the names anywhere in
the files (symbol tables, debug information), which is where any use would leave them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORBIDDEN = (b"console_write", b"console_read", b"console_idl", b"m6_console_stdio")


def offending(path: Path) -> list[str]:
    data = path.read_bytes()
    return [name.decode() for name in FORBIDDEN if name in data]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expect-some", type=Path, action="append", default=[],
                        help="a binary that must contain the client (proves the check can see it)")
    parser.add_argument("files", type=Path, nargs="+", help="binaries that must not contain it")
    args = parser.parse_args(argv)
    failed = False
    for path in args.files + args.expect_some:
        if not path.is_file():
            print(f"no_console_client: {path}: no such file", file=sys.stderr)
            return 2
    for path in args.files:
        found = offending(path)
        if found:
            print(f"no_console_client: {path} contains {', '.join(found)}")
            failed = True
    for path in args.expect_some:
        if not offending(path):
            print(f"no_console_client: {path} should contain the console client and does not")
            failed = True
    if not failed:
        print(f"no_console_client: {len(args.files)} binaries without the console client")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
