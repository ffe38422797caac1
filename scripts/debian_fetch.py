#!/usr/bin/env python3
"""Fetch one pinned Debian binary package and unpack it, without touching the host's apt.

    debian_fetch.py --package NAME --version VERSION --sha256 HEX --out DIR --cache DIR
                    [--mirror URI] [--suite "SUITE COMPONENT..."]... [--arch ARCH]
                    [--extract PATTERN]... [--error-file FILE]
    debian_fetch.py --query NAME --cache DIR [--mirror URI] [--suite ...] [--arch ARCH]

apt-get runs with a private sources list and private state (lists, caches, an empty dpkg
status) under --cache, so the host's package configuration is neither read for sources
nor changed. The archive index apt downloads is signed, and the .deb must then have the
exact SHA-256 given (cmake/debian-packages.txt pins it): nothing else is unpacked. The
.deb is kept in --cache/debs and never downloaded again while its checksum matches; the
index is fetched only when a .deb is missing, and again when the version is not in the
index cached.

The package's files are unpacked under --out (all of them, or only the paths matching an
--extract pattern, e.g. "boot/vmlinuz-*"), and --out/.m6-debian-stamp records what is
there; an up-to-date stamp makes the command do nothing.

--query prints the versions of NAME the mirror has, as pin lines for debian-packages.txt.

Errors go to stderr as "debian_fetch: ..." (naming the package and version) with exit
status 1. With --error-file the command instead writes the message there, prints it as a
warning and exits 0 without a stamp: the build goes on, the next build tries again, and
the test that needs the package fails with the message (test/linux/linux_ref.py).
"""
from __future__ import annotations

