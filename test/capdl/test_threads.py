"""Threads, untyped pools, notifications and fault handlers, from spec to boot tables."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, run

SPEC = Path(__file__).resolve().parent / "specs" / "valid" / "threads.m6"
MIB = 1024 * 1024


@pytest.fixture
def built(threads_elf: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    result = run("build", str(SPEC), "--elf", f"prog={threads_elf}", "--elf", f"handler={threads_elf}",
                 "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    return out


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def _symbol(elf: Path, name: str) -> int:
    from elftools.elf.elffile import ELFFile
    with open(elf, "rb") as f:
        sym = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)[0]
        return sym["st_value"]


def test_untyped_pools_come_first_largest_first(built: Path) -> None:
    objects = _manifest(built)["objects"]
    assert [(o["name"], o["type"], o["size_bits"]) for o in objects[:2]] == [
        ("ktest.untyped_pool", "M6_OBJ_UNTYPED", 20), ("ktest.untyped_small", "M6_OBJ_UNTYPED", 12)]
    assert not any(o["type"] == "M6_OBJ_UNTYPED" for o in objects[2:])
    names = [o["name"] for o in objects]
    assert names[2] == "system.asid_pool"  # then the ASID pools
    assert names[3:9] == ["ktest.tcb", "ktest.cnode", "ktest.vspace", "ktest.tcb_worker",
                          "ktest.tcb_lx", "ktest.ntfn_done"]


def test_slots(built: Path) -> None:
    comps = {c["name"]: c for c in _manifest(built)["components"]}
    slots = {s["name"]: (s["slot"], s["type"], s["object"], s["rights"], s["badge"])
             for s in comps["ktest"]["slots"]}
    assert slots["CAP_SMALL"] == (4, "M6_OBJ_UNTYPED", "ktest.untyped_small", ["M6_RIGHTS_ALL"], 0)
    assert slots["CAP_POOL"] == (5, "M6_OBJ_UNTYPED", "ktest.untyped_pool", ["M6_RIGHTS_ALL"], 0)
    assert slots["CAP_DONE"] == (6, "M6_OBJ_NOTIFICATION", "ktest.ntfn_done",
                                 ["M6_RIGHT_READ", "M6_RIGHT_WRITE"], 0)
    assert slots["CAP_IRQ_CONTROL"][:3] == (7, "M6_OBJ_IRQ_CONTROL", None)
    assert slots["CAP_THREAD_WORKER"] == (8, "M6_OBJ_TCB", "ktest.tcb_worker", ["M6_RIGHTS_ALL"], 0)
    assert slots["CAP_THREAD_LX"] == (9, "M6_OBJ_TCB", "ktest.tcb_lx", ["M6_RIGHTS_ALL"], 0)
    handler = {s["name"]: s for s in comps["handler"]["slots"]}
    assert handler["CAP_DONE"] == {"slot": 6, "name": "CAP_DONE", "type": "M6_OBJ_NOTIFICATION",
                                   "object": "ktest.ntfn_done", "rights": ["M6_RIGHT_WRITE"], "badge": 4}


def test_threads(built: Path, threads_elf: Path) -> None:
    comps = {c["name"]: c for c in _manifest(built)["components"]}
    main, worker, lx = comps["ktest"]["threads"]
    assert (main["name"], main["priority"], main["max_priority"]) == ("ktest.main", 100, 200)
    assert (main["fault_endpoint"], main["fault_badge"]) == ("handler.ep_faults", 9)
    assert main["entry"] == 0x400000 and main["flags"] == [] and main["start"] is True
    assert worker == {"name": "ktest.worker", "priority": 150, "max_priority": 120,
                      "entry": _symbol(threads_elf, "worker_main"),
                      "stack_pointer": 0x40000000 - 2 * MIB, "arg": 0, "stack_size": 8192,
                      "ipc_buffer_vaddr": 0x3FE00000 - 2 * MIB, "flags": [],
                      "fault_endpoint": "handler.ep_faults", "fault_badge": 9, "start": True,
                      "cpu": 3}
    # Placement: a thread's own `cpu`, else its component's, else CPU 0.
    assert (main["cpu"], lx["cpu"], comps["handler"]["threads"][0]["cpu"]) == (1, 1, 0)
    assert lx["entry"] == _symbol(threads_elf, "helper")
    assert (lx["priority"], lx["max_priority"], lx["flags"]) == (50, 50, ["M6_TCB_FLAG_LINUX_ABI"])
    assert (lx["fault_endpoint"], lx["fault_badge"]) == ("handler.sys".replace(".", ".ep_"), 0x55)
    assert lx["stack_pointer"] == 0x40000000 - 4 * MIB
    assert comps["handler"]["threads"][0]["fault_endpoint"] is None
    # Each thread's stack and IPC buffer are mapped, each in its own 2 MiB window.
    frames = {f["vaddr"] for f in comps["ktest"]["memory_map"]["frames"]}
    for th in (main, worker, lx):
        assert th["ipc_buffer_vaddr"] in frames
        assert th["stack_pointer"] - 4096 in frames
        assert th["stack_pointer"] - th["stack_size"] - 4096 not in frames  # the guard page
    tables = [m for m in _manifest(built)["mappings"] if m["vspace"] == "ktest.vspace" and m["level"] == 3
              and ".pt3@" in m["object"]]
    assert sorted(m["vaddr"] for m in tables) == [0x400000, 0x3FE00000 - 4 * MIB, 0x3FE00000 - 2 * MIB,
                                                  0x3FE00000]


def test_boot_tables_thread_fields(built: Path) -> None:
    text = (built / "boot_tables.c").read_text()
    objects = {o["name"]: o["index"] for o in _manifest(built)["objects"]}
    block = re.search(r'\.name = "ktest\.lx",.*?\}', text, re.S).group(0)
    assert ".max_priority = 50," in block
    assert ".flags = M6_TCB_FLAG_LINUX_ABI," in block
    assert f".fault_ep = {objects['handler.ep_sys']}," in block
    assert ".fault_badge = 0x55ull," in block and ".start = 1," in block
    assert ".cpu = 1," in block
    block = re.search(r'\.name = "handler\.main",.*?\}', text, re.S).group(0)
    assert ".fault_ep = M6_BT_NO_OBJECT," in block and ".flags = 0," in block
    assert '"ktest.untyped_pool", M6_OBJ_UNTYPED, 20, 0, 0, 0x0ull' in text


def test_headers(built: Path) -> None:
    defs = dict(re.findall(r"^#define (\w+)[ \t]*(\S*)", (built / "include" / "prog" / "m6_caps.h").read_text(), re.M))
    assert defs["CAP_THREAD_WORKER"] == "8"
    assert defs["M6_THREAD_WORKER_STACK_TOP"] == "0x3fe00000"
    assert defs["M6_THREAD_WORKER_STACK_SIZE"] == "0x2000"
    assert defs["M6_THREAD_WORKER_IPC_BUFFER_VADDR"] == "0x3fc00000"
    assert defs["M6_THREAD_LX_STACK_TOP"] == "0x3fc00000"
    assert defs["M6_UNTYPED_POOL_BITS"] == "20" and defs["M6_UNTYPED_SMALL_BITS"] == "12"


def test_generated_tables_compile(built: Path, clang: str) -> None:
    inc = REPO / "kernel" / "include"
    cmd = [clang, "--target=aarch64-none-elf", "-ffreestanding", "-c", "-std=c11", "-Wall", "-Wextra",
           "-Werror", "-pedantic", f"-I{inc}", f"-I{inc / 'uapi'}", str(built / "boot_tables.c"),
           "-o", str(built / "bt.o")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _build_text(tmp_path: Path, elf: Path, text: str) -> tuple[int, str]:
    spec = tmp_path / "t.m6"
    spec.write_text(text)
    result = run("build", str(spec), "--elf", f"prog={elf}", "--out", str(tmp_path / "o"))
    return result.status, result.stderr.replace(str(spec), "t.m6").replace(str(elf), "prog.elf")


def test_missing_entry_symbol(threads_elf: Path, tmp_path: Path) -> None:
    status, err = _build_text(tmp_path, threads_elf, """system s on qemu-virt {
    component a {
        binary "prog" priority 5
        thread w { entry "wroker_main" priority 5 }
    }
}
""")
    assert status == 1
    assert err == """t.m6:4:26: error: entry "wroker_main" of thread 'w' is not a symbol of binary "prog"
    4 |         thread w { entry "wroker_main" priority 5 }
      |                          ^~~~~~~~~~~~~
