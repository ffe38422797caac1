"""ctest linux.tools: the reference runner's parts on the host, no QEMU and no network.

records.py (console records, JSON, comparison), linux_ref.py (the program list, the
initramfs) and scripts/debian_fetch.py (cache, checksum, unpacking, error reporting) on a
.deb made here with dpkg-deb and a mirror that cannot answer.
"""
from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "test" / "qemu"))
sys.path.insert(0, str(ROOT / "cmake"))

import linux_ref  # noqa: E402
import records  # noqa: E402

FETCH = ROOT / "scripts" / "debian_fetch.py"
NO_MIRROR = "file:///nonexistent-m6-mirror/debian"  # fails at once, network or not


def console(name: str, out: bytes, status: str, err: bytes = b"") -> list[str]:
    lines = [f"@@m6rec begin {name}"]
    for stream, data in (("stdout", out), ("stderr", err)):
        for i in range(0, len(data), 57):
            lines.append(f"@@m6rec {stream} {base64.b64encode(data[i:i + 57]).decode()}")
    return lines + [f"@@m6rec status {status}", f"@@m6rec end {name} {len(out)} {len(err)}"]


GOOD = "\n".join(["[    0.000] Booting Linux", "@@m6rec uname Linux 6.1.0 aarch64",
                  "@@m6rec mount /proc ok", "@@m6rec mount /tmp failed 19",
                  *console("a", b"x" * 200 + b"\n", "exit 0"),
                  "[    1.000] a kernel message between records",
                  *console("b", b"\xff\xfe binary", "signal 15", b"oops\n"),
                  "@@m6rec done 2", "[    2.000] reboot: Power down"]) + "\n"


def test_parse_console_reads_records_among_other_lines() -> None:
    run = records.parse_console(GOOD.replace("\n", "\r\n"))
    assert run.problems == [] and run.complete
    assert run.uname == ["Linux", "6.1.0", "aarch64"]
    assert run.mounts == {"/proc": "ok", "/tmp": "failed 19"}
    assert [(r.name, r.status) for r in run.records] == [("a", "exit 0"), ("b", "signal 15")]
    assert run.records[0].stdout == b"x" * 200 + b"\n"
    assert run.records[1].stdout == b"\xff\xfe binary" and run.records[1].stderr == b"oops\n"


@pytest.mark.parametrize("damage,problem", [
    (lambda t: t.replace("@@m6rec stdout eHh4", "@@m6rec stdout e!h4", 1), "damaged stdout"),
    (lambda t: t.replace("@@m6rec end a 201 0", "@@m6rec end a 200 0"), "announced"),
    (lambda t: t[:t.index("@@m6rec status exit 0")], "'a' never ended"),
    (lambda t: t.replace("@@m6rec done 2", ""), "no 'done'"),
    (lambda t: t.replace("@@m6rec done 2", "@@m6rec done 3"), "done 3, but 2"),
    (lambda t: t.replace("@@m6rec status exit 0", "@@m6rec status exit"), "cannot read"),
    (lambda t: t.replace("@@m6rec end a", "@@m6rec end b"), "closes 'a'"),
])
def test_parse_console_reports_damage(damage, problem: str) -> None:  # type: ignore[no-untyped-def]
    run = records.parse_console(damage(GOOD))
    assert any(problem in p for p in run.problems), run.problems
    assert not run.complete or run.problems


def test_json_round_trip_keeps_bytes(tmp_path: Path) -> None:
    run = records.parse_console(GOOD)
    run.records[0].argv = ["/bin/a", "one"]
    path = tmp_path / "run.json"
    records.save(run, str(path))
    text = path.read_text()
    assert '"stdout_base64"' in text and '"stderr": "oops\\n"' in text
    back = records.load(str(path))
    assert back.records == run.records and back.mounts == run.mounts and back.complete


def test_load_refuses_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(records.RecordError, match="not a m6-linux-run/1"):
        records.load(str(bad))
    bad.write_text("{")
    with pytest.raises(records.RecordError, match="not JSON"):
        records.load(str(bad))


def test_compare_names_each_difference() -> None:
    ref = records.parse_console(GOOD)
    other = records.parse_console(GOOD)
    assert records.compare(ref, other) == []
    other.records[0].stdout = b"x" * 200 + b"\ny\n"
    other.records[1].status = "exit 0"
    other.records.append(records.Record("c", status="exit 0"))
    diffs = records.compare(ref, other)
    assert any(d.startswith("a: stdout differs") and "line 2" in d for d in diffs)
    assert "b: status 'exit 0' (m6), 'signal 15' expected" in diffs
    assert "c: not in the reference run" in diffs
    del other.records[0]
    assert "a: no record (m6)" in records.compare(ref, other)


