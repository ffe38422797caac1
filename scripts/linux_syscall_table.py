#!/usr/bin/env python3
"""The Linux shim's system call table: check it and generate docs/linux-syscalls.md.

    linux_syscall_table.py --check   [--states F] [--source F] [--doc F]
    linux_syscall_table.py --write   [--states F] [--source F] [--doc F]

components/services/linux/syscall_states.txt is the one place that says how far each arm64
(asm-generic) syscall number is served: `NR NAME STATE` per line, STATE being `full`,
`partial: WHAT IS MISSING` or `ENOSYS`. This script reads it together with the dispatch
table in syscalls.c (the `NR_name = N` enum, the `[NR_name] = handler` entries and the
`{N, "name"}` log names) and reports every disagreement: a number with a handler whose
state is ENOSYS or missing, a state other than ENOSYS without a handler, a name that differs
between the two files. --check also fails when the committed document is not exactly what
--write would produce (ctest linux.syscall_table). Exit 0 when all is well, 1 otherwise,
with one line per problem; no traceback.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATES = ROOT / "components/services/linux/syscall_states.txt"
SOURCE = ROOT / "components/services/linux/syscalls.c"
DOC = ROOT / "docs/linux-syscalls.md"

STATE_RE = re.compile(r"^(\d+) ([a-z_][a-z0-9_]*) (full|ENOSYS|partial: \S.*)$")


class TableError(Exception):
    """A problem with the inputs, reported as one line each (never a traceback)."""


@dataclass(frozen=True)
class Syscall:
    nr: int
    name: str
    state: str  # "full", "ENOSYS" or "partial: ..."

    @property
    def kind(self) -> str:
        return "partial" if self.state.startswith("partial:") else self.state

    @property
    def missing(self) -> str:
        return self.state[len("partial:"):].strip() if self.kind == "partial" else ""


def parse_states(text: str, where: str) -> tuple[list[Syscall], list[str]]:
    calls: list[Syscall] = []
    problems: list[str] = []
    seen_nr: set[int] = set()
    seen_name: set[str] = set()
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        m = STATE_RE.match(line)
        if not m:
            problems.append(f"{where}:{lineno}: not `NR NAME full|ENOSYS|partial: WHAT`: {line!r}")
            continue
        nr, name, state = int(m.group(1)), m.group(2), m.group(3)
        if nr in seen_nr:
            problems.append(f"{where}:{lineno}: number {nr} listed twice")
        if name in seen_name:
            problems.append(f"{where}:{lineno}: name {name} listed twice")
        if calls and nr < calls[-1].nr:
            problems.append(f"{where}:{lineno}: {nr} after {calls[-1].nr}: keep numbers ascending")
        seen_nr.add(nr)
        seen_name.add(name)
        calls.append(Syscall(nr, name, state))
    if not calls:
        problems.append(f"{where}: no syscalls listed")
    return calls, problems


@dataclass
class Dispatch:
    numbers: dict[str, int]  # enum NR_name = N
    handlers: dict[int, str]  # number -> handler function
    log_names: dict[int, str]  # names[] for the "unsupported syscall" line


def parse_source(text: str, where: str) -> tuple[Dispatch, list[str]]:
    problems: list[str] = []
    numbers: dict[str, int] = {}
    for m in re.finditer(r"\bNR_([a-z0-9_]+)\s*=\s*(\d+)\s*,", text):
        numbers[m.group(1)] = int(m.group(2))
    table = re.search(r"handlers\s*\[\s*NR_COUNT\s*\]\s*=\s*\{(.*?)\};", text, re.S)
    handlers: dict[int, str] = {}
    if not numbers or not table:
        problems.append(f"{where}: cannot find the NR_ enum or the handlers[NR_COUNT] table")
    else:
        for m in re.finditer(r"\[\s*NR_([a-z0-9_]+)\s*\]\s*=\s*(\w+)", table.group(1)):
            if m.group(1) not in numbers:
                problems.append(f"{where}: handler entry NR_{m.group(1)} has no number in the enum")
                continue
            nr = numbers[m.group(1)]
            if nr in handlers:
                problems.append(f"{where}: number {nr} has two handler entries")
            handlers[nr] = m.group(2)
    log_names = {int(m.group(1)): m.group(2)
                 for m in re.finditer(r"\{\s*(\d+)\s*,\s*\"([a-z0-9_]+)\"\s*\}", text)}
    return Dispatch(numbers, handlers, log_names), problems


def check_agreement(calls: list[Syscall], d: Dispatch) -> list[str]:
    problems: list[str] = []
    by_nr = {c.nr: c for c in calls}
    for name, nr in sorted(d.numbers.items(), key=lambda kv: kv[1]):
        if name == "COUNT":
            continue
        c = by_nr.get(nr)
        if c is None:
            problems.append(f"NR_{name} = {nr} in syscalls.c has no state")
        elif c.name != name:
            problems.append(f"number {nr} is NR_{name} in syscalls.c but {c.name} in the states")
    for nr, fn in sorted(d.handlers.items()):
        c = by_nr.get(nr)
        if c is not None and c.kind == "ENOSYS":
            problems.append(f"{nr} {c.name} has a handler ({fn}) but its state is ENOSYS")
    for c in calls:
        if c.kind != "ENOSYS" and c.nr not in d.handlers:
            problems.append(f"{c.nr} {c.name} is `{c.kind}` but syscalls.c has no handler for it")
    for nr, name in sorted(d.log_names.items()):
        c = by_nr.get(nr)
        if c is None:
            problems.append(f"log name {{{nr}, \"{name}\"}} in syscalls.c: no such number")
        elif c.name != name:
            problems.append(f"log name {{{nr}, \"{name}\"}} in syscalls.c: the states say {c.name}")
    return problems


def render(calls: list[Syscall]) -> str:
    counts = {k: sum(1 for c in calls if c.kind == k) for k in ("full", "partial", "ENOSYS")}
    out = [
        "# Linux system calls on m6",
        "",
        "<!-- Generated by scripts/linux_syscall_table.py --write from",
        "     components/services/linux/syscall_states.txt: edit that file, not this one. -->",
        "",
        "Every arm64 Linux system call number (asm-generic `unistd.h`) and what the Linux shim",
        "(docs/linux.md) does with it: **full** (as Linux, within the shim's documented",
        "limits), **partial** (served, with what is missing), or **ENOSYS** (no handler: the",
        "call returns `-ENOSYS` and the shim logs `unsupported syscall N (name)`).",
        "",
        f"{len(calls)} numbers: {counts['full']} full, {counts['partial']} partial, "
        f"{counts['ENOSYS']} ENOSYS.",
        "",
        "| Nr | Name | State | What is missing |",
        "|---:|------|-------|-----------------|",
    ]
    for c in calls:
        missing = c.missing.replace("|", "\\|")
        state = f"**{c.kind}**" if c.kind != "ENOSYS" else c.kind
        out.append(f"| {c.nr} | `{c.name}` | {state} | {missing} |")
    return "\n".join(out) + "\n"


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise TableError(f"cannot read {path}: {e}") from None


def run(args: argparse.Namespace) -> list[str]:
    calls, problems = parse_states(read(args.states), str(args.states))
    dispatch, p2 = parse_source(read(args.source), str(args.source))
    problems += p2
    if not problems:
        problems += check_agreement(calls, dispatch)
    if problems:
        return problems
    doc = render(calls)
    if args.write:
        try:
            args.doc.write_text(doc, encoding="utf-8")
        except OSError as e:
            raise TableError(f"cannot write {args.doc}: {e}") from None
        return []
    try:
        current = args.doc.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current != doc:
        return [f"{args.doc} is out of date: run scripts/linux_syscall_table.py --write"]
    return []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail on any disagreement or a stale doc")
    mode.add_argument("--write", action="store_true", help="regenerate the doc")
    ap.add_argument("--states", type=Path, default=STATES)
    ap.add_argument("--source", type=Path, default=SOURCE)
    ap.add_argument("--doc", type=Path, default=DOC)
    args = ap.parse_args(argv)
    try:
        problems = run(args)
    except TableError as e:
        problems = [str(e)]
    for p in problems:
        print(f"linux_syscall_table: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