hint: prog.elf defines no function of that name (is it spelled right, and is the ELF not stripped?)
"""


def test_cpu_beyond_the_platform(threads_elf: Path, tmp_path: Path) -> None:
    status, err = _build_text(tmp_path, threads_elf, """system s on qemu-virt {
    component a { binary "prog" priority 5 thread w { entry "worker_main" priority 5 cpu 8 } }
}
""")
    assert status == 1
    assert err == """t.m6:2:90: error: cpu 8 is beyond the platform's CPUs
    2 |     component a { binary "prog" priority 5 thread w { entry "worker_main" priority 5 cpu 8 } }
      |                                                                                          ^
hint: platform 'qemu-virt' has CPUs 0 to 7 (platforms/qemu-virt/machine.toml)
"""


def test_cpu_twice(threads_elf: Path, tmp_path: Path) -> None:
    status, err = _build_text(tmp_path, threads_elf, """system s on qemu-virt {
    component a { binary "prog" priority 5 cpu 1 cpu 2 }
}
""")
    assert status == 1
    assert "error: duplicate 'cpu' statement in component 'a'" in err


def test_entry_symbol_not_code(threads_elf: Path, tmp_path: Path) -> None:
    status, err = _build_text(tmp_path, threads_elf, """system s on qemu-virt {
    component a { binary "prog" priority 5 thread w { entry "message" priority 5 } }
}
""")
    assert status == 1
    assert "error: entry \"message\" of thread 'w' is at 0x401000, outside the code of binary \"prog\"" in err
