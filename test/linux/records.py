"""The records of a run of Linux test programs (docs/linux.md, "Records").

test/linux/init.c prints them on the console, whichever kernel runs it (Debian's Linux in
QEMU for the reference; m6's Linux layer later). This module reads them back from the
console text, turns them into JSON and compares two runs program by program.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any

PREFIX = "@@m6rec "
FORMAT = "m6-linux-run/1"
NAME_RE = re.compile(r"[A-Za-z0-9_.+-]{1,64}")
STATUS_RE = re.compile(r"exit (\d{1,3})|signal (\d{1,2})|timeout")


class RecordError(Exception):
    pass


@dataclass
class Record:
    """One program's run: `status` is "exit N", "signal N" or "timeout"."""
    name: str
    argv: list[str] = field(default_factory=list)
    status: str = ""
    stdout: bytes = b""
    stderr: bytes = b""
    truncated: list[str] = field(default_factory=list)


@dataclass
class Run:
    uname: list[str] = field(default_factory=list)  # sysname, release, machine
    mounts: dict[str, str] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    complete: bool = False  # "done" seen and its count matched
    problems: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # how it ran: kernel, time; not compared


def parse_console(text: str) -> Run:
    """The run as the console shows it. Lines without the prefix (kernel messages, QEMU)
    are skipped; anything inconsistent in the records is listed in `problems`."""
    run = Run()
    cur: Record | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not line.startswith(PREFIX):
            continue
        words = line[len(PREFIX):].split(" ")
        kind, args = words[0], words[1:]
        where = f"console line {lineno}"
        if kind == "uname" and len(args) == 3:
            run.uname = args
        elif kind == "mount" and len(args) >= 2:
            run.mounts[args[0]] = " ".join(args[1:])
        elif kind == "begin" and len(args) == 1:
            if cur is not None:
                run.problems.append(f"{where}: '{args[0]}' began before '{cur.name}' ended")
            cur = Record(args[0])
        elif kind in ("stdout", "stderr") and len(args) == 1 and cur is not None:
            try:
                data = base64.b64decode(args[0], validate=True)
            except (binascii.Error, ValueError):
                run.problems.append(f"{where}: {cur.name}: damaged {kind} line")
                continue
            setattr(cur, kind, getattr(cur, kind) + data)
        elif kind == "truncated" and len(args) == 1 and cur is not None:
            cur.truncated.append(args[0])
        elif kind == "status" and cur is not None and STATUS_RE.fullmatch(" ".join(args)):
            cur.status = " ".join(args)
        elif kind == "end" and len(args) == 3 and cur is not None:
            name, out_len, err_len = args
            if name != cur.name:
                run.problems.append(f"{where}: 'end {name}' closes '{cur.name}'")
            elif (str(len(cur.stdout)), str(len(cur.stderr))) != (out_len, err_len):
                run.problems.append(
                    f"{where}: {name}: {len(cur.stdout)}+{len(cur.stderr)} bytes read back, "
                    f"{out_len}+{err_len} announced (a damaged or lost line)")
            elif not cur.status:
                run.problems.append(f"{where}: {name}: no status")
            else:
                run.records.append(cur)
            cur = None
        elif kind == "done" and len(args) == 1:
            if cur is not None:
                run.problems.append(f"{where}: done while '{cur.name}' ran")
            elif args[0] != str(len(run.records)):
                run.problems.append(f"{where}: done {args[0]}, but {len(run.records)} records")
            else:
                run.complete = True
        elif kind == "fatal":
            run.problems.append(f"{where}: init: {' '.join(args)}")
        else:
            run.problems.append(f"{where}: cannot read '{line}'")
    if cur is not None:
        run.problems.append(f"'{cur.name}' never ended (the guest stopped or hung while it ran)")
    elif not run.complete and not run.problems:
        run.problems.append("no 'done' record: the run did not finish")
    return run


def _bytes_json(out: dict[str, Any], key: str, data: bytes) -> None:
    """Text as a string when it is UTF-8 (readable in the file), else base64."""
    try:
        out[key] = data.decode("utf-8")
    except UnicodeDecodeError:
        out[key + "_base64"] = base64.b64encode(data).decode()


def _bytes_from(d: dict[str, Any], key: str) -> bytes:
    if key in d:
        return str(d[key]).encode("utf-8")
    if key + "_base64" in d:
        return base64.b64decode(str(d[key + "_base64"]))
    return b""


