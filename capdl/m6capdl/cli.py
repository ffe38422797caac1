"""Command line: `m6-capdl {check,headers,build,graph,why} SPEC ...`.

Exit status: 0 success (warnings allowed), 1 errors in the spec or its inputs,
2 usage errors (argparse) and internal errors. No traceback ever reaches the user.
`why` and `graph` still do their work when isolation assertions fail (that is when they
are needed): the failures are printed as errors and the exit status is 1.
"""

from __future__ import annotations

import argparse
import gc
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from m6capdl import __version__, authority, bind, checks, elfload, emit, graph, layout, model, parser, resolved
from m6capdl import files as m6files
from m6capdl.diagnostics import Diagnostic, FileError, Severity, Source, SpecError, error, render, sort_key

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
    system: resolved.System  # what the back ends read
    sources: dict[str, str]  # included files' text, by the name their spans carry
    failed: bool = False  # assertions failed (with allow_failed_assertions)


def _fail(message: str, err: TextIO) -> None:
    err.write(f"{PROG}: error: {message}\n")


MAX_INPUT_SIZE = 16 * 1024 * 1024


class InputError(Exception):
    """An input file that is not read: why, in words. `system` tells an error of the
    system (no such file, no permission) from a file that is refused or not text."""

    def __init__(self, reason: str, system: bool = False) -> None:
        super().__init__(reason)
        self.system = system


