"""`channel NAME from P to C depth N data SIZE`: expanded into shared memory, a
notification per side and a badged signal cap to the other side, seen as such by the
headers, the authority analysis (`why`, assertions) and the boot tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO, run
from m6capdl import checks, parser, resolved

SPEC = """system s on qemu-virt {
    component producer {
        binary "producer" priority 100
        syscap debug_console
    }
    component consumer {
        binary "consumer" priority 100
        endpoint ep
    }
    component other {
        binary "other" priority 100
        call consumer.ep as C
    }
    channel items from producer to consumer depth 256 data 64 KiB
    channel back from consumer to producer depth 2
    assert producer cannot reach consumer.main
    assert producer cannot reach other
    assert other cannot reach memory items
    assert producer can reach consumer.items
    assert consumer can reach producer.items
}
"""


def _model(text: str = SPEC) -> resolved.System:
    system = parser.parse(text)
    diags, model_ = checks.check_and_resolve(system, REPO / "platforms")
    assert not [d for d in diags if d.severity.value == "error"], diags
    return model_


def _defines(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^#define (\w+)[ \t]*(\S*)", path.read_text(), re.M))


def test_expansion_is_memory_notifications_and_signal_caps() -> None:
    m = _model()
    mem = m.memory_by_name["items"]
    # 128 bytes of indices and flags + 256 entries of up to 64 bytes: 5 pages, then 64 KiB.
    assert (mem.kind, mem.size, mem.rights) == ("memory", 5 * 4096 + 64 * 1024, "rw")
    assert m.memory_by_name["back"].size == 4096
    producer, consumer, other = m.components
    for me, peer in ((producer, consumer), (consumer, producer)):
        caps = {c.name: c for c in me.cspace.slots}
        own, signal = caps["CAP_ITEMS"], caps["CAP_ITEMS_PEER"]
        assert (own.kind, own.obj) == ("notification", me.by_name["items"])
        assert (signal.kind, signal.rights, signal.badge) == ("signal", ("M6_RIGHT_WRITE",), 1)
        assert signal.obj is peer.by_name["items"]
        region = next(r for r in me.memory.regions if r.memory == "items")
        assert (region.obj, region.size, region.rights_text) == (mem, mem.size, "rw")
    assert not other.channels and not other.memory.regions
    assert [(c.name, c.producer, c.consumer, c.depth, c.queue_size, c.data_size) for c in m.channels] == [
        ("items", "producer", "consumer", 256, 5 * 4096, 64 * 1024), ("back", "consumer", "producer", 2, 4096, 0)]


def test_checking_twice_expands_once() -> None:
    system = parser.parse(SPEC)
    checks.check(system, REPO / "platforms")
    checks.check(system, REPO / "platforms")
    assert len(system.memories) == 2
    assert sum(1 for c in _model().components[0].cspace.slots if c.name == "CAP_ITEMS") == 1


def test_headers(tmp_path: Path) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    assert run("headers", str(spec), "--out", str(tmp_path)).status == 0
    p = _defines(tmp_path / "include" / "producer" / "m6_caps.h")
    c = _defines(tmp_path / "include" / "consumer" / "m6_caps.h")
    for d, producer in ((p, "1"), (c, "0")):
        assert d["M6_CHANNEL_ITEMS_QUEUE_SIZE"] == "0x5000"
        assert d["M6_CHANNEL_ITEMS_DEPTH"] == "256"
        assert d["M6_CHANNEL_ITEMS_DATA_SIZE"] == "0x10000"
        assert int(d["M6_CHANNEL_ITEMS_DATA_VADDR"], 16) == int(d["M6_CHANNEL_ITEMS_VADDR"], 16) + 0x5000
        assert d["M6_CHANNEL_ITEMS_VADDR"] == d["M6_MEM_ITEMS_VADDR"]
        assert d["M6_CHANNEL_ITEMS_PRODUCER"] == producer
        assert d["M6_CHANNEL_BACK_PRODUCER"] == ("0" if producer == "1" else "1")
        assert d["M6_CHANNEL_BACK_DATA_SIZE"] == "0x0"
    assert (p["CAP_DEBUG_CONSOLE"], p["CAP_ITEMS"], p["CAP_ITEMS_PEER"], p["CAP_BACK"], p["CAP_BACK_PEER"]) == \
        ("4", "5", "6", "7", "8")
    other = _defines(tmp_path / "include" / "other" / "m6_caps.h")
    assert not [k for k in other if "ITEMS" in k or "BACK" in k]


def test_assertions_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "s.m6"
    spec.write_text(SPEC)
    assert run("check", str(spec)).status == 0
    capsys.readouterr()

    def why(source: str, target: str) -> str:
        assert run("why", str(spec), source, target).status == 0
        return capsys.readouterr().out

    assert "'producer' holds a 'signal' cap to consumer.items (CAP_ITEMS_PEER)" in why("producer", "consumer.items")
    assert "'consumer' holds a mapping of memory 'items' (rw)" in why("consumer", "memory:items")
    assert "'producer' holds a mapping of memory 'items' (rw)" in why("producer", "memory:items")
    assert "cannot reach" in why("producer", "consumer.main")
    assert "cannot reach" in why("producer", "consumer.ep")
    # A channel grants nothing beyond its memory and the two signal caps: asserting the
    # consumer's thread reachable from the producer fails.
    spec.write_text(SPEC.replace("assert producer cannot reach consumer.main",
                                 "assert producer can reach consumer.main"))
    result = run("check", str(spec))
    assert result.status == 1 and "producer" in result.stderr


def test_channel_in_an_included_file(tmp_path: Path) -> None:
    (tmp_path / "chan.m6").write_text("channel items from producer to consumer depth 256 data 64 KiB\n")
    text = SPEC.replace("    channel items from producer to consumer depth 256 data 64 KiB\n",
                        '    include "chan.m6"\n')
    spec = tmp_path / "s.m6"
    spec.write_text(text)
    result = run("check", str(spec))
    assert (result.status, result.stderr) == (0, "")
