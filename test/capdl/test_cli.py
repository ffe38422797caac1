"""The command line as users and the build see it: the wrapper script, --help, exit
statuses, and the promise that no traceback ever escapes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import HELLO, REPO, run
from m6capdl import cli, parser

WRAPPER = REPO / "capdl" / "m6-capdl"


def _wrapper(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(WRAPPER), *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_wrapper_check(tmp_path: Path) -> None:
    proc = _wrapper("check", str(HELLO), cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_wrapper_reports_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "bad.m6"
    spec.write_text("system s on qemu-virt { component a { binary \"a\" priority 999 } }\n")
    proc = _wrapper("check", "bad.m6", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("bad.m6:1:59: error: priority 999 is out of range\n")


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["headers", "--help"], ["build", "--help"]])
def test_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 0
    assert "usage: m6-capdl" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert cli.main(["headers", str(HELLO)]) == 2  # --out is required
    assert "usage:" in capsys.readouterr().err


def test_internal_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(text: str) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(parser, "parse", boom)
    result = run("check", str(HELLO))
    assert (result.status, result.stderr) == (2, "m6-capdl: internal error: RuntimeError: simulated bug\n")


def test_non_utf8_spec(tmp_path: Path) -> None:
    spec = tmp_path / "s.m6"
    spec.write_bytes(b"system \xff on qemu-virt {}")
    result = run("check", str(spec))
    assert (result.status, result.stderr) == (1, f"m6-capdl: error: {spec}: not UTF-8 text (byte 7)\n")


FAILING_ASSERTION = """system s on qemu-virt {
    component vault { binary "vault" priority 5 endpoint secrets }
    component broker { binary "broker" priority 4 call vault.secrets as V call app.inbox as A grant }
    component app { binary "app" priority 3 endpoint inbox }
    assert app cannot reach vault
}
"""


def test_why_and_graph_work_despite_a_failing_assertion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # That is when `why` is needed: the failure is reported (status 1), the answer given.
    spec = tmp_path / "s.m6"
    spec.write_text(FAILING_ASSERTION)
    check = run("check", str(spec))
    assert check.status == 1 and "error: assertion failed: 'app' can reach component 'vault'" in check.stderr
    capsys.readouterr()
    why = run("why", str(spec), "app", "vault.secrets")
    assert why.status == 1 and why.stderr == check.stderr
    out = capsys.readouterr().out
    assert out.startswith("'app' can reach 'vault.secrets':\n") and "broker" in out
    graph = run("graph", str(spec), "--dot", str(tmp_path / "g.dot"))
    assert graph.status == 1 and graph.stderr == check.stderr
    assert '"broker" -> "app.inbox"' in (tmp_path / "g.dot").read_text()
    # Any other error still stops them.
    spec.write_text(FAILING_ASSERTION.replace("priority 3", "priority 300"))
    assert run("why", str(spec), "app", "vault").status == 1
    assert capsys.readouterr().out == ""


def test_output_errors_are_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    result = run("headers", str(HELLO), "--out", str(blocker))
    assert result.status == 1
    assert result.stderr == (f"m6-capdl: error: cannot write {blocker}/include/pong/m6_caps.h: "
                             f"{blocker} is not a directory\n")
    result = run("graph", str(HELLO), "--dot", str(blocker / "x.dot"))
    assert (result.status, result.stderr) == (
        1, f"m6-capdl: error: cannot write {blocker / 'x.dot'}: {blocker} is not a directory\n")
    (tmp_path / "dir.dot").mkdir()
    result = run("graph", str(HELLO), "--dot", str(tmp_path / "dir.dot"))
    assert result.status == 1
    assert result.stderr.startswith(f"m6-capdl: error: cannot write {tmp_path / 'dir.dot'}: ")