def read_input(path: str) -> str:
    """The text of a spec or an included file. Only a regular file of at most
    MAX_INPUT_SIZE bytes is read: a device (/dev/zero), a FIFO or a huge file would make
    the build hang or run out of memory. Opened without blocking (a FIFO without a writer
    would otherwise wait forever) and checked on the open file, so that it cannot be
    swapped between the check and the read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), system=True) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError("is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError("is not a regular file (a device, a FIFO or a socket): not read")
        if info.st_size > MAX_INPUT_SIZE:
            raise InputError(f"is larger than {MAX_INPUT_SIZE // (1024 * 1024)} MiB: not read")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_INPUT_SIZE + 1)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), system=True) from None
    finally:
        os.close(fd)
    if len(data) > MAX_INPUT_SIZE:  # it grew after fstat
        raise InputError(f"is larger than {MAX_INPUT_SIZE // (1024 * 1024)} MiB: not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})") from None


def _load_spec(path: str, platform_dir: Path, err: TextIO, allow_failed_assertions: bool = False,
               include_dirs: list[str] | None = None, files: list[str] | None = None) -> _Spec:
    """Parse and check the spec, printing every diagnostic; _Failed on errors. With
    `allow_failed_assertions`, failing assertions are printed but do not stop the command
    (the spec is otherwise sound): the caller then exits with status 1 itself. `files`:
    the --file KEY=PATH options (file-backed memory)."""
    file_paths = _parse_elf_args(files or [], err, "--file")
    try:
        text = read_input(path)
    except InputError as exc:
        _fail(f"{path}: cannot read: {exc}" if exc.system else f"{path}: {exc}", err)
        raise _Failed from None
    diags: list[Diagnostic] = []
    sources: dict[str, str] = {}
    resolved_system: resolved.System | None = None
    try:
        system = parser.parse(text)
        system.file = path
        _expand_includes(system, path, sources, diags, include_dirs or [])
        if not any(d.severity is Severity.ERROR for d in diags):
            found, resolved_system = checks.check_and_resolve(system, platform_dir, file_paths)
            diags += found
            for key in sorted(set(file_paths) - m6files.used_keys(system)):
                err.write(f"{PROG}: warning: --file {key}: no memory holds file \"{key}\"\n")
    except SpecError as exc:
        diags = exc.diagnostics
    indexed = {name: Source(t) for name, t in sources.items()}
    main = Source(text)
    for diag in sorted(diags, key=sort_key):
        err.write(render(diag, path, main, indexed))
    errors = [d for d in diags if d.severity is Severity.ERROR]
    tolerated = allow_failed_assertions and all(map(authority.is_failed_assertion, errors))
    if resolved_system is None or (errors and not tolerated):
        raise _Failed
    return _Spec(path, text, resolved_system, sources, failed=bool(errors))


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _expand_includes(system: model.System, path: str, sources: dict[str, str], diags: list[Diagnostic],
                     include_dirs: list[str]) -> None:
    """Merge every included file's items into `system`, depth first, in order. An included
    file is looked for relative to the file that includes it, then in each -I directory;
    it must lie (symbolic links resolved) in the top-level spec's directory tree or in an
    -I directory: a spec cannot make the build read, and echo, any file of the machine.
    A file is included once: a second include of it (from elsewhere) adds nothing.
    Iterative: a long chain of includes needs no deep recursion."""
    roots = [os.path.realpath(os.path.dirname(path) or ".")] + [os.path.realpath(d) for d in include_dirs]
    included: set[str] = {os.path.realpath(path)}
    # One entry per file being included: what is left of its includes, its name, and the
    # chain of files (real paths) that leads to it, itself last.
    work: list[tuple[Iterator[model.Include], str, list[str]]] = [
        (iter(system.includes), path, [os.path.realpath(path)])]
    while work:
        pending, including, chain = work[-1]
        inc = next(pending, None)
        if inc is None:
            work.pop()
            continue
        candidates = [os.path.normpath(os.path.join(os.path.dirname(including), inc.path))]
        if not os.path.isabs(inc.path):
            candidates += [os.path.normpath(os.path.join(d, inc.path)) for d in include_dirs]
        name = next((c for c in candidates if os.path.lexists(c)), candidates[0])
        real = os.path.realpath(name)
        if real in chain:
            diags.append(error(f"include cycle: \"{inc.path}\" is already being included", inc.path_span,
                               "a file may not include itself, directly or through others"))
            continue
        if not any(_within(real, root) for root in roots):
            dirs = ", ".join([os.path.dirname(path) or "."] + [f"-I {d}" for d in include_dirs])
            diags.append(error(
                f"cannot include \"{inc.path}\": it is outside the spec's directory tree", inc.path_span,
                f"includes are confined to the directory of the top-level spec and below, and to the "
                f"directories given with -I DIR (here: {dirs}); {name} is not in them"))
            continue
        if real in included:
            continue  # included once already (from another file): its items are there
        try:
            text = read_input(name)
        except InputError as exc:
            diags.append(error(f"cannot include \"{inc.path}\": {exc}", inc.path_span,
                               f"looked for {' and '.join(candidates)}" if len(candidates) > 1 else
                               f"looked for {name}"))
            continue
        included.add(real)
        sources[name] = text
        try:
            module = parser.parse(text, file=name, module=True)
        except SpecError as exc:
            diags.extend(exc.diagnostics)
            continue
        system.components.extend(module.components)
        system.memories.extend(module.memories)
        system.assertions.extend(module.assertions)
        system.channels.extend(module.channels)
        work.append((iter(module.includes), name, chain + [real]))


def _parse_elf_args(values: list[str], err: TextIO, option: str = "--elf") -> dict[str, str]:
    elfs: dict[str, str] = {}
    bad = False
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            _fail(f"{option} {value}: expected NAME=PATH", err)
            bad = True
        elif name in elfs and elfs[name] != path:
            _fail(f"{option} {name}: given twice ({elfs[name]} and {path})", err)
            bad = True
        else:
            elfs[name] = path
    if bad:
        raise _Failed
    return elfs


def _load_images(system: resolved.System, elfs: dict[str, str], err: TextIO) -> dict[str, elfload.ElfImage]:
    images: dict[str, elfload.ElfImage] = {}
    cache: elfload.Cache = {}  # each shared ELF is read once
    failed = False
    reported: set[str] = set()
    for comp in system.components:
        binary = comp.binary
        path = elfs.get(binary)
        if path is None:
            if binary not in reported:
                _fail(f"no ELF given for binary \"{binary}\" (component '{comp.name}'); "
                      f"pass --elf {binary}=PATH", err)
                reported.add(binary)
            failed = True
            continue
        try:
            images[comp.name] = elfload.load(path, layout.IMAGE_WINDOW, comp.memory.reserved(), cache)
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


def _bind(spec: _Spec, images: dict[str, elfload.ElfImage], manifests: dict[str, str],
          err: TextIO) -> dict[str, elfload.ElfImage]:
    """Write each bound component's values into its config section (bind.py)."""
    loaded: dict[str, bind.Manifest] = {}
    failed = False
    for binary, path in sorted(manifests.items()):
        try:
            loaded[binary] = bind.load_manifest(path)
        except FileError as exc:
            _fail(f"{exc.path}: {exc.message}", err)
            failed = True
            continue
        if loaded[binary].binary != binary:
            _fail(f"{path}: manifest of binary \"{loaded[binary].binary}\", given for \"{binary}\"", err)
            failed = True
    used = {comp.binary for comp in spec.system.components}
    for name in sorted(set(manifests) - used):
        err.write(f"{PROG}: warning: --manifest {name}: no component uses binary \"{name}\"\n")
    if failed:
        raise _Failed
    bound: dict[str, elfload.ElfImage] = {}
    diags: list[Diagnostic] = []
    for comp in spec.system.components:
        bound[comp.name], found = bind.bind(comp, images[comp.name], loaded.get(comp.binary), spec.system)
        diags += found
    _report(spec, diags, err)
    return bound


