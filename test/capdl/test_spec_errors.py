"""Every spec in specs/invalid/ fails `check` with exactly the stderr in its .expected
sidecar; valid specs pass, with the warnings they deserve."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import HELLO, run

INVALID = Path(__file__).resolve().parent / "specs" / "invalid"
SPECS = sorted(INVALID.glob("*.m6"))


def test_there_are_enough_invalid_specs() -> None:
    assert len(SPECS) >= 60
    for spec in SPECS:
        assert spec.with_suffix(".expected").is_file(), f"{spec.name} has no .expected file"


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_invalid_spec(spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Diagnostics name the spec as given on the command line: run from its directory.
    monkeypatch.chdir(spec.parent)
    result = run("check", spec.name)
    assert result.status == 1
    assert result.stderr == spec.with_suffix(".expected").read_text()


def _check_text(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "spec.m6"
    path.write_text(text)
    result = run("check", str(path))
    return result.status, result.stderr.replace(str(path), "spec.m6")


def test_hello_is_clean() -> None:
    result = run("check", str(HELLO))
    assert (result.status, result.stderr) == (0, "")


def test_unused_endpoint_is_a_warning(tmp_path: Path) -> None:
    status, err = _check_text(tmp_path, """system s on qemu-virt {
    component a {
        binary "a"
        priority 1
        endpoint lonely
    }
}
""")
    assert status == 0
    assert err == """spec.m6:5:18: warning: endpoint 'lonely' of component 'a' is never called or sent to
    5 |         endpoint lonely
      |                  ^~~~~~
hint: grant it with 'call a.lonely as NAME' in a client
"""


def test_allowed_corner_cases(tmp_path: Path) -> None:
    # Calling one's own endpoint; two clients using the same non-zero badge; a send cap
    # without badge; the largest badge; priority bounds; hex numbers; all units; the
    # largest stack that fits; keywords used as names; comments everywhere.
    status, err = _check_text(tmp_path, """/* header */ system s on qemu-virt { // c
    component server { binary "server-1.elf" priority 0 endpoint ep endpoint binary
                       call server.ep as SELF_LOOP stack 56 KiB }
    component c1 { binary "c1" priority 255 call server.ep as S badge 5 send server.binary as B }
    component c2 { binary "c2" priority 0x10 call server.ep as S badge 5
                   send server.ep as S2 badge 0xffffffffffffffff stack 4096 B }
    component c3 { binary "c3" priority 1 stack 1 MiB }
}
""")
    assert status == 0, err  # 1 MiB is the largest stack and fits above the IPC buffer
    status, err = _check_text(tmp_path, """/* header */ system s on qemu-virt { // c
    component server { binary "server-1.elf" priority 0 endpoint ep endpoint binary
                       call server.ep as SELF_LOOP stack 56 KiB }
    component c1 { binary "c1" priority 255 call server.ep as S badge 5 send server.binary as B }
    component c2 { binary "c2" priority 0x10 call server.ep as S badge 5
                   send server.ep as S2 badge 0xffffffffffffffff stack 4096 B }
    // One binary, two components: same caps in the same order, so one m6_caps.h fits both.
    component w1 { binary "worker" priority 3 call server.ep as S badge 1 }
    component w2 { binary "worker" priority 4 call server.ep as S badge 2 }
}
""")
    assert (status, err) == (0, "")


def test_missing_spec_file(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "nope.m6"))
    assert result.status == 1
    assert result.stderr == f"m6-capdl: error: {tmp_path / 'nope.m6'}: cannot read: No such file or directory\n"


def test_platform_dir_override(tmp_path: Path) -> None:
    (tmp_path / "plats" / "board-x").mkdir(parents=True)
    spec = tmp_path / "s.m6"
    spec.write_text('system s on board-x { component a { binary "a" priority 1 } }\n')
    assert run("check", str(spec), "--platform-dir", str(tmp_path / "plats")).status == 0
    result = run("check", str(spec))
    assert result.status == 1 and "unknown platform 'board-x'" in result.stderr
