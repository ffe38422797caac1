"""Command line: `m6-capdl {check,headers,build} SPEC ...`.

Exit status: 0 success (warnings allowed), 1 errors in the spec or its inputs,
2 usage errors (argparse) and internal errors. No traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from m6capdl import __version__, checks, elfload, emit, layout, model, parser
from m6capdl.diagnostics import Diagnostic, FileError, Severity, SpecError, render, sort_key

PROG = "m6-capdl"
EXIT_OK, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2

# capdl/m6capdl/cli.py -> the repository root is two levels above the package.
REPO_ROOT = Path(__file__).resolve().parent.parent.parent


class _Failed(Exception):
    """Errors were reported already; stop with exit status 1."""


@dataclass
class _Spec:
    path: str
    text: str
    system: model.System


def _fail(message: str, err: TextIO) -> None:
    err.write(f"{PROG}: error: {message}\n")


def _load_spec(path: str, platform_dir: Path, err: TextIO) -> _Spec:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        _fail(f"{path}: not UTF-8 text (byte {exc.start})", err)
        raise _Failed from None
    except OSError as exc:
        _fail(f"{path}: cannot read: {exc.strerror or exc}", err)
        raise _Failed from None
    diags: list[Diagnostic]
    try:
        system = parser.parse(text)
        diags = checks.check(system, platform_dir)
    except SpecError as exc:
        diags = exc.diagnostics
        system = None  # type: ignore[assignment]
    for diag in sorted(diags, key=sort_key):
        err.write(render(diag, path, text))
    if system is None or any(d.severity is Severity.ERROR for d in diags):
        raise _Failed
    return _Spec(path, text, system)


def _parse_elf_args(values: list[str], err: TextIO) -> dict[str, str]:
    elfs: dict[str, str] = {}
    bad = False
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            _fail(f"--elf {value}: expected NAME=PATH", err)
            bad = True
        elif name in elfs and elfs[name] != path:
            _fail(f"--elf {name}: given twice ({elfs[name]} and {path})", err)
            bad = True
        else:
            elfs[name] = path
    if bad:
        raise _Failed
    return elfs


def _load_images(system: model.System, elfs: dict[str, str], err: TextIO) -> dict[str, elfload.ElfImage]:
    images: dict[str, elfload.ElfImage] = {}
    failed = False
    reported: set[str] = set()
    for comp in system.components:
        binary = comp.binary
        path = elfs.get(binary)
        if path is None:
            if binary not in reported:
                _fail(f"no ELF given for binary \"{binary}\" (component '{comp.name.text}'); "
                      f"pass --elf {binary}=PATH", err)
                reported.add(binary)
            failed = True
            continue
        try:
            images[comp.name.text] = elfload.load(path, layout.IMAGE_WINDOW, layout.memory_map(comp).reserved())
        except FileError as exc:
            text = f"{exc.path}: {exc.message}"
            if text not in reported:  # one ELF shared by two components: say it once
                _fail(text, err)
                reported.add(text)
            failed = True
    used = {comp.binary for comp in system.components}
    for name in sorted(set(elfs) - used):
        err.write(f"{PROG}: warning: --elf {name}: no component uses binary \"{name}\"\n")
    if failed:
        raise _Failed
    return images


def _cmd_check(args: argparse.Namespace, err: TextIO) -> None:
    _load_spec(args.spec, args.platform_dir, err)


def _cmd_headers(args: argparse.Namespace, err: TextIO) -> None:
    spec = _load_spec(args.spec, args.platform_dir, err)
    emit.write_headers(spec.system, spec.path, Path(args.out))


def _cmd_build(args: argparse.Namespace, err: TextIO) -> None:
    spec = _load_spec(args.spec, args.platform_dir, err)
    elfs = _parse_elf_args(args.elf, err)
    images = _load_images(spec.system, elfs, err)
    tables = layout.build_tables(spec.system, images)
    emit.write_build(spec.system, tables, spec.path, Path(args.out))


def _make_parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog=PROG,
        description="Compile an m6 system spec into boot tables and component headers.")
    top.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("spec", metavar="SPEC", help="the system spec (.m6 file)")
        cmd.add_argument("--platform-dir", metavar="DIR", type=Path, default=REPO_ROOT / "platforms",
                         help="directory holding one subdirectory per platform "
                              "(default: the repository's platforms/)")
        return cmd

    check = command("check", "parse and check a spec; print errors and warnings")
    check.set_defaults(func=_cmd_check)

    headers = command("headers", "write DIR/include/<component>/m6_caps.h for every component "
                                 "(needs no ELF)")
    headers.add_argument("--out", metavar="DIR", required=True, help="output directory")
    headers.set_defaults(func=_cmd_headers)

    build = command("build", "write the headers, boot_tables.c, boot_image.bin, boot_image.S "
                             "and manifest.json")
    build.add_argument("--elf", metavar="NAME=PATH", action="append", default=[],
                       help="the ELF of binary NAME (repeat for every binary)")
    build.add_argument("--out", metavar="DIR", required=True, help="output directory")
    build.set_defaults(func=_cmd_build)
    return top


def main(argv: list[str] | None = None, err: TextIO | None = None) -> int:
    err = err if err is not None else sys.stderr
    try:
        args = _make_parser().parse_args(argv)
        args.func(args, err)
        return EXIT_OK
    except _Failed:
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.write(f"{PROG}: interrupted\n")
        return 130
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 -- the promise is: never a traceback
        err.write(f"{PROG}: internal error: {type(exc).__name__}: {exc}\n")
        return EXIT_INTERNAL