def _read_files(system: resolved.System, err: TextIO) -> dict[str, list[bytes]]:
    """The pages of every file-backed memory region (checked already: each is there)."""
    pages: dict[str, list[bytes]] = {}
    for mem in system.memories:
        if not mem.path:
            continue
        try:
            pages[mem.name] = m6files.read_pages(mem.path, mem.length)
        except m6files.FileChanged as exc:
            _fail(str(exc), err)
            raise _Failed from None
        except OSError as exc:
            _fail(f"{mem.path}: cannot read: {exc.strerror or exc}", err)
            raise _Failed from None
    return pages


def _report(spec: _Spec, diags: list[Diagnostic], err: TextIO) -> None:
    """Print diagnostics found after checking (they need the ELFs); stop on errors."""
    for diag in sorted(diags, key=sort_key):
        err.write(render(diag, spec.path, spec.text, dict(spec.sources)))
    if any(d.severity is Severity.ERROR for d in diags):
        raise _Failed


def _entry_diagnostics(system: resolved.System, images: dict[str, elfload.ElfImage]) -> list[Diagnostic]:
    """Every extra thread's entry symbol must be a function of its component's ELF."""
    diags: list[Diagnostic] = []
    for comp in system.components:
        image = images[comp.name]
        for thread in comp.threads[1:]:
            assert thread.entry_symbol is not None and thread.entry_span is not None, "checked before"
            where = f"entry \"{thread.entry_symbol}\" of thread '{thread.name}'"
            addr = image.symbols.get(thread.entry_symbol)
            if addr is None:
                diags.append(error(
                    f"{where} is not a symbol of binary \"{comp.binary}\"", thread.entry_span,
                    f"{image.path} defines no function of that name (is it spelled right, "
                    f"and is the ELF not stripped?)"))
            elif not image.is_executable(addr):
                diags.append(error(
                    f"{where} is at 0x{addr:x}, outside the code of binary \"{comp.binary}\"",
                    thread.entry_span, "an entry must be a function, in an executable segment"))
    return diags


def _cmd_check(args: argparse.Namespace, err: TextIO) -> None:
    _load_spec(args.spec, args.platform_dir, err, include_dirs=args.include_dirs, files=args.file)


def _cannot_write(exc: OSError, err: TextIO) -> None:
    """Report a failed output write (its path, why) and stop with status 1."""
    target = Path(exc.filename) if exc.filename else None
    reason = exc.strerror or str(exc)
    if target is not None and isinstance(exc, (NotADirectoryError, FileExistsError)):
        # Something on the way is a file where a directory must be: name it.
        for parent in (target, *target.parents):
            if parent.exists() and not parent.is_dir():
                reason = f"{parent} is not a directory"
                break
    _fail(f"cannot write {target if target is not None else 'the output'}: {reason}", err)
    raise _Failed from None


def _cmd_headers(args: argparse.Namespace, err: TextIO) -> None:
    spec = _load_spec(args.spec, args.platform_dir, err, include_dirs=args.include_dirs, files=args.file)
    try:
        emit.write_headers(spec.system, spec.path, Path(args.out))
    except OSError as exc:
        _cannot_write(exc, err)


def _cmd_build(args: argparse.Namespace, err: TextIO) -> None:
    spec = _load_spec(args.spec, args.platform_dir, err, include_dirs=args.include_dirs, files=args.file)
    elfs = _parse_elf_args(args.elf, err)
    images = _load_images(spec.system, elfs, err)
    _report(spec, _entry_diagnostics(spec.system, images), err)
    images = _bind(spec, images, _parse_elf_args(args.manifest, err, "--manifest"), err)
    tables = layout.build_tables(spec.system, images, _read_files(spec.system, err))
    try:
        emit.write_build(spec.system, tables, spec.path, Path(args.out))
    except OSError as exc:
        _cannot_write(exc, err)


def _cmd_graph(args: argparse.Namespace, err: TextIO) -> None:
    spec = _load_spec(args.spec, args.platform_dir, err, allow_failed_assertions=True,
                      include_dirs=args.include_dirs, files=args.file)
    dot = graph.to_dot(spec.system)
    try:
        if args.svg is not None:
            try:
                emit.write_if_changed(Path(args.svg), graph.to_svg(dot))
            except RuntimeError as exc:
                _fail(str(exc), err)
                raise _Failed from None
        if args.dot is not None:
            emit.write_if_changed(Path(args.dot), dot.encode())
    except OSError as exc:
        _cannot_write(exc, err)
    if args.dot is None and args.svg is None:
        sys.stdout.write(dot)
    if spec.failed:
        raise _Failed


