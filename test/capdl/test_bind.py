"""Binding a component built once (bind.py): `m6-capdl build --manifest` writes each
system's values into the ELF's .m6.config section, and refuses what it cannot bind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from conftest import _clang_build, run

PAGE = 4096

BOUND_C = r"""
#define CONFIG __attribute__((section(".m6.config"), used)) const volatile
CONFIG unsigned long long cfg_serial, cfg_irq, cfg_client, cfg_uart_irq, cfg_regs, cfg_regs_size,
	cfg_badge, cfg_debug;
#ifdef SMALL
CONFIG unsigned cfg_small;
#endif

void _start(void)
{
	for (;;) {
		(void)cfg_serial;
	}
}
"""

BOUND_LD = """
ENTRY(_start)
PHDRS { text PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); }
SECTIONS {
	. = 0x400000;
	.text : { *(.text*) } :text
	. = ALIGN(4096);
	.rodata : { *(.rodata*) } :rodata
	. = ALIGN(4096);
	.m6.config : { KEEP(*(.m6.config)) } :rodata
	/DISCARD/ : { *(.comment) }
}
"""

SPEC = """system bindtest on qemu-virt {
    component drv {
        binary       "drv"
        priority     10
        device       uart "/pl011@9000000"
        endpoint     serial
        notification irq
        signal       user.rx as CLIENT badge 5
    }
    component user {
        binary       "user"
        priority     5
        notification rx
        call         drv.serial as SERIAL badge 1
    }
}
"""

CONFIG = {"cfg_serial": "endpoint serial", "cfg_irq": "notification irq", "cfg_client": "signal client",
          "cfg_uart_irq": "irq uart", "cfg_regs": "device uart", "cfg_regs_size": "device_size uart",
          "cfg_badge": "badge client", "cfg_debug": {"bind": "syscap debug_console", "optional": True}}


def _elf(clang: str, work: Path, name: str, extra: list[str]) -> Path:
    script = work / "bound.ld"
    script.write_text(BOUND_LD)
    return _clang_build(clang, work, name, BOUND_C, [f"-Wl,-T,{script}", *extra])


@pytest.fixture(scope="module")
def bound_elf(clang: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _elf(clang, tmp_path_factory.mktemp("bound"), "drv", [])


@pytest.fixture(scope="module")
def small_elf(clang: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _elf(clang, tmp_path_factory.mktemp("bound_small"), "drv_small", ["-DSMALL"])


def _build(tmp_path: Path, drv: Path, user: Path, manifest: object | str | None,
           manifest_for: str = "drv", spec_text: str = SPEC) -> tuple[int, str, Path]:
    spec = tmp_path / "bind.m6"
    spec.write_text(spec_text)
    args = ["build", str(spec), "--elf", f"drv={drv}", "--elf", f"user={user}", "--out", str(tmp_path / "out")]
    if "binary       \"other\"" in spec_text:
        args += ["--elf", f"other={user}"]
    if manifest is not None:
        path = tmp_path / "drv.json"
        path.write_text(manifest if isinstance(manifest, str) else json.dumps(manifest, indent=2))
        args += ["--manifest", f"{manifest_for}={path}"]
    result = run(*args)
    return result.status, result.stderr, tmp_path / "out"


def _manifest(config: dict | None = None, binary: str = "drv") -> dict:
    return {"m6_manifest": 1, "binary": binary, "serves": ["serial"], "config": CONFIG if config is None else config}


def _symbols(elf: Path) -> dict[str, int]:
    with open(elf, "rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: s["st_value"] for s in symtab.iter_symbols() if s.name.startswith("cfg_")}


def test_values_written(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    status, err, out = _build(tmp_path, bound_elf, fixture_elf, _manifest())
    assert (status, err) == (0, "")
    manifest = json.loads((out / "manifest.json").read_text())
    image = (out / "boot_image.bin").read_bytes()
    drv = next(c for c in manifest["components"] if c["name"] == "drv")
    slots = {s["name"]: s for s in drv["slots"]}
    frames = {f["vaddr"]: f for f in drv["memory_map"]["frames"]}
    uart = drv["memory_map"]["regions"][0]["regs"][0]

    def value(symbol: str) -> int:
        addr = _symbols(bound_elf)[symbol]
        frame = frames[addr & ~(PAGE - 1)]
        assert frame["source"] == "M6_BT_FRAME_IN_PLACE"  # read-only, as linked
        at = frame["image_page"] * PAGE + (addr & (PAGE - 1))
        return int.from_bytes(image[at:at + 8], "little")

    assert value("cfg_serial") == slots["CAP_SERIAL"]["slot"]
    assert value("cfg_irq") == slots["CAP_IRQ"]["slot"]
    assert value("cfg_client") == slots["CAP_CLIENT"]["slot"]
    assert value("cfg_uart_irq") == slots["CAP_UART_IRQ"]["slot"]
    assert (value("cfg_regs"), value("cfg_regs_size")) == (uart["vaddr"], uart["size"])
    assert value("cfg_badge") == 5
    assert value("cfg_debug") == 0  # optional, and the spec grants no debug console
    # The ELF itself is untouched: the values exist only in the system's image.
    with open(bound_elf, "rb") as f:
        section = ELFFile(f).get_section_by_name(".m6.config")
        assert not any(section.data())


def _error(tmp_path: Path, drv: Path, user: Path, manifest: object, expected: str, **kw: str) -> str:
    status, err, _ = _build(tmp_path, drv, user, manifest, **kw)
    assert status == 1
    assert expected in err, err
    assert "Traceback" not in err
    return err


def test_unbound_role(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    err = _error(tmp_path, bound_elf, fixture_elf, _manifest({**CONFIG, "cfg_serial": "endpoint console"}),
                 "needs \"endpoint console\" (config \"cfg_serial\"), but component 'drv' has no endpoint cap 'console'")
    assert err.startswith(f"{tmp_path / 'bind.m6'}:3:22: error: binary \"drv\" of component 'drv'")


def test_wrong_kind(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    _error(tmp_path, bound_elf, fixture_elf, _manifest({**CONFIG, "cfg_irq": "endpoint irq"}),
           "'irq' is a notification cap (CAP_IRQ) of component 'drv', not an endpoint cap")


def test_optional_of_wrong_kind_is_still_an_error(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    _error(tmp_path, bound_elf, fixture_elf,
           _manifest({**CONFIG, "cfg_debug": {"bind": "endpoint irq", "optional": True}}),
           "'irq' is a notification cap")


def test_missing_device(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    _error(tmp_path, bound_elf, fixture_elf, _manifest({**CONFIG, "cfg_regs": "device rtc"}),
           "component 'drv' maps no device 'rtc'")


def test_section_missing(tmp_path: Path, fixture_elf: Path) -> None:
    _error(tmp_path, fixture_elf, fixture_elf, _manifest(), "has a manifest", )
    _error(tmp_path, fixture_elf, fixture_elf, _manifest(), "but no .m6.config section")


def test_symbol_not_in_section(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    _error(tmp_path, bound_elf, fixture_elf, _manifest({**CONFIG, "cfg_nosuch": "endpoint serial"}),
           "binds \"cfg_nosuch\", which is not a symbol of its .m6.config section")


def test_value_too_small(tmp_path: Path, small_elf: Path, fixture_elf: Path) -> None:
    _error(tmp_path, small_elf, fixture_elf, _manifest({**CONFIG, "cfg_small": "endpoint serial"}),
           "config value \"cfg_small\" is 4 bytes, expected 8")


def test_value_without_binding(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    config = dict(CONFIG)
    del config["cfg_badge"]
    _error(tmp_path, bound_elf, fixture_elf, _manifest(config), "config value \"cfg_badge\" has no binding")


def test_config_without_manifest(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    _error(tmp_path, bound_elf, fixture_elf, None, "has config values (cfg_badge, cfg_client")


def test_manifest_syntax_error(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    _error(tmp_path, bound_elf, fixture_elf, '{\n  "m6_manifest": 1,\n  "binary" "drv"\n}\n',
           f"{tmp_path / 'drv.json'}:3:12: malformed manifest: Expecting ':' delimiter")


@pytest.mark.parametrize("manifest, expected", [
    ([], "expected a JSON object"),
    ({"binary": "drv"}, "\"m6_manifest\" must be 1"),
    ({"m6_manifest": 1, "binary": "drv", "extra": 1}, "unknown key \"extra\""),
    ({"m6_manifest": 1, "binary": ""}, "\"binary\" must be a non-empty string"),
    ({"m6_manifest": 1, "binary": "drv", "config": []}, "\"config\" must be an object"),
    ({"m6_manifest": 1, "binary": "drv", "config": {"cfg_serial": "endpoint"}}, "is not \"KIND ROLE\""),
    ({"m6_manifest": 1, "binary": "drv", "config": {"cfg_serial": "socket serial"}}, "is not \"KIND ROLE\""),
    ({"m6_manifest": 1, "binary": "drv", "config": {"cfg_serial": 3}}, "expected \"KIND ROLE\""),
    ({"m6_manifest": 1, "binary": "drv", "config": {"cfg_debug": {"bind": "syscap x", "optional": "yes"}}},
     "\"optional\" must be true or false"),
    ({"m6_manifest": 1, "binary": "drv", "config": {"m6_component": "endpoint serial"}}, "the runtime's own symbol"),
    ({"m6_manifest": 1, "binary": "drv", "config": {"cfg_badge": "client_badge serial"}},
     "needs a role ENDPOINT.ALIAS"),
    ({"m6_manifest": 1, "binary": "drv", "config": {"cfg_badge": {"bind": "client_badge_max serial", "max": "8"}}},
     "\"max\" must be an integer"),
])
def test_manifest_malformed(tmp_path: Path, bound_elf: Path, fixture_elf: Path, manifest: object,
                            expected: str) -> None:
    _error(tmp_path, bound_elf, fixture_elf, manifest, expected)


def test_manifest_of_another_binary(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    _error(tmp_path, bound_elf, fixture_elf, _manifest(binary="pl011"),
           "manifest of binary \"pl011\", given for \"drv\"")


# Badges a server must know, chosen by the spec (not the interactive system's 1, 2, 0xfa17):
# the driver's SERIAL clients, its UART debug client, the faults it handles.
SERVER_SPEC = SPEC.replace("        call         drv.serial as SERIAL badge 1\n",
                           "        call         drv.serial as SERIAL badge 3\n"
                           "        send         drv.serial as UART badge 9\n"
                           "        fault        drv.serial badge 0x77\n")
OTHER = """    component other {
        binary       "other"
        priority     5
        call         drv.serial as SERIAL badge %d
    }
}
"""


def _server_config(**over: object) -> dict:
    return {**CONFIG, "cfg_badge": "client_badge serial.SERIAL", "cfg_debug": "fault_badge serial",
            "cfg_regs_size": "client_badge_max serial", **over}


def _value(elf: Path, out: Path, symbol: str) -> int:
    manifest = json.loads((out / "manifest.json").read_text())
    drv = next(c for c in manifest["components"] if c["name"] == "drv")
    frames = {f["vaddr"]: f for f in drv["memory_map"]["frames"]}
    addr = _symbols(elf)[symbol]
    frame = frames[addr & ~(PAGE - 1)]
    at = frame["image_page"] * PAGE + (addr & (PAGE - 1))
    return int.from_bytes((out / "boot_image.bin").read_bytes()[at:at + 8], "little")


def test_server_badges_written(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    status, err, out = _build(tmp_path, bound_elf, fixture_elf, _manifest(_server_config()),
                              spec_text=SERVER_SPEC)
    assert (status, err) == (0, "")
    assert _value(bound_elf, out, "cfg_badge") == 3        # the caps named SERIAL
    assert _value(bound_elf, out, "cfg_debug") == 0x77     # the fault statement's
    assert _value(bound_elf, out, "cfg_regs_size") == 9    # the highest: UART's
    status, err, out = _build(tmp_path, bound_elf, fixture_elf,
                              _manifest(_server_config(cfg_badge="client_badge serial.UART")), spec_text=SERVER_SPEC)
    assert (status, err) == (0, "") and _value(bound_elf, out, "cfg_badge") == 9


def test_server_badge_shared_by_two_clients(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    # (The spec compiler warns that drv cannot tell the two apart: still one value.)
    spec = SERVER_SPEC[:SERVER_SPEC.rindex("}")] + OTHER % 3
    status, err, out = _build(tmp_path, bound_elf, fixture_elf, _manifest(_server_config()), spec_text=spec)
    assert status == 0 and "error" not in err and _value(bound_elf, out, "cfg_badge") == 3


def test_server_badge_ambiguous(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    spec = SERVER_SPEC[:SERVER_SPEC.rindex("}")] + OTHER % 4
    status, err, _ = _build(tmp_path, bound_elf, fixture_elf, _manifest(_server_config()), spec_text=spec)
    assert status == 1 and "Traceback" not in err
    assert ("needs \"client_badge serial.SERIAL\" (config \"cfg_badge\"), but user's CAP_SERIAL has badge 3 "
            "but other's CAP_SERIAL has badge 4: one value cannot hold both") in err


def test_server_badge_above_max(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    config = _server_config(cfg_regs_size={"bind": "client_badge_max serial", "max": 8})
    status, err, _ = _build(tmp_path, bound_elf, fixture_elf, _manifest(config), spec_text=SERVER_SPEC)
    assert status == 1
    assert "\"client_badge_max serial\" (config \"cfg_regs_size\") is 9, but the component takes at most 8" in err
    config = _server_config(cfg_regs_size={"bind": "client_badge_max serial", "max": 9})
    assert _build(tmp_path, bound_elf, fixture_elf, _manifest(config), spec_text=SERVER_SPEC)[:2] == (0, "")


def test_server_badge_absent(tmp_path: Path, bound_elf: Path, fixture_elf: Path) -> None:
    # The plain SPEC has no UART cap and no fault statement.
    _error(tmp_path, bound_elf, fixture_elf, _manifest(_server_config(cfg_badge="client_badge serial.UART")),
           "no component holds a call or send cap named CAP_UART to drv.serial")
    _error(tmp_path, bound_elf, fixture_elf, _manifest(_server_config()), "no thread sends its faults to drv.serial")
    _error(tmp_path, bound_elf, fixture_elf, _manifest(_server_config(cfg_badge="client_badge irq.SERIAL")),
           "component 'drv' has no endpoint 'irq'")
    config = _server_config(cfg_badge={"bind": "client_badge serial.UART", "optional": True},
                            cfg_debug={"bind": "fault_badge serial", "optional": True})
    status, err, out = _build(tmp_path, bound_elf, fixture_elf, _manifest(config))
    assert (status, err) == (0, "")
    assert (_value(bound_elf, out, "cfg_badge"), _value(bound_elf, out, "cfg_debug")) == (0, 0)
    assert _value(bound_elf, out, "cfg_regs_size") == 1