def test_read_list(tmp_path: Path) -> None:
    good = tmp_path / "list"
    good.write_text('# comment\nx exit:0 /bin/x "two words" ""\ny signal:9 /bin/y # tail\n')
    assert linux_ref.read_list(str(good)) == [("x", "exit 0", ["/bin/x", "two words", ""]),
                                              ("y", "signal 9", ["/bin/y"])]
    for text, message in [("x 0 /bin/x", "not exit:N"), ("x exit:0 bin/x", "absolute"),
                          ("x exit:0", "expected NAME"), ("x exit:0 /a\nx exit:0 /b", "repeated"),
                          ("x exit:0 /a 'b\tc'", "tab"), ("", "no programs"),
                          ("x exit:0 /a 'b", "quotation")]:
        bad = tmp_path / "bad"
        bad.write_text(text + "\n")
        with pytest.raises(linux_ref.RunnerError, match=message):
            linux_ref.read_list(str(bad))


def read_cpio(data: bytes) -> dict[str, tuple[int, bytes]]:
    out, at = {}, 0
    while True:
        fields = [int(data[at + 6 + 8 * i:at + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name = data[at + 110:at + 110 + namesize - 1].decode()
        at = (at + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            return out
        out[name] = (mode, data[at:at + size])
        at = (at + size + 3) & ~3


def test_initramfs_holds_init_programs_and_manifest(tmp_path: Path) -> None:
    init, prog = tmp_path / "init", tmp_path / "prog"
    init.write_bytes(b"INIT")
    prog.write_bytes(b"PROG")
    applets = tmp_path / "applets"
    applets.write_text("bin/busybox\nbin/ls\nusr/bin/awk\nlinuxrc\n")
    args = linux_ref.argparse.Namespace(init=str(init), file=[f"{prog}=bin/prog"],
                                        symlink=["bin/sh=prog"], busybox_links=str(applets))
    programs = [("p", "exit 0", ["/bin/prog", "an arg"]), ("s", "exit 3", ["/bin/sh"])]
    cpio = tmp_path / "out.cpio"
    linux_ref.build_initramfs(args, programs, cpio)
    files = read_cpio(cpio.read_bytes())
    assert files["init"] == (0o100755, b"INIT") and files["bin/prog"][1] == b"PROG"
    assert files["bin/sh"] == (0o120777, b"prog")
    # busybox's applets: relative beside it in bin/, absolute elsewhere; not itself.
    assert files["bin/ls"] == (0o120777, b"busybox")
    assert files["usr/bin/awk"] == (0o120777, b"/bin/busybox")
    assert files["linuxrc"] == (0o120777, b"/bin/busybox")
    assert "bin/busybox" not in files
    assert {d: files[d][0] for d in ("dev", "proc", "root", "tmp")} == {
        "dev": 0o40755, "proc": 0o40555, "root": 0o40700, "tmp": 0o41777}
    manifest = files["etc/m6-programs"][1].decode().splitlines()
    assert "env\tPATH=/bin" in manifest
    assert manifest[-2:] == ["run\tp\t/bin/prog\tan arg", "run\ts\t/bin/sh"]
    with pytest.raises(linux_ref.RunnerError, match="/bin/missing is not in the initramfs"):
        linux_ref.build_initramfs(args, [("m", "exit 0", ["/bin/missing"])], cpio)


def test_busybox_links_refuses_bad_lists(tmp_path: Path) -> None:
    for bad in ("/bin/ls", "bin/../etc/x", "a=b"):
        applets = tmp_path / "applets"
        applets.write_text(f"bin/ls\n{bad}\n")
        with pytest.raises(linux_ref.mkinitrd.PackError, match=":2: "):
            linux_ref.mkinitrd.busybox_links(str(applets))
    with pytest.raises(linux_ref.mkinitrd.PackError, match="No such file"):
        linux_ref.mkinitrd.busybox_links(str(tmp_path / "missing"))


# ---- scripts/debian_fetch.py ----------------------------------------------------------

VERSION = "1:2.0-1"


@pytest.fixture()
def deb(tmp_path: Path) -> tuple[Path, str]:
    """A small .deb (bin/tool, a hard link to it, a symlink, a doc file), cached as
    debian_fetch names it."""
    root = tmp_path / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: m6-test\nVersion: {VERSION}\nArchitecture: arm64\n"
        "Maintainer: m6 <m6@invalid>\nDescription: test\n")
    (root / "bin").mkdir()
    (root / "bin" / "tool").write_text("#!/bin/sh\n")
    (root / "bin" / "tool").chmod(0o755)
    (root / "usr" / "share" / "doc").mkdir(parents=True)
    (root / "usr" / "share" / "doc" / "README").write_text("doc\n")
    (root / "bin" / "alias").symlink_to("tool")
    os.link(root / "bin" / "tool", root / "bin" / "tool2")
    cache = tmp_path / "cache"
    (cache / "debs").mkdir(parents=True)
    path = cache / "debs" / "m6-test_1%3a2.0-1_arm64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(root), str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(tmp_path: Path, sha: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(FETCH), "--package", "m6-test", "--version",
                           VERSION, "--sha256", sha, "--out", str(tmp_path / "out"),
                           "--cache", str(tmp_path / "cache"), "--mirror", NO_MIRROR, *extra],
                          capture_output=True, text=True, check=False)


def test_cached_deb_is_used_without_the_mirror(tmp_path: Path, deb: tuple[Path, str]) -> None:
    path, sha = deb
    r = fetch(tmp_path, sha)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    assert (out / "bin" / "tool").read_text() == "#!/bin/sh\n"
    assert (out / "bin" / "tool").stat().st_mode & 0o777 == 0o755
    assert (out / "bin" / "alias").readlink() == Path("tool")
    assert (out / "bin" / "tool2").read_text() == "#!/bin/sh\n"
    assert (out / "usr" / "share" / "doc" / "README").exists()
    # Up to date: not even the cached .deb is read again.
    path.unlink()
    assert fetch(tmp_path, sha).returncode == 0


def test_extract_patterns(tmp_path: Path, deb: tuple[Path, str]) -> None:
    r = fetch(tmp_path, deb[1], "--extract", "bin/t*")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file()) == [
        ".m6-debian-stamp", "tool", "tool2"]
    r = fetch(tmp_path, deb[1], "--extract", "bin/tool2")
    assert r.returncode == 1 and "which is not unpacked" in r.stderr, r.stderr
    r = fetch(tmp_path, deb[1], "--extract", "boot/*")
    assert r.returncode == 1 and "no file matches boot/*" in r.stderr
    assert not (tmp_path / "out.tmp").exists()
    # The tree of the earlier pin is gone too: nothing may use what is not pinned now.
    assert not (tmp_path / "out").exists()