def to_json(run: Run) -> dict[str, Any]:
    programs = []
    for r in run.records:
        p: dict[str, Any] = {"name": r.name, "argv": r.argv, "status": r.status}
        _bytes_json(p, "stdout", r.stdout)
        _bytes_json(p, "stderr", r.stderr)
        if r.truncated:
            p["truncated"] = r.truncated
        programs.append(p)
    return {"format": FORMAT, "uname": run.uname, "mounts": run.mounts, "programs": programs,
            "complete": run.complete, "problems": run.problems, "info": run.info}


def from_json(d: dict[str, Any]) -> Run:
    if d.get("format") != FORMAT:
        raise RecordError(f"not a {FORMAT} file (format {d.get('format')!r})")
    try:
        records = [Record(str(p["name"]), [str(a) for a in p.get("argv", [])], str(p["status"]),
                          _bytes_from(p, "stdout"), _bytes_from(p, "stderr"),
                          [str(t) for t in p.get("truncated", [])]) for p in d["programs"]]
        return Run(list(d.get("uname", [])), dict(d.get("mounts", {})), records,
                   bool(d.get("complete")), list(d.get("problems", [])), dict(d.get("info", {})))
    except (KeyError, TypeError, ValueError, binascii.Error) as e:
        raise RecordError(f"malformed {FORMAT} file: {e}") from None


def load(path: str) -> Run:
    try:
        with open(path, encoding="utf-8") as f:
            return from_json(json.load(f))
    except OSError as e:
        raise RecordError(f"{path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise RecordError(f"{path}: not JSON: {e}") from None


def save(run: Run, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(to_json(run), f, indent=1, ensure_ascii=False)
        f.write("\n")


def _show(data: bytes, limit: int = 400) -> str:
    text = data.decode("utf-8", errors="backslashreplace")
    return repr(text if len(text) <= limit else text[:limit] + "...")


def diff_record(want: Record, got: Record, who: str = "got") -> list[str]:
    """How `got` differs from `want` in what is compared: status, stdout, stderr."""
    out = []
    if got.status != want.status:
        out.append(f"{want.name}: status {got.status!r} ({who}), {want.status!r} expected")
    for stream in ("stdout", "stderr"):
        a, b = getattr(want, stream), getattr(got, stream)
        if a == b:
            continue
        al, bl = a.splitlines(keepends=True), b.splitlines(keepends=True)
        i = next((k for k in range(min(len(al), len(bl))) if al[k] != bl[k]), min(len(al), len(bl)))
        first = f"line {i + 1}: {_show(bl[i]) if i < len(bl) else 'nothing'} ({who}), " \
                f"{_show(al[i]) if i < len(al) else 'nothing'} expected"
        out.append(f"{want.name}: {stream} differs ({len(b)} bytes, {len(a)} expected); first at {first}")
    return out


def compare(reference: Run, other: Run, who: str = "m6") -> list[str]:
    """Differences of `other` from `reference`, program by program (matched by name)."""
    out = [f"{who}: {p}" for p in other.problems]
    theirs = {r.name: r for r in other.records}
    for want in reference.records:
        got = theirs.pop(want.name, None)
        if got is None:
            out.append(f"{want.name}: no record ({who})")
        else:
            out += diff_record(want, got, who)
    out += [f"{name}: not in the reference run" for name in theirs]
    return out


def _load_any(path: str) -> Run:
    """A JSON file of this format, or a console log to parse."""
    if path.endswith(".json"):
        return load(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return parse_console(f.read().replace("\r\n", "\n"))
    except OSError as e:
        raise RecordError(f"{path}: {e.strerror}") from None


def main(argv: list[str]) -> int:
    """records.py REFERENCE OTHER: the differences of OTHER's run from REFERENCE's (each a
    .json file or a console log); exit status 1 if there are any."""
    if len(argv) != 2:
        print("usage: records.py REFERENCE OTHER (each a .json file or a console log)",
              file=sys.stderr)
        return 2
    try:
        reference, other = _load_any(argv[0]), _load_any(argv[1])
    except RecordError as e:
        print(f"records: {e}", file=sys.stderr)
        return 2
    diffs = [f"reference: {p}" for p in reference.problems] + compare(reference, other, "other")
    for d in diffs:
        print(f"records: {d}")
    print(f"records: {len(reference.records)} programs, {len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
