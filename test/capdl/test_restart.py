"""`restart by S.E` (docs/supervision.md): the supervised component's faults go to its
supervisor with a badge the compiler chooses; the supervisor gets the caps, the mappings
and the restart plan it rebuilds the component with, and the authority analysis sees it
holding them."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from conftest import run

SPEC = """system s on qemu-virt {{
    component drv {{
        binary "drv" priority 10
        notification wake
        untyped pool 16 KiB
        signal cl.done as CLIENT badge 1
        heap 8 KiB
        {extra}
    }}
    component cl {{ binary "cl" priority 5 notification done signal drv.wake as DRIVER badge 1 }}
    component sup {{
        binary "sup" priority 20
        endpoint faults
        syscap debug_console
    }}
    {asserts}
}}
"""


def spec(tmp_path: Path, extra: str = "restart by sup.faults", asserts: str = "") -> Path:
    path = tmp_path / "s.m6"
    path.write_text(SPEC.format(extra=extra, asserts=asserts))
    return path


def test_supervisor_reaches_what_it_restarts(tmp_path: Path) -> None:
    result = run("check", str(spec(tmp_path, asserts="""
    assert sup can reach drv.pool
    assert sup can reach drv.wake
    assert sup can reach cl.done
    assert cl cannot reach drv.pool
    assert cl cannot reach sup.faults""")))
    assert (result.status, result.stderr) == (0, "")


def test_assertion_about_supervisor_is_checked(tmp_path: Path) -> None:
    result = run("check", str(spec(tmp_path, asserts="assert sup cannot reach drv.pool")))
    assert result.status != 0
    assert "sup" in result.stderr and "drv.pool" in result.stderr


def test_headers_name_the_supervisors_caps(tmp_path: Path) -> None:
    assert run("headers", str(spec(tmp_path)), "--out", str(tmp_path / "o")).status == 0
    text = (tmp_path / "o" / "include" / "sup" / "m6_caps.h").read_text()
    assert "#define M6_SUPERVISED_COUNT" in text
    for name in ("CAP_SUPERVISED_DRV_CNODE", "CAP_SUPERVISED_DRV_TCB_MAIN", "CAP_SUPERVISED_DRV_WAKE",
                 "CAP_SUPERVISED_DRV_CLIENT", "CAP_SUPERVISED_DRV_SELF_VSPACE"):
        assert f"#define {name} " in text, name
    # An untyped pool exists once: revoked in place, never copied.
    assert "CAP_SUPERVISED_DRV_POOL" not in text


def test_restart_plan_in_boot_tables(tmp_path: Path, threads_elf: Path) -> None:
    """The plan the supervisor reads (struct m6_restart_plan, <m6/supervision.h>), decoded
    from the boot image: it must agree with the manifest and the supervisor's header."""
    out = tmp_path / "out"
    result = run("build", str(spec(tmp_path)), "--elf", f"drv={threads_elf}", "--elf", f"cl={threads_elf}",
                 "--elf", f"sup={threads_elf}", "--out", str(out))
    assert (result.status, result.stderr) == (0, "")
    manifest = json.loads((out / "manifest.json").read_text())
    objects = {o["name"]: o for o in manifest["objects"]}
    image = (out / "boot_image.bin").read_bytes()
    plan_page = objects["sup.plan.drv+0x0"]["source_page"]
    plan = image[plan_page * 4096:(plan_page + 1) * 4096]
    words = struct.unpack_from("<Q32s7Q", plan)
    magic, name, badge, fault_badge, cnode, cnode_slots, threads, pages, slot_count = words
    comps = {c["name"]: c for c in manifest["components"]}
    drv, sup = comps["drv"], comps["sup"]
    sup_slots = {s["name"]: s for s in sup["slots"]}
    assert magic == 0x6E616C7074727336 and name.rstrip(b"\0") == b"drv"
    assert badge == fault_badge == 1 == drv["threads"][0]["fault_badge"]
    assert drv["threads"][0]["fault_endpoint"] == "sup.ep_faults"
    assert cnode == sup_slots["CAP_SUPERVISED_DRV_CNODE"]["slot"]
    assert sup_slots["CAP_SUPERVISED_DRV_CNODE"]["object"] == "drv.cnode"
    assert cnode_slots == 1 << drv["cspace_radix"]
    assert threads == len(drv["threads"]) == 1
    # One pristine page per writable private page of drv (image data/bss, stack, IPC
    # buffer, heap): and none of the shared or device pages.
    pristine = [n for n in objects if n.startswith("sup.pristine.drv@")]
    assert pages == len(pristine) > 0
    heap = next(r for r in drv["memory_map"]["regions"] if r["kind"] == "heap")
    assert all(f"sup.pristine.drv@0x{heap['vaddr'] + off:x}" in objects for off in range(0, heap["size"], 4096))
    tcb, pc, sp, x0, x1 = struct.unpack_from("<5Q", plan, 8 + 32 + 7 * 8)
    th = drv["threads"][0]
    assert (tcb, pc, sp, x0, x1) == (sup_slots["CAP_SUPERVISED_DRV_TCB_MAIN"]["slot"], th["entry"],
                                     th["stack_pointer"], th["ipc_buffer_vaddr"], th["arg"])
    # Each of drv's slots: the supervisor's original (same object, rights, badge), or 0 for
    # the untyped pool, which cannot be copied and is revoked in place.
    assert slot_count == len(drv["slots"])
    pairs = struct.unpack_from(f"<{slot_count}Q", plan, 8 + 32 + 7 * 8 + 64 * 40)
    by_slot = {s["slot"]: s for s in sup["slots"]}
    for word, mine in zip(pairs, drv["slots"]):
        assert word & 0xFFFFFFFF == mine["slot"]
        original = (word >> 32) & 0x3FFFFFFF
        assert bool(word >> 62 & 1) == (mine["type"] == "M6_OBJ_NOTIFICATION" and mine["badge"] == 0)
        if mine["type"] == "M6_OBJ_UNTYPED":
            assert original == 0
            continue
        theirs = by_slot[original]
        assert (theirs["object"], theirs["rights"], theirs["badge"], theirs["type"]) == \
            (mine["object"], mine["rights"], mine["badge"], mine["type"])