import argparse
import fcntl
import fnmatch
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SUITES = ["bookworm main"]
STAMP = ".m6-debian-stamp"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class FetchError(Exception):
    pass


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class PrivateApt:
    """apt-get and apt-cache with their own sources and state under `root`."""

    def __init__(self, root: Path, mirror: str, suites: list[str], arch: str) -> None:
        signed = f" signed-by={KEYRING}" if os.path.exists(KEYRING) else ""
        self.sources = "".join(f"deb [arch={arch}{signed}] {mirror} {s}\n" for s in suites)
        # One state directory per sources list, so that a change of mirror or suites
        # never reads an index fetched for another.
        key = hashlib.sha256(self.sources.encode()).hexdigest()[:16]
        self.dir = root / f"apt-{key}"
        self.mirror = mirror
        self.suites = suites
        (self.dir / "lists" / "partial").mkdir(parents=True, exist_ok=True)
        (self.dir / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        (self.dir / "sources.list").write_text(self.sources)
        self.options = [
            f"-oDir::Etc::sourcelist={self.dir / 'sources.list'}",
            "-oDir::Etc::sourceparts=-",
            "-oDir::Etc::preferences=/dev/null",
            "-oDir::Etc::preferencesparts=-",
            f"-oDir::State::Lists={self.dir / 'lists'}",
            "-oDir::State::status=/dev/null",
            f"-oDir::Cache={self.dir / 'cache'}",
            "-oDir::Cache::pkgcache=",
            "-oDir::Cache::srcpkgcache=",
            f"-oAPT::Architecture={arch}",
            f"-oAPT::Architectures={arch}",
            # A snapshot.debian.org mirror serves old Release files; the pinned SHA-256,
            # not the index's age, is what guarantees the bytes.
            "-oAcquire::Check-Valid-Until=false",
            "-oAcquire::Retries=2",
            "-oAcquire::http::Timeout=30",
        ]
        if os.geteuid() == 0:
            # Otherwise apt drops to _apt, who may not write into the build tree.
            self.options.append("-oAPT::Sandbox::User=root")

    def run(self, tool: str, args: list[str], cwd: Path | None = None) -> tuple[int, str]:
        try:
            proc = subprocess.run([tool, "-q", *self.options, *args], cwd=cwd,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, check=False)
        except OSError as e:
            raise FetchError(f"cannot run {tool}: {e.strerror}") from None
        return proc.returncode, proc.stdout

    def have_index(self) -> bool:
        return any(p.name.endswith(("_Packages", "_Packages.gz", "_Packages.xz", "_Packages.lz4"))
                   for p in (self.dir / "lists").iterdir())

    def update(self, what: str) -> None:
        status, out = self.run("apt-get", ["update"])
        # apt-get update exits 0 even when a source failed; its "W:"/"E:" lines say so.
        bad = [l for l in out.splitlines() if l.startswith(("E:", "W:", "Err:"))]
        if status != 0 or bad or not self.have_index():
            # "W: Failed to fetch URL  REASON" says what went wrong; the rest is apt's summary.
            why = [re.sub(r"^[EW]: Failed to fetch \S+\s*", "", l) for l in bad
                   if l.startswith(("E:", "W: Failed to fetch"))]
            detail = "; ".join(dict.fromkeys(why)) or "no index"
            raise FetchError(f"{what}: cannot fetch the package index from {self.mirror} "
                             f"(no network, or the mirror is unreachable): {detail}")


def apt_errors(out: str) -> str:
    lines = [l for l in out.splitlines() if l.startswith(("E:", "Err:"))]
    return "; ".join(lines) or out.strip()


def download(apt: PrivateApt, name: str, version: str, debs: Path) -> Path:
    """apt-get download name=version into a fresh directory under `debs`; the .deb's path."""
    what = f"{name} {version}"
    if not apt.have_index():
        apt.update(what)
    for attempt in (1, 2):
        with tempfile.TemporaryDirectory(dir=debs, prefix="dl-") as tmp:
            status, out = apt.run("apt-get", ["download", f"{name}={version}"], cwd=Path(tmp))
            got = sorted(Path(tmp).glob("*.deb"))
            if status == 0 and len(got) == 1:
                final = debs / got[0].name
                os.replace(got[0], final)
                return final
        missing = re.search(r"(Version '.*' for '.*' was not found|Unable to locate package)", out)
        if missing and attempt == 1:
            apt.update(what)  # the cached index may be older than the pin
            continue
        if missing:
            raise FetchError(
                f"{what}: this version is not in {apt.mirror} ({', '.join(apt.suites)}) any "
                f"more: {missing.group(0)}. Pin one that is (debian_fetch.py --query {name} "
                "lists them) in cmake/debian-packages.txt, or set -DM6_DEBIAN_MIRROR= to a "
                "snapshot.debian.org URI that still has it")
        raise FetchError(f"{what}: download from {apt.mirror} failed: {apt_errors(out)}")
    raise AssertionError("unreachable")


def member_path(name: str) -> PurePosixPath | None:
    """The member's path relative to the package root, None if it is the root itself.
    A path that would leave the root is refused."""
    p = PurePosixPath(name)
    parts = [x for x in p.parts if x not in (".", "/")]
    if any(x == ".." for x in parts):
        raise FetchError(f"archive member '{name}' leaves the package root")
    return PurePosixPath(*parts) if parts else None


def unpack(deb: Path, dest: Path, patterns: list[str]) -> int:
    """Unpack the files of `deb` matching `patterns` (all without any) into `dest`, which
    must not exist. Regular files (hard links as copies), directories and symlinks; device
    nodes and the like are left out. The number of files."""
    dest.mkdir(parents=True)
    try:
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError as e:
        raise FetchError(f"cannot run dpkg-deb: {e.strerror}") from None
    count = 0
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for m in tar:
                rel = member_path(m.name)
                if rel is None:
                    continue
                if patterns and not any(fnmatch.fnmatchcase(str(rel), p) for p in patterns):
                    continue
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if m.isdir():
                    target.mkdir(exist_ok=True)
                elif m.isfile():
                    src = tar.extractfile(m)
                    assert src is not None
                    with open(target, "wb") as out:
                        shutil.copyfileobj(src, out)
                    os.chmod(target, m.mode & 0o755)
                    count += 1
                elif m.issym():
                    os.symlink(m.linkname, target)
                    count += 1
                elif m.islnk():
                    # A hard link names a member unpacked before it (when it matched too).
                    source = member_path(m.linkname)
                    if source is None or not (dest / source).is_file():
                        raise FetchError(f"{deb.name}: '{m.name}' links to '{m.linkname}', "
                                         "which is not unpacked (add it to the patterns)")
                    shutil.copy2(dest / source, target)
                    count += 1
    except tarfile.TarError as e:
        raise FetchError(f"{deb.name}: bad data archive: {e}") from None
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        status = proc.wait()
    if status != 0:
        raise FetchError(f"{deb.name}: dpkg-deb failed: {err.strip()}")
    if patterns and count == 0:
        raise FetchError(f"{deb.name}: no file matches {' '.join(patterns)}")
    return count


def fetch(args: argparse.Namespace) -> None:
    name, version, want = args.package, args.version, args.sha256.lower()
    what = f"{name} {version}"
    if not re.fullmatch(r"[0-9a-f]{64}", want):
        raise FetchError(f"{what}: '{args.sha256}' is not a SHA-256 (64 hex digits)")
    out, cache = Path(args.out), Path(args.cache)
    stamp_text = f"{name} {version} {want} {' '.join(args.extract)}\n"
    stamp = out / STAMP
    if stamp.is_file() and stamp.read_text() == stamp_text:
        return
    # Whatever is there is not what is pinned: if the fetch fails, nothing may use it.
    shutil.rmtree(out, ignore_errors=True)
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    # Two packages fetched by parallel build steps share the cache and apt state: they
    # take turns.
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        deb = debs / f"{name}_{version.replace(':', '%3a')}_{args.arch}.deb"
        if not (deb.is_file() and sha256_of(deb) == want):
            apt = PrivateApt(cache, args.mirror, args.suite or DEFAULT_SUITES, args.arch)
            got = download(apt, name, version, debs)
            if got != deb:
                os.replace(got, deb)
            have = sha256_of(deb)
            if have != want:
                deb.unlink()
                raise FetchError(f"{what}: the downloaded .deb has SHA-256 {have}, but "
                                 f"{want} is pinned; refusing it (a changed pin, a bad mirror "
                                 "or a rebuilt package: check before updating the pin)")
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            unpack(deb, tmp, args.extract)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        (tmp / STAMP).write_text(stamp_text)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)


