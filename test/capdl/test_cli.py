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
