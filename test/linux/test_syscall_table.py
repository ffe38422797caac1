"""scripts/linux_syscall_table.py: the check fails on each kind of disagreement between
syscall_states.txt and syscalls.c, and on a stale document (ctest linux.syscall_table)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
_spec = importlib.util.spec_from_file_location("linux_syscall_table",
                                               ROOT / "scripts/linux_syscall_table.py")
assert _spec and _spec.loader
tbl = importlib.util.module_from_spec(_spec)
sys.modules["linux_syscall_table"] = tbl
_spec.loader.exec_module(tbl)

STATES = """# comment
17 getcwd full
63 read partial: the console reads end of file
64 write full
72 pselect6 ENOSYS
"""
SOURCE = """
enum {
	NR_getcwd = 17,
	NR_read = 63,
	NR_write = 64,
	NR_COUNT = 512,
};
static const handler_fn handlers[NR_COUNT] = {
    [NR_getcwd] = sys_getcwd,
    [NR_read] = sys_read,
    [NR_write] = sys_write,
};
} names[] = {
    {17, "getcwd"},
    {72, "pselect6"},
};
"""


def run(tmp_path: Path, states: str, source: str, write_first: bool = True,
        capsys: pytest.CaptureFixture[str] | None = None) -> tuple[int, str]:
    s, c, d = tmp_path / "states.txt", tmp_path / "syscalls.c", tmp_path / "doc.md"
    s.write_text(STATES)
    c.write_text(SOURCE)
    files = ["--states", str(s), "--source", str(c), "--doc", str(d)]
    if write_first:
        assert tbl.main(["--write", *files]) == 0
    s.write_text(states)
    c.write_text(source)
    rc = tbl.main(["--check", *files])
    err = capsys.readouterr().err if capsys else ""
    return rc, err


def test_consistent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run(tmp_path, STATES, SOURCE, capsys=capsys)
    assert (rc, err) == (0, "")
    doc = (tmp_path / "doc.md").read_text()
    assert "| 63 | `read` | **partial** | the console reads end of file |" in doc
    assert "| 72 | `pselect6` | ENOSYS |  |" in doc
    assert "4 numbers: 2 full, 1 partial, 1 ENOSYS." in doc


def test_stale_doc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run(tmp_path, STATES.replace("64 write full", "64 write partial: x"), SOURCE,
                  capsys=capsys)
    assert rc == 1 and "out of date" in err


def test_missing_doc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run(tmp_path, STATES, SOURCE, write_first=False, capsys=capsys)
    assert rc == 1 and "out of date" in err


def test_handler_without_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run(tmp_path, STATES.replace("64 write full\n", ""), SOURCE, capsys=capsys)
    assert rc == 1 and "NR_write = 64 in syscalls.c has no state" in err


def test_handler_with_enosys_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run(tmp_path, STATES.replace("64 write full", "64 write ENOSYS"), SOURCE,
                  capsys=capsys)
    assert rc == 1 and "64 write has a handler (sys_write) but its state is ENOSYS" in err


def test_state_without_handler(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run(tmp_path, STATES.replace("72 pselect6 ENOSYS", "72 pselect6 full"), SOURCE,
                  capsys=capsys)
    assert rc == 1 and "72 pselect6 is `full` but syscalls.c has no handler" in err


def test_name_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run(tmp_path, STATES.replace("64 write", "64 wrote"), SOURCE, capsys=capsys)
    assert rc == 1 and "NR_write in syscalls.c but wrote in the states" in err
    rc, err = run(tmp_path, STATES, SOURCE.replace('"pselect6"', '"pselect"'), capsys=capsys)
    assert rc == 1 and 'log name {72, "pselect"}' in err


@pytest.mark.parametrize("line", ["64 write", "64 write fine", "64 write partial:",
                                  "x write full", "17 getcwd full"])
def test_bad_states_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str) -> None:
    rc, err = run(tmp_path, STATES.replace("64 write full", line), SOURCE, capsys=capsys)
    assert rc == 1 and err.startswith("linux_syscall_table: ")


def test_unreadable_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = tbl.main(["--check", "--states", str(tmp_path / "none.txt")])
    err = capsys.readouterr().err
    assert rc == 1 and "cannot read" in err and "Traceback" not in err


def test_repository_table_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert tbl.main(["--check"]) == 0, capsys.readouterr().err
