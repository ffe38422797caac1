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
    # A spec may need options (--file KEY=PATH): its .args sidecar gives them.
    args = spec.with_suffix(".args")
    extra = args.read_text().split() if args.is_file() else []
    result = run("check", spec.name, *extra)
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
    # Calling one's own endpoint; two clients using the same non-zero badge (a warning only:
    # replicas may mean it); a send cap without badge; the largest badge; priority bounds; hex numbers; all units; the
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
    assert err.count("warning:") == 1 and "'c2' and 'c1' both hold caps to server.ep with badge 5" in err
    status, err = _check_text(tmp_path, """/* header */ system s on qemu-virt { // c
    component server { binary "server-1.elf" priority 0 endpoint ep endpoint binary
                       call server.ep as SELF_LOOP stack 56 KiB }
    component c1 { binary "c1" priority 255 call server.ep as S badge 5 send server.binary as B }
    component c2 { binary "c2" priority 0x10 call server.ep as S badge 6
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


def test_notification_never_signalled_is_a_warning(tmp_path: Path) -> None:
    status, err = _check_text(tmp_path, """system s on qemu-virt {
    component a { binary "a" priority 1 notification idle }
}
""")
    assert status == 0
    assert err == """spec.m6:2:54: warning: notification 'idle' of component 'a' is never signalled
    2 |     component a { binary "a" priority 1 notification idle }
      |                                                      ^~~~
hint: no component holds 'signal a.idle', and 'a' has nothing else that could signal it (a second thread, \
an IRQ, a timer, an untyped pool, a cap it can pass with grant): grant one with 'signal a.idle as NAME badge 1' \
in another component
"""


@pytest.mark.parametrize("source", [
    "component b { binary \"b\" priority 1 endpoint ep signal a.n as N badge 1 }",  # someone signals it
    "component b { binary \"b\" priority 1 endpoint ep }",                   # or one of these in 'a':
], ids=["signalled", "alone"])
@pytest.mark.parametrize("extra", [
    "", "thread t { entry \"t\" priority 1 }", "irq 40 as I", "timer tick", "untyped pool 4 KiB",
    "syscap irq_control", "call b.ep as B grant", "device uart \"/pl011@9000000\"",
], ids=["nothing", "thread", "irq", "timer", "untyped", "irq_control", "grant", "device"])
def test_notification_that_can_be_signalled_is_quiet(tmp_path: Path, source: str, extra: str) -> None:
    status, err = _check_text(tmp_path, f"""system s on qemu-virt {{
    component a {{ binary "a" priority 1 notification n {extra} }}
    {source}
}}
""")
    quiet = "signal a.n" in source or extra != ""
    assert status == 0, err
    assert ("never signalled" not in err) == quiet, err


def test_notification_signalled_through_a_grant_to_its_owner_is_quiet(tmp_path: Path) -> None:
    # 'b' can pass 'a' an IRQ handler (or any cap) through a.ep: 'a' may bind it to n.
    status, err = _check_text(tmp_path, """system s on qemu-virt {
    component a { binary "a" priority 1 notification n endpoint ep }
    component b { binary "b" priority 1 call a.ep as A grant syscap irq_control }
}
""")
    assert (status, err) == (0, "")


def test_untyped_of_linux_component_is_a_warning(tmp_path: Path) -> None:
    status, err = _check_text(tmp_path, """system s on qemu-virt {
    component shim { binary "shim" priority 2 endpoint sys }
    component lx { binary "lx" priority 1 linux fault shim.sys untyped pool 64 KiB }
}
""")
    assert status == 0
    assert err == """spec.m6:3:72: warning: untyped 'pool' of component 'lx' can never be used
    3 |     component lx { binary "lx" priority 1 linux fault shim.sys untyped pool 64 KiB }
      |                                                                        ^~~~
hint: every thread of 'lx' runs the Linux ABI: its system calls go to its fault handler, so it cannot invoke a cap
"""
    # One native thread is enough to use the pool.
    status, err = _check_text(tmp_path, """system s on qemu-virt {
    component shim { binary "shim" priority 2 endpoint sys }
    component lx { binary "lx" priority 1 linux fault shim.sys untyped pool 64 KiB
                   thread helper { entry "helper" priority 1 } }
}
""")
    assert (status, err) == (0, "")


def test_devices_of_one_component_may_share_a_page(tmp_path: Path) -> None:
    # virtio-mmio slots are 0x200 apart: slots 0 and 1 share a page, mapped once.
    status, err = _check_text(tmp_path, """system s on qemu-virt {
    component blk { binary "blk" priority 200 device d0 "/virtio_mmio@a000000" device d1 "/virtio_mmio@a000200" }
}
""")
    assert (status, err) == (0, "")


def test_invisible_characters_are_shown_as_code_points(tmp_path: Path) -> None:
    path = tmp_path / "spec.m6"
    path.write_bytes(b'\xef\xbb\xbfsystem s on qemu-virt { component a { binary "a" priority 1 } }\n')
    result = run("check", str(path))
    assert result.status == 1
    lines = result.stderr.replace(str(path), "spec.m6").splitlines()
    assert lines[0] == "spec.m6:1:1: error: unexpected character U+FEFF (zero width no-break space)"
    assert lines[-1] == "hint: the file starts with a byte-order mark: save it as UTF-8 without one"
    status, err = _check_text(tmp_path, 'system s on qemu-virt { component a { binary "a" \0 priority 1 } }\n')
    assert status == 1 and err.startswith("spec.m6:1:50: error: unexpected character U+0000\n")
    status, err = _check_text(tmp_path, 'system s on qemu-virt { component a { binary "a" \u00e9 } }\n')
    assert status == 1 and err.startswith("spec.m6:1:50: error: unexpected character '\u00e9' (U+00E9)\n")


def test_long_include_chain(tmp_path: Path) -> None:
    # Each file includes the next: no recursion limit, and the last one's component is found.
    depth = 1200
    for i in range(depth):
        (tmp_path / f"part{i}.m6").write_text(f'include "part{i + 1}.m6"\n')
    (tmp_path / f"part{depth}.m6").write_text('component deep { binary "deep" priority 1 }\n')
    spec = tmp_path / "top.m6"
    spec.write_text('system s on qemu-virt {\n    include "part0.m6"\n'
                    '    component top { binary "top" priority 1 call top.ep as SELF endpoint ep }\n}\n')
    result = run("check", str(spec))
    assert (result.status, result.stderr) == (0, "")
    # A cycle deep down is still reported where it closes.
    (tmp_path / f"part{depth}.m6").write_text('include "part0.m6"\n')
    result = run("check", str(spec))
    assert result.status == 1
    assert result.stderr.startswith(f"{tmp_path / f'part{depth}.m6'}:1:9: error: include cycle: "
                                    f"\"part0.m6\" is already being included\n")
