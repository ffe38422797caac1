"""Command line: `m6idl FILE.idl --out HEADER`. Exit status 0 ok, 1 errors in the
input, 2 usage or internal errors; never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from m6capdl.diagnostics import Severity, SpecError, render, sort_key
from m6capdl.emit import write_if_changed
from m6idl import checks, generate, model, parser


def _guard(path: Path) -> str:
    return "M6IDL_" + "".join(ch if ch.isalnum() else "_" for ch in path.name.upper())


def compile_file(source: Path, out: Path | None, err: TextIO, shown: str | None = None) -> int:
    name = shown or str(source)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"m6idl: error: cannot read {name}: {getattr(exc, 'strerror', None) or exc}", file=err)
        return 1
    try:
        file = parser.parse(text)
        diags = checks.check(file)
    except SpecError as exc:
        diags = exc.diagnostics
        file = model.File()
    for diag in sorted(diags, key=sort_key):
        err.write(render(diag, name, text))
    if any(d.severity is Severity.ERROR for d in diags):
        return 1
    if out is not None:
        header = generate.render(file, source.name, _guard(out))
        try:
            write_if_changed(out, header.encode())
        except OSError as exc:
            print(f"m6idl: error: cannot write {out}: {exc.strerror or exc}", file=err)
            return 1
    return 0


def main(argv: list[str] | None = None, err: TextIO | None = None) -> int:
    err = err or sys.stderr
    ap = argparse.ArgumentParser(prog="m6idl", description="Compile an m6 interface description to C.")
    ap.add_argument("idl", type=Path, help="the interface description (*.idl)")
    ap.add_argument("--out", type=Path, help="the C header to write (omit to check only)")
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    try:
        return compile_file(args.idl, args.out, err)
    except Exception as exc:  # noqa: BLE001 - a bug must still not print a traceback
        print(f"m6idl: internal error: {type(exc).__name__}: {exc}", file=err)
        return 2
