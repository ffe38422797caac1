#!/usr/bin/env python3
"""Writes the seed inputs of the file-service fuzzers (docs/testing.md):

    make_fs_seeds.py [CORPUS_DIR]     (default: test/fuzzers/corpus next to this script)

into CORPUS_DIR/vfs, CORPUS_DIR/fs_server and CORPUS_DIR/remote_fs as seed-*. Each seed
is a short scenario in the harness's input format (see the comment at the top of each
harness), written so that together they reach every method with valid arguments, where
random bytes would mostly stop at the first check. Re-running it rewrites the same bytes.
"""
from __future__ import annotations

import struct
import sys
from pathlib import Path


def u8(x: int) -> bytes:
    return struct.pack("<B", x)


def u16(x: int) -> bytes:
    return struct.pack("<H", x & 0xFFFF)


def u32(x: int) -> bytes:
    return struct.pack("<I", x & 0xFFFFFFFF)


def u64(x: int) -> bytes:
    return struct.pack("<Q", x & 0xFFFFFFFFFFFFFFFF)


# ---- fuzz_vfs (test/fuzzers/vfs/fuzz_vfs.c) ------------------------------------------------

VFS_METHODS = [
    "open", "close", "read", "write", "pread", "pwrite", "seek", "stat", "fstat", "readdir",
    "mkdir", "rmdir", "unlink", "rename", "truncate", "ftruncate", "fsync", "statfs", "chdir",
    "getcwd", "dup", "chmod", "chown", "mounts",
]
O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
CREAT, EXCL, TRUNC, APPEND, DIRECTORY = 0x04, 0x08, 0x10, 0x20, 0x40  # the harness's bits
UNKNOWN = 0xFF  # the client byte of the badge without a window


class Vfs:
    """Builds one fuzz_vfs input."""

    def __init__(self) -> None:
        self.out = b""

    def call(self, method: str, client: int, args: bytes = b"") -> "Vfs":
        self.out += u8(VFS_METHODS.index(method)) + u8(client) + args
        return self

    def window(self, client: int, off: int, data: bytes) -> "Vfs":
        assert len(data) < 256
        self.out += u8(0xE0) + u8(client) + u16(off) + u8(len(data)) + data
        return self


def path(p: str | bytes) -> bytes:
    b = p.encode() if isinstance(p, str) else p
    assert len(b) < 0x80
    return u8(len(b)) + b


def raw_path(off: int, length: int) -> bytes:
    return u8(0xC0) + u64(off) + u32(length)


LONG_NAME = u8(0xBE)
LONG_PATH = u8(0xBF)


def rng(off: int, length: int) -> bytes:
    return u8(0) + u16(off) + u16(length)


def raw_rng(off: int, length: int) -> bytes:
    return u8(0xC0) + u64(off) + u32(length)


def fd(n: int) -> bytes:
    return u8(n) if n < 8 else u8(0xF0) + u32(n)


def size(n: int) -> bytes:
    return u8(0) + u16(n) if n < 0x10000 else u8(0xFF) + u64(n)


def seek(f: int, off: int, whence: int) -> bytes:
    if -0x8000 <= off < 0x8000:
        o = u8(0) + u16(off)
    else:
        o = u8(0xFF) + u64(off)
    return fd(f) + o + u8(whence)


