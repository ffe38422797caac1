"""`m6-capdl build`: boot tables, boot image, manifest, from the hello spec and real ELFs."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import HELLO, REPO, run
from elfgen import PF_R, PF_W, PF_X, Seg, code, make_elf

PAGE = 4096


@pytest.fixture
def built(fixture_elf: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    result = run("build", str(HELLO), "--elf", f"ping={fixture_elf}", "--elf", f"pong={fixture_elf}",
                 "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    return out


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_outputs_exist(built: Path) -> None:
    names = sorted(str(p.relative_to(built)) for p in built.rglob("*") if p.is_file())
    assert names == ["boot_image.S", "boot_image.bin", "boot_tables.c", "include/m6_system.h",
                     "include/ping/m6_caps.h", "include/pong/m6_caps.h", "manifest.json"]


def test_objects(built: Path) -> None:
    objects = _manifest(built)["objects"]
    pong = [o for o in objects if o["name"].startswith("pong.")]
    ping = [o for o in objects if o["name"].startswith("ping.")]
    # The system's ASID pool (one ASID per component's VSpace) before the VSpaces, then
    # the components in declaration order.
    assert objects[0] == {"index": 0, "name": "system.asid_pool", "type": "M6_OBJ_ASID_POOL", "size_bits": 2}
    assert objects[1:] == pong + ping
    assert all(o["asid_pool"] == "system.asid_pool" for o in objects if o["type"] == "M6_OBJ_VSPACE")
    assert [o["name"] for o in pong[:4]] == ["pong.tcb", "pong.cnode", "pong.vspace", "pong.ep_ep"]
    assert [o["name"] for o in ping[:3]] == ["ping.tcb", "ping.cnode", "ping.vspace"]
    for comp in (pong, ping):
        kinds = [o["type"] for o in comp]
        # image: text, rodata, data, 2 bss pages; IPC buffer; 4 stack pages
        assert kinds.count("M6_OBJ_FRAME") == 5 + 1 + 4
        assert kinds.count("M6_OBJ_PAGE_TABLE") == 4  # L1, L2, L3 for 0x400000 and 0x3fe00000
        assert kinds.count("M6_OBJ_TCB") == kinds.count("M6_OBJ_CNODE") == kinds.count("M6_OBJ_VSPACE") == 1
    assert [o["type"] for o in pong].count("M6_OBJ_ENDPOINT") == 1
    assert [o["type"] for o in ping].count("M6_OBJ_ENDPOINT") == 0
    assert next(o for o in objects if o["name"] == "ping.cnode")["size_bits"] == 6
    assert all(o["size_bits"] == 12 for o in objects if o["type"] == "M6_OBJ_FRAME")


def test_page_tables_then_frames(built: Path) -> None:
    maps = [m for m in _manifest(built)["mappings"] if m["vspace"] == "ping.vspace"]
    tables = [(m["level"], m["vaddr"], m["object"]) for m in maps[:4]]
    assert tables == [(1, 0, "ping.pt1@0x0"), (2, 0, "ping.pt2@0x0"),
                      (3, 0x400000, "ping.pt3@0x400000"), (3, 0x3FE00000, "ping.pt3@0x3fe00000")]
    frames = maps[4:]
    assert all(m["level"] == 3 and m["object"].startswith("ping.frame@") for m in frames)
    assert [m["vaddr"] for m in frames] == [0x400000, 0x401000, 0x402000, 0x403000, 0x404000,
                                            0x3FE00000, 0x3FFFC000, 0x3FFFD000, 0x3FFFE000, 0x3FFFF000]
    # Globally too: no frame mapping comes before a page table mapping.
    all_maps = _manifest(built)["mappings"]
    first_frame = next(i for i, m in enumerate(all_maps) if ".frame@" in m["object"])
    assert all(".frame@" in m["object"] for m in all_maps[first_frame:])


def test_frame_sources_and_rights(built: Path, fixture_elf: Path) -> None:
    ping = next(c for c in _manifest(built)["components"] if c["name"] == "ping")
    frames = {f["vaddr"]: f for f in ping["memory_map"]["frames"]}
    expect = {
        0x400000: ("M6_BT_FRAME_IN_PLACE", ["M6_RIGHT_READ", "M6_RIGHT_EXECUTE"]),   # .text
        0x401000: ("M6_BT_FRAME_IN_PLACE", ["M6_RIGHT_READ"]),                       # .rodata
        0x402000: ("M6_BT_FRAME_COPY", ["M6_RIGHT_READ", "M6_RIGHT_WRITE"]),         # .data
        0x403000: ("M6_BT_FRAME_ZERO", ["M6_RIGHT_READ", "M6_RIGHT_WRITE"]),         # .bss
        0x404000: ("M6_BT_FRAME_ZERO", ["M6_RIGHT_READ", "M6_RIGHT_WRITE"]),         # .bss
        0x3FE00000: ("M6_BT_FRAME_ZERO", ["M6_RIGHT_READ", "M6_RIGHT_WRITE"]),       # IPC buffer
    }
    for vaddr, (source, rights) in expect.items():
        assert (frames[vaddr]["source"], frames[vaddr]["rights"]) == (source, rights), hex(vaddr)
    image = (built / "boot_image.bin").read_bytes()
    # Both components use the same ELF: its three image pages are stored once; ping's
    # `args` add the top page of its stack.
    assert len(image) == 4 * PAGE == _manifest(built)["image_pages"] * PAGE
    rodata = image[frames[0x401000]["image_page"] * PAGE:][:PAGE]
    assert rodata.startswith(b"hello from rodata\0")
    data = image[frames[0x402000]["image_page"] * PAGE:][:PAGE]
    assert data[:4] == (42).to_bytes(4, "little")
    assert frames[0x403000]["image_page"] is None
    # The argument block (struct m6_args) ends ping's stack: argc, argv[0..1], NULL, then
    # the strings; the main thread starts with sp and x1 at its first byte.
    top = frames[0x3FFFF000]
    assert (top["source"], top["rights"]) == ("M6_BT_FRAME_COPY", ["M6_RIGHT_READ", "M6_RIGHT_WRITE"])
    page = image[top["image_page"] * PAGE:][:PAGE]
    block = page[-48:]
    base = 0x40000000 - 48
    words = [int.from_bytes(block[i:i + 8], "little") for i in range(0, 32, 8)]
    assert words == [2, base + 32, base + 37, 0]
    assert block[32:42] == b"ping\x001000\x00" and not any(page[:-48]) and not any(block[42:])
    threads = {t["name"]: t for c in _manifest(built)["components"] for t in c["threads"]}
    assert threads["ping.main"]["stack_pointer"] == threads["ping.main"]["arg"] == base
    # pong has no args: its stack's top page is zero-fill and its main gets x1 = 0
    assert threads["pong.main"]["arg"] == 0 and threads["pong.main"]["stack_pointer"] == 0x40000000
    pong_top = next(f for c in _manifest(built)["components"] if c["name"] == "pong"
                    for f in c["memory_map"]["frames"] if f["vaddr"] == 0x3FFFF000)
    assert pong_top["source"] == "M6_BT_FRAME_ZERO"


def test_caps_and_threads(built: Path) -> None:
    m = _manifest(built)
    assert (m["system"], m["platform"]) == ("hello", "qemu-virt")
    ping = next(c for c in m["components"] if c["name"] == "ping")
    slots = {s["name"]: s for s in ping["slots"]}
    assert [s["slot"] for s in ping["slots"]] == [1, 2, 3, 4, 5, 6]
    assert slots["M6_CAP_SELF_CNODE"]["object"] == "ping.cnode"
    assert slots["CAP_PONG"] == {"slot": 4, "name": "CAP_PONG", "type": "M6_OBJ_ENDPOINT",
                                 "object": "pong.ep_ep", "rights": ["M6_RIGHT_WRITE", "M6_RIGHT_GRANT_REPLY"],
                                 "badge": 7}
    assert slots["CAP_POWER"]["object"] is None and slots["CAP_POWER"]["type"] == "M6_OBJ_POWER"
    pong = next(c for c in m["components"] if c["name"] == "pong")
    assert {s["name"]: s["rights"] for s in pong["slots"]}["CAP_EP"] == ["M6_RIGHT_READ"]
    assert ping["threads"] == [{"name": "ping.main", "priority": 100, "max_priority": 100,
                                "entry": 0x400000, "stack_pointer": 0x40000000 - 48,
                                "arg": 0x40000000 - 48, "stack_size": 0x4000,
                                "ipc_buffer_vaddr": 0x3FE00000, "flags": [], "fault_endpoint": None,
                                "fault_badge": 0, "start": True, "cpu": 0}]
    assert pong["memory_map"]["stack_guard_page"] == 0x40000000 - 0x4000 - PAGE


def test_boot_tables_c(built: Path) -> None:
    text = (built / "boot_tables.c").read_text()
    for include in ("<kernel/boot_tables.h>", "<m6/abi/objects.h>", "<m6/abi/message.h>"):
        assert f"#include {include}" in text
    assert "extern const uint8_t m6_boot_image[];" in text
    assert "const struct m6_boot_tables m6_boot_tables = {" in text
    assert ".image = m6_boot_image," in text and ".image_pages = 4," in text
    cnode = next(o["index"] for o in _manifest(built)["objects"] if o["name"] == "ping.cnode")
    assert f"{{ {cnode}, 1, M6_OBJ_CNODE, {cnode}, M6_RIGHTS_ALL, 58, 0x0ull }}" in text
    ep = next(o["index"] for o in _manifest(built)["objects"] if o["name"] == "pong.ep_ep")
    assert f"{{ {cnode}, 4, M6_OBJ_ENDPOINT, {ep}, M6_RIGHT_WRITE | M6_RIGHT_GRANT_REPLY, 0, 0x7ull }}" in text
    # ASIDPool: its count in size_bits; VSpace: its pool's index in `source`
    assert '[0] = { "system.asid_pool", M6_OBJ_ASID_POOL, 2, 0, 0, 0x0ull },' in text
    assert re.search(r'\[\d+\] = \{ "ping\.vspace", M6_OBJ_VSPACE, 0, 0, 0, 0x0ull \}', text)
    assert re.search(r'\[\d+\] = \{ "pong\.frame@0x401000", M6_OBJ_FRAME, 12, M6_BT_FRAME_IN_PLACE, \d+, 0x0ull \}', text)
    assert "M6_OBJ_POWER, M6_BT_NO_OBJECT, M6_RIGHT_WRITE" in text
    asm = (built / "boot_image.S").read_text()
    assert '.section .rodata.m6_boot_image,"a"' in asm and ".balign 4096" in asm
    assert f'.incbin "{(built / "boot_image.bin").resolve()}"' in asm
    assert ".global m6_boot_image" in asm


def test_generated_sources_compile(built: Path, clang: str, layout_include: Path) -> None:
    inc = REPO / "kernel" / "include"
    if not (inc / "kernel" / "boot_tables.h").is_file():
        pytest.skip("kernel headers not present")
    # The ABI headers (<m6/abi/...>) live in kernel/include/uapi, shared with libm6.
    includes = [f"-I{inc}"] + [f"-I{inc / 'uapi'}"] * (inc / "uapi").is_dir()
    base = [clang, "--target=aarch64-none-elf", "-ffreestanding", "-c"]
    checks = [
        base + ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", *includes,
                str(built / "boot_tables.c"), "-o", str(built / "bt.o")],
        base + [str(built / "boot_image.S"), "-o", str(built / "bi.o")],
    ]
    for comp in ("ping", "pong"):
        src = built / f"use_{comp}.c"
        src.write_text('#include "m6_caps.h"\nstatic const unsigned long caps[] = M6_THREAD_CAPS;\n'
                       'int slot(void) { return (int)caps[0] + M6_CAP_SELF_CNODE + M6_CSPACE_RADIX; }\n')
        checks.append(base + ["-Wall", "-Werror", f"-I{built / 'include' / comp}", f"-I{layout_include}", str(src),
                              "-o", str(built / f"use_{comp}.o")])
    for cmd in checks:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
    assert (built / "bi.o").stat().st_size > 3 * PAGE


def test_rebuild_keeps_unchanged_files(built: Path, fixture_elf: Path) -> None:
    stamps = {}
    for path in built.rglob("*"):
        if path.is_file():
            path.touch()
            stamps[path] = path.stat().st_mtime_ns
    assert run("build", str(HELLO), "--elf", f"ping={fixture_elf}", "--elf", f"pong={fixture_elf}",
               "--out", str(built)).status == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_synthetic_elf_layout(tmp_path: Path) -> None:
    # No clang needed: a hand-made ELF with code, a zero read-only page, data and bss.
    elf = tmp_path / "p.elf"
    elf.write_bytes(make_elf([
        Seg(0x400000, PF_R | PF_X, code(64)),
        Seg(0x401000, PF_R, b"\0" * 16, 2 * PAGE),   # read-only zeros: still IN_PLACE
        Seg(0x403000, PF_R | PF_W, b"\0" * 8 + b"\1", 3 * PAGE),  # COPY, then 2 ZERO
        Seg(0x406000, PF_R | PF_W, b"\0" * 8, 8),  # writable but all zero: ZERO
    ], entry=0x400010))
    out = tmp_path / "out"
    result = run("build", str(HELLO), "--elf", f"ping={elf}", "--elf", f"pong={elf}", "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    m = _manifest(out)
    ping = next(c for c in m["components"] if c["name"] == "ping")
    sources = {f["vaddr"]: f["source"].removeprefix("M6_BT_FRAME_") for f in ping["memory_map"]["frames"]}
    assert sources == {0x400000: "IN_PLACE", 0x401000: "IN_PLACE", 0x402000: "IN_PLACE",
                       0x403000: "COPY", 0x404000: "ZERO", 0x405000: "ZERO", 0x406000: "ZERO",
                       0x3FE00000: "ZERO", 0x3FFFC000: "ZERO", 0x3FFFD000: "ZERO",
                       0x3FFFE000: "ZERO", 0x3FFFF000: "COPY"}  # the top of the stack holds the args
    assert ping["threads"][0]["entry"] == 0x400010
    # Pages: code, one zero page shared by 0x401000 and 0x402000, the COPY page, and
    # ping's args at the top of its stack.
    assert m["image_pages"] == 4
    frames = {f["vaddr"]: f for f in ping["memory_map"]["frames"]}
    assert frames[0x401000]["image_page"] == frames[0x402000]["image_page"]
    # Each mapping has its own frame object even when image pages are shared.
    assert len({mp["object"] for mp in m["mappings"]}) == len(m["mappings"])


def test_stack_size_in_layout(tmp_path: Path) -> None:
    elf = tmp_path / "p.elf"
    elf.write_bytes(make_elf([Seg(0x400000, PF_R | PF_X, code())]))
    spec = tmp_path / "s.m6"
    spec.write_text('system s on qemu-virt { component a { binary "a" priority 7 stack 56 KiB } }\n')
    assert run("build", str(spec), "--elf", f"a={elf}", "--out", str(tmp_path / "o")).status == 0
    a = _manifest(tmp_path / "o")["components"][0]
    stack = [f["vaddr"] for f in a["memory_map"]["frames"] if f["vaddr"] >= 0x3FFF1000]
    assert stack == list(range(0x40000000 - 56 * 1024, 0x40000000, PAGE))
    assert a["memory_map"]["stack_guard_page"] == 0x3FFF1000  # just above the IPC buffer, unmapped
    assert 0x3FFF1000 not in [f["vaddr"] for f in a["memory_map"]["frames"]]


def test_records_are_written_as_plain_lists_are() -> None:
    """manifest() marks its tables of records (emit.Records) so that json_text need not
    look into every record: the text must be what the same plain lists give."""
    from m6capdl import emit

    records = [{"slot": 1, "name": "CAP_\"X\"", "rights": ["R", "W"], "badge": None}, {"slot": 2}]
    regions = [{"name": "heap", "regs": []}, {"name": "uart", "regs": [{"vaddr": 1}, {"vaddr": 2}]}]
    plain = {"a": records, "empty": [], "nested": {"t": records, "r": regions}, "n": 3}
    marked = {"a": emit.Records(records), "empty": emit.Records(), "nested": {"t": emit.Records(records),
                                                                              "r": regions}, "n": 3}
    text = emit.json_text(plain)
    assert emit.json_text(marked) == text
    assert json.loads(text) == plain
    assert '\n  "a": [\n    {"slot": 1, "name": "CAP_\\"X\\"", "rights": ["R", "W"], "badge": null},\n' in text
    assert emit.json_text({"only": emit.Records()}) == emit.json_text({"only": []})
