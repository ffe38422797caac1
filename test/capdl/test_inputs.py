"""Inputs that must not hurt the build: devices, FIFOs and huge files are not read,
includes stay inside the spec's tree (and -I directories), outputs that are devices are
written without being read, and diagnostics render in time independent of their number."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import run
from m6capdl import cli, diagnostics

SMALL = 'system s on qemu-virt {\n    %s\n    component a { binary "a" priority 1 }\n}\n'


def _spec(tmp_path: Path, body: str = "", name: str = "top.m6") -> Path:
    path = tmp_path / name
    path.write_text(SMALL % body)
    return path


def test_a_device_is_not_read_as_a_spec() -> None:
    result = run("check", "/dev/zero")
    assert (result.status, result.stderr) == (
        1, "m6-capdl: error: /dev/zero: is not a regular file (a device, a FIFO or a socket): not read\n")


def test_a_fifo_is_not_read_and_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.m6"
    os.mkfifo(fifo)
    result = run("check", str(fifo))  # would wait for a writer forever if opened blocking
    assert result.status == 1 and "is not a regular file" in result.stderr
    spec = _spec(tmp_path, 'include "pipe.m6"')
    result = run("check", str(spec))
    assert result.status == 1 and 'cannot include "pipe.m6": is not a regular file' in result.stderr


def test_a_directory_is_not_a_spec(tmp_path: Path) -> None:
    (tmp_path / "d.m6").mkdir()
    spec = _spec(tmp_path, 'include "d.m6"')
    result = run("check", str(spec))
    assert result.status == 1 and 'cannot include "d.m6": is a directory, not a file' in result.stderr
    result = run("check", str(tmp_path / "d.m6"))
    assert result.stderr == f"m6-capdl: error: {tmp_path / 'd.m6'}: is a directory, not a file\n"


def test_a_huge_file_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.m6"
    with open(big, "wb") as f:  # sparse: takes no disk space
        f.truncate(16 * 1024 * 1024 + 1)
    result = run("check", str(big))
    assert result.stderr == f"m6-capdl: error: {big}: is larger than 16 MiB: not read\n"
    spec = _spec(tmp_path, 'include "big.m6"')
    result = run("check", str(spec))
    assert result.status == 1 and 'cannot include "big.m6": is larger than 16 MiB: not read' in result.stderr


def test_include_of_a_device_is_refused_by_confinement_first(tmp_path: Path) -> None:
    spec = _spec(tmp_path, 'include "/dev/zero"')
    result = run("check", str(spec))
    assert result.status == 1
    assert 'cannot include "/dev/zero": it is outside the spec\'s directory tree' in result.stderr


def test_include_outside_the_tree_is_refused_and_not_echoed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:SECRET-LINE\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    for body in ('include "../secret.txt"', f'include "{secret}"'):
        spec = _spec(tree, body)
        result = run("check", str(spec))
        assert result.status == 1
        assert "outside the spec's directory tree" in result.stderr
        assert "SECRET" not in result.stderr
        assert "-I DIR" in result.stderr
    # A symbolic link inside the tree that leads out is judged by where it leads.
    (tree / "link.m6").symlink_to(secret)
    result = run("check", str(_spec(tree, 'include "link.m6"')))
    assert result.status == 1 and "outside the spec's directory tree" in result.stderr
    assert "SECRET" not in result.stderr


def test_include_from_an_include_directory(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "server.m6").write_text('component server { binary "server" priority 2 endpoint ep }\n')
    tree = tmp_path / "tree"
    tree.mkdir()
    spec = tree / "top.m6"
    spec.write_text('system s on qemu-virt {\n    include "server.m6"\n'
                    '    component a { binary "a" priority 1 call server.ep as S }\n}\n')
    result = run("check", str(spec))
    assert result.status == 1 and 'cannot include "server.m6": No such file or directory' in result.stderr
    assert run("check", str(spec), "-I", str(lib)).status == 0
    # Named relative to the spec, outside its tree: allowed once its directory is given.
    spec.write_text(spec.read_text().replace('"server.m6"', '"../lib/server.m6"'))
    assert "outside the spec's directory tree" in run("check", str(spec)).stderr
    assert run("check", str(spec), "-I", str(lib)).status == 0


def test_a_file_included_from_two_places_is_included_once(tmp_path: Path) -> None:
    (tmp_path / "leaf.m6").write_text('component leaf { binary "leaf" priority 2 endpoint ep }\n')
    (tmp_path / "a.m6").write_text('include "leaf.m6"\ncomponent a { binary "a" priority 1 call leaf.ep as L badge 1 }\n')
    (tmp_path / "b.m6").write_text('include "leaf.m6"\ncomponent b { binary "b" priority 1 call leaf.ep as L badge 2 }\n')
    spec = tmp_path / "top.m6"
    spec.write_text('system s on qemu-virt {\n    include "a.m6"\n    include "b.m6"\n}\n')
    result = run("check", str(spec))
    assert (result.status, result.stderr) == (0, "")


def test_outputs_that_are_devices_are_written_not_read(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    result = run("graph", str(spec), "--dot", "/dev/full")  # reading it would never end
    assert result.stderr == "m6-capdl: error: cannot write /dev/full: No space left on device\n"
    assert run("graph", str(spec), "--dot", "/dev/null").status == 0
    result = run("graph", str(spec), "--dot", str(tmp_path))
    assert result.stderr == f"m6-capdl: error: cannot write {tmp_path}: Is a directory\n"
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert run("graph", str(spec), "--dot", str(fifo)).status == 0
        assert os.read(reader, 65536).startswith(b"digraph")
    finally:
        os.close(reader)
    assert fifo.is_fifo()  # written through, not replaced by a file


def test_many_diagnostics_split_the_source_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each diagnostic renders in time independent of their number: the source is split
    into lines once, not once per diagnostic (30,000 diagnostics took minutes). Counted,
    not timed (bench_errors.py times a 100,000-line spec)."""
    splits: list[int] = []

    class Counting(diagnostics.Source):
        def line(self, number: int) -> str | None:
            if self._lines is None:
                splits.append(number)
            return super().line(number)

    monkeypatch.setattr(cli, "Source", Counting)
    count = 3000
    lines = ["system s on qemu-virt {", "    component a {", '        binary "a"', "        priority 1"]
    lines += [f"        syscap nope{i}" for i in range(count)]
    lines += ["    }", "}"]
    spec = tmp_path / "many.m6"
    spec.write_text("\n".join(lines) + "\n")
    result = run("check", str(spec))
    assert result.status == 1
    assert result.stderr.count("error: unknown syscap") == count
    assert len(splits) == 1