def vfs_seeds() -> dict[str, bytes]:
    s: dict[str, bytes] = {}
    # A file's life: create, write, seek, read back, pread/pwrite, stat, truncate, dup.
    v = Vfs()
    v.call("open", 0, path("/tmp/a") + u8(O_RDWR | CREAT) + u16(0o644))
    v.window(0, 100, b"hello, world")
    v.call("write", 0, fd(0) + rng(100, 12))
    v.call("seek", 0, seek(0, 0, 0))
    v.call("read", 0, fd(0) + rng(200, 64))
    v.call("pwrite", 0, fd(0) + rng(100, 5) + size(5000))
    v.call("pread", 0, fd(0) + rng(300, 100) + size(4990))
    v.call("seek", 0, seek(0, -3, 2))
    v.call("fstat", 0, fd(0))
    v.call("dup", 0, fd(0))
    v.call("read", 0, fd(1) + rng(0, 16))
    v.call("ftruncate", 0, fd(0) + size(3))
    v.call("fsync", 0, fd(1))
    v.call("close", 0, fd(0))
    v.call("close", 0, fd(1))
    v.call("close", 0, fd(1))
    v.call("open", 0, path("/tmp/a") + u8(O_WRONLY | APPEND) + u16(0))
    v.call("write", 0, fd(0) + rng(100, 12))
    v.call("stat", 0, path("/tmp/a"))
    s["seed-vfs-file"] = v.out
    # Directories: mkdir, chdir, relative paths, readdir, rename, rmdir, unlink.
    v = Vfs()
    v.call("mkdir", 1, path("/tmp/d") + u16(0o755))
    v.call("mkdir", 1, path("/tmp/d/e") + u16(0o700))
    v.call("chdir", 1, path("/tmp/d"))
    v.call("getcwd", 1, rng(0, 64))
    v.call("open", 1, path("x") + u8(O_WRONLY | CREAT | EXCL) + u16(0o600))
    v.call("open", 1, path(".") + u8(O_RDONLY | DIRECTORY) + u16(0))
    v.call("readdir", 1, fd(1) + rng(0, 300))
    v.call("seek", 1, seek(1, 0, 0))
    v.call("readdir", 1, fd(1) + rng(0, 40))
    v.call("seek", 1, seek(1, 0, 1))
    v.call("rename", 1, path("e") + path("f"))
    v.call("rename", 1, path("x") + path("../y"))
    v.call("stat", 1, path("../y"))
    v.call("rmdir", 1, path("f"))
    v.call("rmdir", 1, path("/tmp/d"))
    v.call("unlink", 1, path("/tmp/y"))
    v.call("chdir", 1, path(".."))
    v.call("close", 1, fd(1))
    v.call("rmdir", 1, path("d/"))
    v.call("mounts", 1, rng(0, 200))
    v.call("mounts", 1, rng(0, 10))
    s["seed-vfs-dirs"] = v.out
    # Attributes and path operations on / and /tmp.
    v = Vfs()
    v.call("open", 2, path("/f") + u8(O_RDWR | CREAT | TRUNC) + u16(0o640))
    v.window(2, 8000, bytes(range(200)))
    v.call("write", 2, fd(0) + rng(8000, 200))
    v.call("write", 2, fd(0) + rng(0, 9000))
    v.call("truncate", 2, path("/f") + size(100000))
    v.call("truncate", 2, path("/f") + size(10))
    v.call("chmod", 2, path("/f") + u32(0o4755))
    v.call("chown", 2, path("/f") + u8(0) + u16(1000) + u16(100))
    v.call("chown", 2, path("/f") + u8(1) + u16(5))
    v.call("statfs", 2, path("/tmp"))
    v.call("statfs", 2, path("/f"))
    v.call("mkdir", 2, path("/d") + u16(0o777))
    v.call("rename", 2, path("/f") + path("/d/g"))
    v.call("rename", 2, path("/d/g") + path("/tmp/g"))
    v.call("stat", 2, path("/d/g/"))
    v.call("open", 2, path("/d/") + u8(O_RDONLY) + u16(0))
    v.call("fstat", 2, fd(1))
    v.call("write", 2, fd(1) + rng(0, 1))
    v.call("unlink", 2, path("/d/g"))
    v.call("fstat", 2, fd(0))
    s["seed-vfs-attrs"] = v.out
    # The read-only mounts and the mount points in directory listings.
    v = Vfs()
    v.call("open", 0, path("/rom/etc/motd") + u8(O_RDONLY) + u16(0))
    v.call("read", 0, fd(0) + rng(0, 4096))
    v.call("write", 0, fd(0) + rng(0, 4))
    v.call("open", 0, path("/rom/mnt/f") + u8(O_RDWR) + u16(0))
    v.call("open", 0, path("/rom/mnt/f") + u8(O_RDONLY | CREAT) + u16(0))
    v.call("open", 0, path("/rom/mnt/h") + u8(O_RDONLY | CREAT) + u16(0))
    v.call("open", 0, path("/rom") + u8(O_RDONLY | DIRECTORY) + u16(0))
    v.call("readdir", 0, fd(2) + rng(0, 4096))
    v.call("readdir", 0, fd(2) + rng(0, 4096))
    v.call("open", 0, path("/") + u8(O_RDONLY) + u16(0))
    v.call("readdir", 0, fd(3) + rng(0, 100))
    v.call("readdir", 0, fd(3) + rng(0, 100))
    v.call("readdir", 0, fd(3) + rng(0, 24))
    v.call("statfs", 0, path("/rom/mnt"))
    v.call("mkdir", 0, path("/rom/x") + u16(0o755))
    v.call("unlink", 0, path("/rom/etc/motd"))
    v.call("rmdir", 0, path("/rom/mnt"))
    v.call("rename", 0, path("/rom/etc/motd") + path("/rom/etc/m"))
    v.call("truncate", 0, path("/rom/mnt/f") + size(0))
    v.call("chmod", 0, path("/rom/bin/hello") + u32(0o600))
    v.call("stat", 0, path("/rom/bin/sh"))
    v.call("open", 0, path("/rom/bin/sh") + u8(O_RDONLY) + u16(0))
    v.call("chdir", 0, path("/rom/usr/share/doc/m6"))
    v.call("open", 0, path("motd") + u8(O_RDONLY) + u16(0))
    v.call("pread", 0, fd(1) + rng(10, 10) + size(4))
    s["seed-vfs-readonly"] = v.out
    # Clients apart: another client's descriptor numbers, the unknown badge, windows.
    v = Vfs()
    v.call("open", 0, path("/tmp/a") + u8(O_RDWR | CREAT) + u16(0o666))
    v.call("read", 1, fd(0) + rng(0, 10))
    v.call("close", 2, fd(0))
    v.call("dup", 1, fd(0))
    v.call("open", UNKNOWN, path("/tmp/a") + u8(O_RDONLY) + u16(0))
    v.call("getcwd", UNKNOWN, rng(0, 10))
    v.call("write", 0, fd(0) + raw_rng(4000, 200))
    v.call("write", 0, fd(0) + raw_rng(0xFFFFFFFFFFFFFFF0, 0x20))
    v.call("open", 0, raw_path(4090, 10) + u8(O_RDONLY) + u16(0))
    v.call("stat", 1, LONG_NAME)
    v.call("stat", 2, LONG_PATH)
    v.call("mkdir", 2, LONG_NAME + u16(0o755))
    v.call("seek", 0, seek(0, 1 << 62, 0))
    v.call("seek", 0, seek(0, 1 << 62, 1))
    v.call("seek", 0, seek(0, 1, 7))
    v.call("pwrite", 0, fd(0) + rng(0, 10) + size((1 << 63) - 5))
    v.call("pread", 0, fd(0) + rng(0, 10) + size(1 << 63))
    v.call("ftruncate", 0, fd(0) + size(1 << 63))
    v.call("getcwd", 0, rng(0, 1))
    v.call("close", 0, fd(1000))
    s["seed-vfs-clients"] = v.out
    # Filling /tmp: writes until ENOSPC, then what a full file system still allows.
    v = Vfs()
    v.window(2, 0, b"x" * 255)
    for i in range(4):
        v.call("open", 2, path(f"/tmp/big{i}") + u8(O_WRONLY | CREAT) + u16(0o644))
        for _ in range(3):
            v.call("write", 2, fd(i) + rng(0, 9000))
    v.call("mkdir", 2, path("/tmp/full") + u16(0o755))
    v.call("open", 2, path("/tmp/new") + u8(O_WRONLY | CREAT) + u16(0o644))
    v.call("truncate", 2, path("/tmp/big0") + size(0))
    v.call("write", 2, fd(3) + rng(0, 9000))
    s["seed-vfs-full"] = v.out
    # A client's 64 descriptors: dup until EMFILE, then open and dup are refused; closing
    # one frees the lowest number again.
    v = Vfs()
    v.call("open", 1, path("/tmp/m") + u8(O_RDWR | CREAT) + u16(0o644))
    for _ in range(63):
        v.call("dup", 1, fd(0))
    v.call("dup", 1, fd(0))
    v.call("open", 1, path("/tmp/m") + u8(O_RDONLY) + u16(0))
    v.call("close", 1, fd(5))
    v.call("open", 1, path("/tmp") + u8(O_RDONLY) + u16(0))
    v.call("write", 1, fd(63) + rng(0, 10))
    s["seed-vfs-emfile"] = v.out
    # Regression: a readdir whose first entry did not fit (-EINVAL) moved the position
    # from the end of the file system's entries to the mount points it lists after them.
    v = Vfs()
    v.call("open", 0, path("/") + u8(O_RDONLY | DIRECTORY) + u16(0))
    v.call("seek", 0, seek(0, 2, 0))  # tmpfs's cookie after "." and ".."
    v.call("readdir", 0, fd(0) + rng(0, 8))  # "rom" does not fit: -EINVAL, no change
    v.call("seek", 0, seek(0, 0, 1))
    s["regress-vfs-readdir-einval-moved"] = v.out
    return s