def query(args: argparse.Namespace) -> None:
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        apt = PrivateApt(cache, args.mirror, args.suite or DEFAULT_SUITES, args.arch)
        apt.update(args.query)
        status, out = apt.run("apt-cache", ["show", args.query])
    if status != 0:
        raise FetchError(f"{args.query}: {apt_errors(out)}")
    for para in out.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", para, re.MULTILINE))
        if "Version" in fields and "SHA256" in fields:
            print(f"package {fields['Package']} {fields['Version']} {fields['SHA256']}")


def main() -> int:
    ap = argparse.ArgumentParser(description="Fetch and unpack one pinned Debian package.")
    ap.add_argument("--package", help="binary package name, e.g. busybox-static")
    ap.add_argument("--version", help="exact version, epoch included")
    ap.add_argument("--sha256", help="the .deb's SHA-256")
    ap.add_argument("--out", help="directory to unpack into (replaced)")
    ap.add_argument("--cache", required=True, help="download cache and apt state")
    ap.add_argument("--mirror", default=DEFAULT_MIRROR)
    ap.add_argument("--suite", action="append", default=[], help='"SUITE COMPONENT..."')
    ap.add_argument("--arch", default="arm64")
    ap.add_argument("--extract", action="append", default=[], metavar="PATTERN",
                    help="unpack only paths matching this glob (relative, e.g. boot/vmlinuz-*)")
    ap.add_argument("--error-file", help="on failure write the message here and exit 0")
    ap.add_argument("--query", metavar="NAME", help="print NAME's available versions as pins")
    args = ap.parse_args()
    try:
        if args.query:
            query(args)
            return 0
        missing = [o for o in ("package", "version", "sha256", "out") if not getattr(args, o)]
        if missing:
            ap.error("missing " + ", ".join("--" + o for o in missing))
        if args.error_file:
            Path(args.error_file).unlink(missing_ok=True)
        fetch(args)
    except (FetchError, OSError) as e:
        if isinstance(e, OSError):
            msg = f"{args.package or args.query} {args.version or ''}: " \
                  f"{e.filename or ''}: {e.strerror}".replace("  ", " ")
        else:
            msg = str(e)
        if args.error_file:
            try:
                Path(args.error_file).write_text(msg + "\n")
            except OSError:
                pass
            else:
                print(f"debian_fetch: warning: {msg} (what needs it will fail)", file=sys.stderr)
                return 0
        print(f"debian_fetch: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("debian_fetch: interrupted", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