def _cmd_why(args: argparse.Namespace, err: TextIO) -> None:
    spec = _load_spec(args.spec, args.platform_dir, err, allow_failed_assertions=True,
                      include_dirs=args.include_dirs, files=args.file)
    _explain(spec, args, err)
    if spec.failed:
        raise _Failed


def _explain(spec: _Spec, args: argparse.Namespace, err: TextIO) -> None:
    system = spec.system
    if system.component(args.source) is None:
        _fail(f"unknown component '{args.source}'", err)
        raise _Failed
    target = _parse_target(args.target)
    if isinstance(target, str):
        _fail(target, err)
        raise _Failed
    g = authority.build(system)
    objs = authority.target_objects(g, system, target)
    if isinstance(objs, str):
        _fail(objs, err)
        raise _Failed
    path = authority.explain(g, args.source, objs)
    if not path:
        sys.stdout.write(f"'{args.source}' cannot reach {target.describe()}.\n")
        return
    sys.stdout.write(f"'{args.source}' can reach {target.describe()}:\n")
    sys.stdout.write("".join(f"  {line}\n" for line in path))


def _parse_target(text: str) -> model.Target | str:
    """A target as `why` takes it, or an error message."""
    from m6capdl.diagnostics import Span
    span = Span(1, 1)
    if text.startswith("pci:"):
        # pci:class:C, pci:vendor:V or pci:vendor:V:device:D (as `assert ... reach pci ...`)
        parts = text.split(":")[1:]
        try:
            values = [int(v, 0) for v in parts[1::2]]
        except ValueError:
            values = []
        kinds = parts[0::2]
        if kinds not in (["class"], ["vendor"], ["vendor", "device"]) or len(values) != len(kinds):
            return (f"'{text}' is not a PCI target: write pci:class:C, pci:vendor:V or "
                    f"pci:vendor:V:device:D")
        numbers = [model.Number(v, span, t) for v, t in zip(values, parts[1::2])]
        match = model.PciMatch(kinds[0], numbers[0], numbers[1] if len(numbers) > 1 else None, span)
        return model.Target(None, None, None, span, pci=match)
    if text.startswith("memory:"):
        return model.Target(None, None, model.Ident(text[len("memory:"):], span), span)
    comp, _, name = text.partition(".")
    return model.Target(model.Ident(comp, span), model.Ident(name, span) if name else None, None, span)


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
        cmd.add_argument("--file", metavar="KEY=PATH", action="append", default=[],
                         help="the file of file-backed memory `memory NAME file \"KEY\"` (repeat for "
                              "every key)")
        cmd.add_argument("-I", dest="include_dirs", metavar="DIR", action="append", default=[],
                         help="a directory 'include' may read from, besides the spec's own directory "
                              "tree; also searched for included files (repeat for several)")
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
    build.add_argument("--manifest", metavar="NAME=PATH", action="append", default=[],
                       help="the manifest of bound binary NAME (docs/sdk.md): which role each "
                            "value of its config section binds")
    build.add_argument("--out", metavar="DIR", required=True, help="output directory")
    build.set_defaults(func=_cmd_build)

    graph_cmd = command("graph", "draw who holds what: Graphviz DOT on stdout, or --dot/--svg files")
    graph_cmd.add_argument("--dot", metavar="FILE", help="write the DOT text to FILE")
    graph_cmd.add_argument("--svg", metavar="FILE", help="render an SVG to FILE (needs Graphviz 'dot')")
    graph_cmd.set_defaults(func=_cmd_graph)

    why = command("why", "explain how component FROM can reach TO (or say that it cannot)")
    why.add_argument("source", metavar="FROM", help="a component")
    why.add_argument("target", metavar="TO",
                     help="a component C, one of its objects C.NAME, shared memory memory:NAME, or "
                          "the PCI functions pci:class:C, pci:vendor:V[:device:D] may claim")
    why.set_defaults(func=_cmd_why)
    return top


def main(argv: list[str] | None = None, err: TextIO | None = None) -> int:
    err = err if err is not None else sys.stderr
    # A run builds a large, long-lived model and frees next to nothing: the cycle
    # collector would only traverse it over and over (a third of a large build's time).
    collecting = gc.isenabled()
    gc.disable()
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
    finally:
        if collecting:
            gc.enable()