# ---- fuzz_fs_server (test/fuzzers/fs/fuzz_fs_server.c) --------------------------------------

FS_LABELS = {
    "open": 1, "close": 2, "read": 3, "write": 4, "truncate": 5, "getattr": 6, "setattr": 7,
    "readdir": 8, "stat": 9, "mkdir": 10, "rmdir": 11, "unlink": 12, "rename": 13, "sync": 14,
    "statfs": 15,
}


class Fs:
    """Builds one fuzz_fs_server input: window writes and raw messages."""

    def __init__(self) -> None:
        self.out = b""

    def window(self, off: int, data: bytes) -> "Fs":
        assert len(data) < 256
        self.out += u8(0xF0) + u16(off) + u8(len(data)) + data
        return self

    def msg(self, label: int | str, words: list[int], length: int | None = None) -> "Fs":
        lab = FS_LABELS[label] if isinstance(label, str) else label
        n = len(words) if length is None else length
        self.out += u8(lab) + u8(n) + b"".join(u64(w) for w in words)
        return self


H = 0xFFFFFFFFFFFFFF00  # fuzz_fs_server's alias of the first handle open answered


def fs_server_seeds() -> dict[str, bytes]:
    s: dict[str, bytes] = {}
    # Handles are tmpfs's own numbers: the seeds name the k-th one open answered as H + k.
    f = Fs()
    f.window(0, b"a")
    f.msg("open", [0, 1, 0o102, 0o644])  # O_RDWR | O_CREAT
    f.window(100, b"file contents")
    f.msg("write", [H, 0, 100, 13])
    f.msg("read", [H, 2, 200, 64])
    f.msg("read", [H + 1, 0, 0, 1])  # one handle open: H + 1 is H
    f.msg("getattr", [H])
    f.msg("setattr", [H, 0x1F, 7, 0o600, 1, 5, 6, 0, 0, 0, 0, 111, 222, 333])
    f.msg("truncate", [H, 4])
    f.msg("sync", [H])
    f.msg("sync", [0xFFFFFFFFFFFFFFFF])
    f.msg("statfs", [])
    f.msg("close", [H])
    f.msg("close", [H])
    f.msg("read", [H, 0, 0, 10])
    s["seed-fs-file"] = f.out
    f = Fs()
    f.window(0, b"dd/e")
    f.msg("mkdir", [0, 2, 0o755])
    f.msg("mkdir", [0, 4, 0o700])
    f.msg("stat", [0, 4])
    f.window(10, b"dd/f")
    f.msg("rename", [0, 4, 10, 4])
    f.msg("open", [0, 0, 0o40000, 0])  # the root, O_DIRECTORY
    f.msg("readdir", [H, 0, 500, 256])
    f.msg("readdir", [H, 1, 500, 256])
    f.msg("readdir", [H, 2, 500, 2])
    f.msg("readdir", [H, 2, 500, 256])
    f.msg("rmdir", [0, 2])
    f.msg("rmdir", [10, 4])
    f.msg("unlink", [0, 2])
    f.msg("rmdir", [0, 2])
    s["seed-fs-dirs"] = f.out
    f = Fs()
    f.window(0, b"/abs")
    f.msg("stat", [0, 4])
    f.window(0, b"a/../b")
    f.msg("stat", [0, 6])
    f.window(0, b"a\x00b")
    f.msg("mkdir", [0, 3, 0o755])
    f.window(0, b"trail/")
    f.msg("unlink", [0, 6])
    f.msg("stat", [0xFFFFFFFFFFFFFFFF, 2])
    f.msg("stat", [0, 5000])
    f.msg("read", [1, 0, 8000, 1000])
    f.msg("write", [1, 0, 0xFFFFFFFFFFFFFF00, 0x200])
    f.msg("readdir", [1, 0, 8191, 5])
    f.msg("open", [0, 1], length=2)  # too short a message
    f.msg(0, [])
    f.msg(16, [1, 2, 3])
    f.msg("rename", [0, 1, 0xFFFFFFFF, 1])
    s["seed-fs-bad"] = f.out
    return s