def test_checksum_mismatch_is_refetched_and_reported(tmp_path: Path, deb: tuple[Path, str]) -> None:
    r = fetch(tmp_path, "0" * 64)
    assert r.returncode == 1
    assert r.stderr.startswith(f"debian_fetch: m6-test {VERSION}: cannot fetch the package index")
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()


def test_error_file_lets_the_build_go_on(tmp_path: Path, deb: tuple[Path, str]) -> None:
    err = tmp_path / "m6-test.error"
    r = fetch(tmp_path, "0" * 64, "--error-file", str(err))
    assert r.returncode == 0 and "warning" in r.stderr
    assert err.read_text().startswith(f"m6-test {VERSION}: cannot fetch the package index")
    assert not (tmp_path / "out" / ".m6-debian-stamp").exists()
    # Success later removes the stale message.
    assert fetch(tmp_path, deb[1], "--error-file", str(err)).returncode == 0
    assert not err.exists()


def test_bad_pin_and_escaping_member(tmp_path: Path) -> None:
    r = fetch(tmp_path, "xyz")
    assert r.returncode == 1 and "'xyz' is not a SHA-256" in r.stderr
    sys.path.insert(0, str(ROOT / "scripts"))
    import debian_fetch
    with pytest.raises(debian_fetch.FetchError, match="leaves the package root"):
        debian_fetch.member_path("./usr/../../etc/passwd")
    assert str(debian_fetch.member_path("./usr/bin/x")) == "usr/bin/x"
    assert debian_fetch.member_path("./") is None


def test_records_cli_compares_json_with_a_console_log(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ref = tmp_path / "ref.json"
    records.save(records.parse_console(GOOD), str(ref))
    log = tmp_path / "m6.log"
    log.write_text(GOOD)
    assert records.main([str(ref), str(log)]) == 0
    log.write_text(GOOD.replace("status signal 15", "status exit 1"))
    assert records.main([str(ref), str(log)]) == 1
    assert "b: status 'exit 1' (other), 'signal 15' expected" in capsys.readouterr().out
    assert records.main([str(ref), str(tmp_path / "missing.log")]) == 2
