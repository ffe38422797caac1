#!/usr/bin/env python3
"""Check that ktest exercises every kernel invocation both ways.

For each invocation label in kernel/include/uapi/m6/abi/objects.h (M6_TCB_CONFIGURE, ...)
the libm6 wrapper has the same name in lower case (m6_tcb_configure). A test counts as a
positive test of a label when it checks the wrapper succeeds (CHECK_OK/REQUIRE_OK), and as
a negative test when it checks an error (CHECK_ERR with an error other than M6_OK, or
CHECK_FAILS). Prints the table (docs/abi.md carries a copy) and fails if a label lacks
either kind. Syscalls (send, recv, ...) are covered by their own ktest files and not
listed here.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# Labels whose wrapper is named differently or that are exercised without a wrapper.
ALIASES = {
    "M6_DEBUG_CONSOLE_WRITE": "m6_debug_write",
    "M6_POWER_CONTROL": "m6_power_off",
    "M6_SYSTEM_INFO_MEMORY": "m6_sysinfo_memory",
    "M6_SYSTEM_INFO_THREAD": "m6_sysinfo_thread",
    "M6_SYSTEM_INFO_BOOT": "m6_sysinfo_boot",
    "M6_SYSTEM_INFO_CPU_ID": "m6_sysinfo_cpu_id",
    "M6_SYSTEM_INFO_CPU": "m6_sysinfo_cpu",
}
# Positive cases exercised outside ktest: every QEMU test ends by powering off.
POSITIVE_ELSEWHERE = {"M6_POWER_CONTROL": "every QEMU test's final power-off"}


def labels(objects_h: Path) -> list[str]:
    text = objects_h.read_text(encoding="utf-8")
    body = text[text.index("enum m6_label"):]
    body = body[: body.index("};")]
    return re.findall(r"^\s*(M6_[A-Z0-9_]+)\s*=", body, re.MULTILINE)


def tests(sources: list[Path]) -> dict[str, str]:
    """Test name -> body."""
    found: dict[str, str] = {}
    for src in sources:
        text = src.read_text(encoding="utf-8")
        for match in re.finditer(r"^TEST\((\w+)\)\n\{\n(.*?)^\}", text, re.MULTILINE | re.DOTALL):
            found[match.group(1)] = match.group(2)
    return found


def classify(body: str, wrapper: str) -> tuple[bool, bool]:
    call = re.escape(wrapper) + r"\("
    positive = re.search(r"(CHECK_OK|REQUIRE_OK)\(\s*" + call, body) is not None
    negative = (re.search(r"CHECK_FAILS\(\s*" + call, body) is not None or
                re.search(r"CHECK_ERR\(\s*" + call + r"[^;]*,\s*M6_ERR_", body) is not None)
    return positive, negative


# Labels the invocation fuzzers' shared list leaves out: singletons a fuzzer does not own or
# only one of them may call, and TCB_RESUME (a scratch thread at a random pc only faults).
NOT_FUZZED_AS_OBJECT = {"M6_DEBUG_CONSOLE_WRITE", "M6_POWER_CONTROL", "M6_TCB_RESUME",
                        "M6_SYSTEM_INFO_MEMORY", "M6_SYSTEM_INFO_THREAD", "M6_SYSTEM_INFO_BOOT",
                        "M6_SYSTEM_INFO_CPU_ID", "M6_SYSTEM_INFO_CPU", "M6_ASID_CONTROL_MAKE_POOL",
                        # IOSpaceControl: a singleton only the bus component holds.
                        "M6_IOSPACE_CONTROL_BIND", "M6_IOSPACE_CONTROL_SET_NOTIFICATION",
                        "M6_IOSPACE_CONTROL_READ_FAULT", "M6_IOSPACE_CONTROL_INFO"}


def unfuzzed(root: Path, all_labels: list[str]) -> list[str]:
    """Labels neither in test/common/fuzz_labels.h nor deliberately left out."""
    text = (root / "test/common/fuzz_labels.h").read_text(encoding="utf-8")
    listed = set(re.findall(r"\b(M6_[A-Z0-9_]+)\b", text.split("#define M6_FUZZ_OBJECT_LABELS", 1)[1]))
    return [label for label in all_labels if label not in listed and label not in NOT_FUZZED_AS_OBJECT]


def update_docs(doc: Path, rows: list[str]) -> None:
    """Replace the fenced block that starts with the table's header line."""
    lines = doc.read_text().split("\n")
    start = lines.index(rows[0])
    end = lines.index("```", start)
    lines[start:end] = rows
    doc.write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--update-docs", action="store_true",
                        help="rewrite the copy of the table in docs/abi.md")
    args = parser.parse_args()
    root: Path = args.root
    all_tests = tests(sorted((root / "test/ktest").glob("t_*.c")))
    missing = []
    rows = [f"{'invocation':34} {'positive tests':>14} {'negative tests':>14}"]
    for label in labels(root / "kernel/include/uapi/m6/abi/objects.h"):
        wrapper = ALIASES.get(label, label.lower())
        pos = sorted(t for t, b in all_tests.items() if classify(b, wrapper)[0])
        neg = sorted(t for t, b in all_tests.items() if classify(b, wrapper)[1])
        rows.append(f"{label:34} {len(pos):14} {len(neg):14}   e.g. {(pos or ['-'])[0]}, {(neg or ['-'])[0]}")
        if not pos and label in POSITIVE_ELSEWHERE:
            pos = [POSITIVE_ELSEWHERE[label]]
        if not pos or not neg:
            missing.append(label)
    print("\n".join(rows))
    if args.update_docs:
        update_docs(root / "docs/abi.md", rows)
    not_fuzzed = unfuzzed(root, labels(root / "kernel/include/uapi/m6/abi/objects.h"))
    if not_fuzzed:
        print("ktest coverage: not in test/common/fuzz_labels.h (nor left out on purpose): "
              + ", ".join(not_fuzzed))
        return 1
    if missing:
        print("ktest coverage: missing a positive or a negative test: " + ", ".join(missing))
        return 1
    print(f"ktest coverage: every invocation has positive and negative tests ({len(all_tests)} tests read)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError) as exc:
        print(f"coverage: {exc}", file=sys.stderr)
        sys.exit(2)
