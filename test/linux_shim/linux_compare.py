#!/usr/bin/env python3
"""Side by side: test/linux's programs on m6's Linux shim against the Linux reference.

    linux_compare.py manifest PROGRAMS COMPARE OUT
        OUT: /etc/m6-programs (linux_ref.py's manifest) for the programs COMPARE names.
    linux_compare.py run --reference JSON --compare COMPARE --log LOG [--json OUT]
                         [--timeout S] -- QEMU ARGS...
        Boot the m6 system (its shim runs test/linux's /init), read the records init prints
        and compare them with the reference run's (records.compare): a program listed as
        matching must match exactly, one listed with "differs: REASON" must differ.

COMPARE (test/linux_shim/compare.txt) is the one list of what runs and what is expected
to differ; docs/linux.md, "Side by side".
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "linux"))
sys.path.insert(0, str(HERE.parent / "qemu"))
sys.path.insert(0, str(HERE.parent.parent / "cmake"))

import linux_ref  # noqa: E402
import records  # noqa: E402
from qemu_run import run_guest, verdict  # noqa: E402

TOOL = "linux_compare"
MOUNTED = ("/dev", "/tmp")  # the shim's devices, compare.m6's tmpfs


class CompareError(Exception):
    pass


def read_compare(path: str) -> dict[str, str | None]:
    """NAME -> None (must match) or the reason it must differ, in file order."""
    out: dict[str, str | None] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise CompareError(f"{path}: {e.strerror}") from None
    for n, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, rest = line.partition(" ")
        rest = rest.strip()
        if name in out or not records.NAME_RE.fullmatch(name):
            raise CompareError(f"{path}:{n}: bad or repeated name '{name}'")
        if rest and not rest.startswith("differs:") or rest == "differs:":
            raise CompareError(f"{path}:{n}: expected NAME or NAME differs: REASON")
        out[name] = rest[len("differs:"):].strip() if rest else None
    if not out:
        raise CompareError(f"{path}: no programs")
    return out


def write_manifest(programs: str, compare: str, out: str) -> None:
    wanted = read_compare(compare)
    listed = {p[0]: p for p in linux_ref.read_list(programs)}
    missing = [name for name in wanted if name not in listed]
    if missing:
        raise CompareError(f"{compare}: not in {programs}: {', '.join(missing)}")
    Path(out).write_bytes(linux_ref.manifest([listed[name] for name in wanted]))


def judge(reference: records.Run, run: records.Run, wanted: dict[str, str | None]
          ) -> tuple[list[str], list[str]]:
    """(failures, notes): a listed program that matches when it must differ, or differs when
    it must match, is a failure; the expected differences are notes."""
    failures = [f"m6 run: {p}" for p in run.problems]
    # What m6 has already mounted must answer as mounted (the shim's EBUSY); /proc does
    # not exist on m6 yet.
    failures += [f"m6 run: mount {m}: {run.mounts.get(m, 'not tried')}"
                 for m in MOUNTED if run.mounts.get(m) != "ok"]
    failures += [f"reference run: {p}" for p in reference.problems]
    notes: list[str] = []
    ref = {r.name: r for r in reference.records}
    got = {r.name: r for r in run.records}
    for name, reason in wanted.items():
        if name not in ref:
            failures.append(f"{name}: not in the reference run")
            continue
        if name not in got:
            failures.append(f"{name}: no record from m6")
            continue
        diffs = records.diff_record(ref[name], got[name], "m6")
        if reason is None:
            failures += diffs
        elif not diffs:
            failures.append(f"{name}: matches the reference now, but is listed as expected "
                            f"to differ ({reason}): list it as matching")
        else:
            notes.append(f"{name}: differs as expected ({reason}): {diffs[0]}")
    failures += [f"{name}: not listed in the comparison" for name in got if name not in wanted]
    return failures, notes


def run(args: argparse.Namespace) -> int:
    try:
        wanted = read_compare(args.compare)
        reference = records.load(args.reference)
    except (CompareError, records.RecordError) as e:
        return verdict(TOOL, [f"cannot run: {e}"])
    except OSError as e:
        return verdict(TOOL, [f"cannot run: reference {e.filename}: {e.strerror} "
                              "(ctest linux.reference writes it)"])
    try:
        output, status = run_guest(args.qemu, args.timeout)
    except OSError as e:
        return verdict(TOOL, [f"cannot start QEMU: {e.strerror}"])
    Path(args.log).write_text(output, encoding="utf-8")
    m6run = records.parse_console(output)
    if args.json:
        records.save(m6run, args.json)
    failures, notes = judge(reference, m6run, wanted)
    if status is None:
        failures.append(f"QEMU did not exit within {args.timeout:g} s")
    elif status != 0:
        failures.append(f"QEMU exited {status}")
    for note in notes:
        print(f"{TOOL}: {note}")
    matching = sum(1 for r in wanted.values() if r is None)
    return verdict(TOOL, failures, f"{matching} programs as on Linux, "
                   f"{len(wanted) - matching} differ as expected")


def main(argv: list[str]) -> int:
    if argv[:1] == ["manifest"] and len(argv) == 4:
        try:
            write_manifest(argv[1], argv[2], argv[3])
        except (CompareError, linux_ref.RunnerError) as e:
            print(f"{TOOL}: {e}", file=sys.stderr)
            return 1
        return 0
    ap = argparse.ArgumentParser(prog=TOOL)
    ap.add_argument("mode", choices=["run"])
    ap.add_argument("--reference", required=True)
    ap.add_argument("--compare", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--json")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("qemu", nargs="+")
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