ERRORS = [
    ("restart by sup.faults fault sup.faults", "component 'drv' has both 'fault' and 'restart'"),
    ("restart by drv.x endpoint x", "component 'drv' cannot restart itself"),
    ("restart by nobody.faults", "unknown component 'nobody'"),
    ("restart by sup.nope", "unknown endpoint 'nope' in component 'sup'"),
    ("restart by sup.faults restart by sup.faults", "restart"),
    ("restart by sup.faults thread t { entry \"t\" priority 1 fault sup.faults badge 9 }",
     "has a fault handler of its own"),
]


def test_restart_errors(tmp_path: Path) -> None:
    for extra, message in ERRORS:
        result = run("check", str(spec(tmp_path, extra=extra)))
        assert result.status != 0, extra
        assert message in result.stderr, (extra, result.stderr)
        assert "Traceback" not in result.stderr


def test_supervisor_names_and_regions(tmp_path: Path) -> None:
    # CAP_SUPERVISED_X_B_C twice: component 'x_b' with cap C, and component 'x' with cap B_C.
    path = tmp_path / "n.m6"
    path.write_text("""system s on qemu-virt {
    component x_b { binary "a" priority 1 notification c restart by sup.faults }
    component x { binary "b" priority 1 notification b_c restart by sup.faults }
    component sup { binary "s" priority 2 endpoint faults }
}
""")
    result = run("check", str(path))
    assert result.status != 0
    assert "CAP_SUPERVISED_X_B_C names two caps of supervisor 'sup'" in result.stderr
    path.write_text("""system s on qemu-virt {
    memory m 4 KiB
    component d { binary "a" priority 1 map m rw restart by sup.faults }
    component sup { binary "s" priority 2 endpoint faults map m rw at 0x10000000000 }
}
""")
    result = run("check", str(path))
    assert result.status != 0
    assert "region 'M' of supervisor 'sup' reaches above 0x10000000000" in result.stderr