# ---- fuzz_remote_fs (test/fuzzers/fs/fuzz_remote_fs.c) --------------------------------------

REMOTE_OPS = ["open", "close", "read", "write", "truncate", "getattr", "setattr", "readdir",
              "stat", "mkdir", "rmdir", "unlink", "rename", "sync", "statfs"]


class Remote:
    """Builds one fuzz_remote_fs input: an op for remote_fs, then the server's answers."""

    def __init__(self) -> None:
        self.out = b""

    def op(self, name: str, args: bytes = b"") -> "Remote":
        self.out += u8(REMOTE_OPS.index(name)) + args
        return self

    def answer(self, words: list[int], err: int = 0, status: int = 0,
               window: bytes = b"", length: int | None = None) -> "Remote":
        """One answer: the call's error, the status label, the words, window bytes."""
        n = len(words) if length is None else length
        self.out += u8(err) + u8(status) + u8(n) + b"".join(u64(w) for w in words)
        self.out += u16(len(window)) + window
        return self


def remote_fs_seeds() -> dict[str, bytes]:
    s: dict[str, bytes] = {}
    attr = [7, 0o100644, 1, 0, 0, 12, 8, 4096, 0, 1, 2, 3]
    r = Remote()
    r.op("open", path("a/b") + u32(2) + u32(0o644)).answer([0, 42] + attr)
    r.op("read", u64(42) + u64(0) + u32(100)).answer([12], window=b"hello world!")
    r.op("read", u64(42) + u64(0) + u32(10000)).answer([2048]).answer([2048]).answer([5])
    r.op("write", u64(42) + u64(0) + u32(5000)).answer([2048]).answer([2048]).answer([904])
    r.op("getattr", u64(42)).answer([0] + attr)
    r.op("setattr", u64(42) + u32(1)).answer([0])
    r.op("truncate", u64(42) + u64(3)).answer([0])
    r.op("sync", u64(42)).answer([0])
    r.op("close", u64(42)).answer([0])
    r.op("statfs").answer([0, 512, 255, 100, 50, 0, 0, 0, 0])
    s["seed-remote-ok"] = r.out
    r = Remote()
    r.op("readdir", u64(1) + u64(0)).answer([1, 5, 1, 4, 3], window=b"abc\x00")
    r.op("readdir", u64(1) + u64(1)).answer([1, 5, 2, 4, 300], window=b"x" * 255)
    r.op("readdir", u64(1) + u64(2)).answer([1, 5, 2, 4, 2], window=b"a/")
    r.op("readdir", u64(1) + u64(3)).answer([0])
    r.op("stat", path("f")).answer([0] + attr)
    r.op("mkdir", path("d") + u32(0o755)).answer([(1 << 64) - 17])
    r.op("rmdir", path("d")).answer([(1 << 64) - 5000])
    r.op("unlink", path("f")).answer([1])
    r.op("rename", path("f") + path("g")).answer([0])
    s["seed-remote-dir"] = r.out
    r = Remote()
    # Lies: more than asked, a failed call, a short answer, an error status.
    r.op("read", u64(1) + u64(0) + u32(100)).answer([101])
    r.op("read", u64(1) + u64(0) + u32(100)).answer([50], err=3)
    r.op("write", u64(1) + u64(0) + u32(100)).answer([(1 << 63)])
    r.op("open", path("x") + u32(0) + u32(0)).answer([0], length=1)
    r.op("getattr", u64(1)).answer([0], status=4)
    r.op("read", u64(1) + u64(0) + u32(9000)).answer([4096]).answer([4096]).answer([(1 << 64) - 5])
    s["seed-remote-lies"] = r.out
    return s


def main() -> int:
    here = Path(__file__).resolve().parent
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "corpus"
    for sub, seeds in (("vfs", vfs_seeds()), ("fs_server", fs_server_seeds()),
                       ("remote_fs", remote_fs_seeds())):
        d = corpus / sub
        d.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (d / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
