"""m6idl: interface descriptions to C stubs; errors with file:line:col, never a traceback."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO
from m6idl import cli

INTERFACES = REPO / "libm6" / "interfaces"


def _run(tmp_path: Path, text: str, out: bool = True) -> tuple[int, str]:
    src = tmp_path / "x.idl"
    src.write_text(text)
    err = io.StringIO()
    args = [str(src)] + (["--out", str(tmp_path / "x_idl.h")] if out else [])
    status = cli.main(args, err=err)
    return status, err.getvalue().replace(str(src), "x.idl")


@pytest.mark.parametrize("idl", sorted(INTERFACES.glob("*.idl")), ids=lambda p: p.stem)
def test_shipped_interfaces_compile(idl: Path, tmp_path: Path) -> None:
    out = tmp_path / f"{idl.stem}_idl.h"
    assert cli.main([str(idl), "--out", str(out)], err=io.StringIO()) == 0
    text = out.read_text()
    assert f"static inline int {idl.stem}_dispatch(" in text
    assert f"static inline void {idl.stem}_serve(m6_cptr_t ep, const struct {idl.stem}_server *srv)" in text
    clang = shutil.which("clang")
    if clang:  # the header compiles against libm6 for the target, warnings as errors
        main = tmp_path / "use.c"
        main.write_text(f'#include "{out.name}"\n')
        cmd = [clang, "--target=aarch64-none-elf", "-ffreestanding", "-std=c11", "-Wall", "-Wextra",
               "-Werror", "-fsyntax-only", f"-I{tmp_path}", f"-I{REPO / 'libm6' / 'include'}",
               f"-I{REPO / 'kernel' / 'include' / 'uapi'}", "--sysroot=/usr/lib/picolibc/aarch64-linux-gnu",
               str(main)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_labels_and_layout(tmp_path: Path) -> None:
    status, err = _run(tmp_path, """interface calc {
    add(u64 a, i32 b) -> (i64 sum);
    name(bytes[20] who) -> (bytes[9] greeting, bool ok);
    ping();
}
""")
    assert (status, err) == (0, "")
    text = (tmp_path / "x_idl.h").read_text()
    assert "CALC_LABEL_ADD = 1," in text and "CALC_LABEL_PING = 3," in text
    assert "static inline uint64_t calc_add(m6_cptr_t ep, uint64_t a, int32_t b, int64_t *sum)" in text
    # bytes[20]: a length word and three words of bytes; the answer: 1 + 2 words, then ok.
    assert "calc.name: client stub (label 2, 4 words in, 4 out)" in text
    assert "#define CALC_NAME_WHO_MAX 20" in text
    assert "uint64_t (*ping)(void *state, uint64_t badge);" in text


def test_syntax_error(tmp_path: Path) -> None:
    status, err = _run(tmp_path, "interface a {\n    f(u64 x) -> u64;\n}\n")
    assert status == 1
    assert err == """x.idl:2:17: error: unexpected 'u64'
    2 |     f(u64 x) -> u64;
      |                 ^~~
hint: expected '('
"""


def test_semantic_errors(tmp_path: Path) -> None:
    status, err = _run(tmp_path, """interface a {
    f(u64 x, u32 x);
    f();
    g(bytes[0] b);
    h(bytes[505] big);
    k(u64 ctx);
}
""")
    assert status == 1
    assert err.splitlines()[0] == "x.idl:2:18: error: duplicate name 'x' in method 'f'"
    assert "x.idl:3:5: error: duplicate method 'f' in interface 'a'" in err
    assert "x.idl:4:13: error: bytes[0] is out of range" in err
    assert "x.idl:5:13: error: bytes[505] is out of range" in err
    assert "x.idl:6:11: error: 'ctx' cannot be a parameter name" in err


def test_too_many_words(tmp_path: Path) -> None:
    status, err = _run(tmp_path, "interface a {\n    f(bytes[504] x, u64 y);\n}\n")
    assert status == 1
    assert "x.idl:2:5: error: the parameters of 'a.f' take 65 message words, more than 64" in err


def test_unreadable_file_and_usage(tmp_path: Path) -> None:
    err = io.StringIO()
    assert cli.main([str(tmp_path / "missing.idl")], err=err) == 1
    assert err.getvalue().startswith("m6idl: error: cannot read ")
    assert cli.main([], err=io.StringIO()) == 2
