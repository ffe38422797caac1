"""m6idl: interface descriptions to C stubs; errors with file:line:col, never a traceback."""

from __future__ import annotations

import io
import re
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
    if re.search(r"^interface\s", idl.read_text(), re.MULTILINE):  # block.idl has queues only
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


_FULL = """enum mode { raw, cooked = 4, fast }
struct point { i32 x; i32 y; }
struct shape { point origin; mode m; u16 sides; bool closed; }
queue requests<shape, 64>;
interface draw {
    errors { busy, off_canvas }
    add(shape s, u32 tag) -> (point centre, u64 id);
    set_mode(mode to) -> (mode old);
    oneway poke(point where);
    oneway reset();
}
"""


def _compile_c(tmp_path: Path, header: Path, body: str = "") -> None:
    """The header compiles for the target with warnings as errors (skipped without clang)."""
    clang = shutil.which("clang")
    if not clang:
        return
    main = tmp_path / "use.c"
    main.write_text(f'#include "{header.name}"\n{body}')
    cmd = [clang, "--target=aarch64-none-elf", "-ffreestanding", "-std=c11", "-Wall", "-Wextra",
           "-Werror", "-fsyntax-only", f"-I{tmp_path}", f"-I{REPO / 'libm6' / 'include'}",
           f"-I{REPO / 'kernel' / 'include' / 'uapi'}", "--sysroot=/usr/lib/picolibc/aarch64-linux-gnu",
           str(main)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_structs_enums_errors_oneway_queue(tmp_path: Path) -> None:
    status, err = _run(tmp_path, _FULL)
    assert (status, err) == (0, "")
    text = (tmp_path / "x_idl.h").read_text()
    # enums: values as declared, a validity check the server applies to received words
    assert "\tMODE_COOKED = 4,\n\tMODE_FAST = 5,\n" in text
    assert "static inline bool mode_valid(uint64_t v)" in text
    # structs nest; a struct travels as one word per leaf: shape = 2 + 1 + 1 + 1 words
    assert "struct shape {\n\tstruct point origin;\n\tenum mode m;\n\tuint16_t sides;\n\tbool closed;\n};" in text
    assert "draw.add: client stub (label 1, 6 words in, 3 out)" in text
    assert ("static inline uint64_t draw_add(m6_cptr_t ep, const struct shape *s, uint32_t tag, "
            "struct point *centre, uint64_t *id)") in text
    assert "words[1] = (uint64_t)s->origin.y;" in text
    assert "if (!mode_valid(words[2]))\n\t\treturn m6_idl_answer(m, M6_ERR_INVALID_ARGUMENT);" in text
    assert "a_s.origin.y = (int32_t)words[1];" in text
    # per-interface errors, clear of m6's
    assert "DRAW_ERR_OFF_CANVAS = M6_IDL_ERROR_BASE + 1," in text
    assert 'case DRAW_ERR_BUSY:\n\t\treturn "busy";' in text
    # oneway: sent, never answered; the server's function returns nothing
    assert "return m6_idl_send(ep, 3, words, 2);" in text
    assert "void (*poke)(void *state, uint64_t badge, const struct point *where);" in text
    assert "\tcase 3:\n\t\tdraw_serve_poke(ops, state, badge, m);\n\t\treturn 1;" in text
    # serve loop and allow masks
    assert "#define DRAW_METHOD_RESET M6_IDL_METHOD(4)" in text
    assert "#define DRAW_METHODS_ALL (DRAW_METHOD_ADD | DRAW_METHOD_SET_MODE | DRAW_METHOD_POKE | DRAW_METHOD_RESET)" in text
    assert "static inline void draw_serve(m6_cptr_t ep, const struct draw_server *srv)" in text
    # the queue
    assert "#define REQUESTS_DEPTH 64u" in text
    assert "static inline bool requests_enqueue(struct requests *q, const struct shape *e)" in text
    assert "atomic_store_explicit(&q->tail, tail + 1, memory_order_seq_cst);" in text
    _compile_c(tmp_path, tmp_path / "x_idl.h", """
static uint64_t add(void *state, uint64_t badge, const struct shape *s, uint32_t tag,
                    struct point *centre, uint64_t *id)
{ (void)state; (void)badge; (void)tag; *centre = s->origin; *id = 1; return DRAW_ERR_BUSY; }
static uint64_t set_mode(void *state, uint64_t badge, enum mode to, enum mode *old)
{ (void)state; (void)badge; *old = to; return M6_OK; }
static void poke(void *state, uint64_t badge, const struct point *where)
{ (void)state; (void)badge; (void)where; }
static void reset(void *state, uint64_t badge) { (void)state; (void)badge; }
static const struct draw_ops ops = {add, set_mode, poke, reset};
static const struct m6_idl_allow allow[] = {{1, 4, DRAW_METHODS_ALL}};
static const struct draw_server srv = {&ops, 0, allow, 1, 0, 0};
void run(void);
void run(void) { draw_serve(1, &srv); }
""")


def test_queue_only_file_needs_no_libm6(tmp_path: Path) -> None:
    status, err = _run(tmp_path, "struct e { u64 a; }\nqueue q<e, 2>;\nqueue w<u32, 1048576>;\n")
    assert (status, err) == (0, "")
    text = (tmp_path / "x_idl.h").read_text()
    assert "#include <stdatomic.h>" in text and "m6/idl.h" not in text
    assert "#define W_BYTES sizeof(struct w)" in text


NEGATIVE = [
    ("enum m { a, b, a }\n", "x.idl:1:16: error: duplicate enumerator 'a' in enum 'm'"),
    ("enum m { a, b = 0 }\n", "x.idl:1:13: error: enumerator 'b' repeats the value 0"),
    ("enum m { a = 0x80000000 }\n", "x.idl:1:10: error: enumerator 'a' = 2147483648 does not fit a C enum"),
    ("struct s { bytes[8] b; }\n", "x.idl:1:18: error: a struct field cannot be bytes[N]"),
    ("struct s { cap c; }\n", "x.idl:1:12: error: a struct field cannot be a cap"),
    ("struct s { s inner; }\n", "x.idl:1:12: error: struct 's' contains itself"),
    ("struct s { }\n", "x.idl:1:8: error: struct 's' has no fields"),
    ("struct s { u8 a; u8 a; }\n", "x.idl:1:21: error: duplicate field 'a' in struct 's'"),
    ("struct s { t a; }\nenum t { x }\n", "x.idl:1:12: error: type 't' is used before its declaration"),
    ("interface i { f(nothing n); }\n", "x.idl:1:17: error: unknown type 'nothing'"),
    ("queue q<u64, 48>;\n", "x.idl:1:14: error: queue depth 48 is not a power of two from 2 to 1048576"),
    ("queue q<u64, 1>;\n", "x.idl:1:14: error: queue depth 1 is not a power of two from 2 to 1048576"),
    ("queue q<bytes[8], 4>;\n", "x.idl:1:15: error: a queue entry cannot be bytes[N]"),
    ("queue q<u8, 4>;\nstruct q { u8 a; }\n", "x.idl:2:8: error: duplicate name 'q'"),
    ("interface i { oneway f() -> (u64 x); }\n", "x.idl:1:26: error: oneway method 'f' cannot have results"),
    ("interface i { errors { a, a } }\n", "x.idl:1:27: error: duplicate error 'a' in interface 'i'"),
    ("interface i { errors { a } errors { b } }\n",
     "x.idl:1:28: error: interface 'i' has more than one errors block"),
    ("interface i { serve(); }\n", "x.idl:1:15: error: 'serve' cannot be a method name"),
    ("interface i { f(u64 state); }\n", "x.idl:1:21: error: 'state' cannot be a parameter name"),
    ("interface struct { }\n", "x.idl:1:11: error: 'struct' cannot be a name"),
    ("interface i { oneway; }\n", "x.idl:1:21: error: unexpected ';'"),
]


@pytest.mark.parametrize("text,first", NEGATIVE, ids=[n[1].split("error: ")[1][:40] for n in NEGATIVE])
def test_new_construct_errors(tmp_path: Path, text: str, first: str) -> None:
    status, err = _run(tmp_path, text)
    assert status == 1
    assert first in err.splitlines(), err
    assert "Traceback" not in err
    assert not (tmp_path / "x_idl.h").exists()


def test_struct_words_count_against_the_limit(tmp_path: Path) -> None:
    fields = " ".join(f"u64 f{i};" for i in range(33))
    status, err = _run(tmp_path, f"struct big {{ {fields} }}\ninterface i {{\n    f(big a, big b);\n}}\n")
    assert status == 1
    assert "x.idl:3:5: error: the parameters of 'i.f' take 66 message words, more than 64" in err


def test_too_many_methods(tmp_path: Path) -> None:
    methods = "\n".join(f"    m{i}();" for i in range(64))
    status, err = _run(tmp_path, f"interface i {{\n{methods}\n}}\n")
    assert status == 1
    assert "x.idl:65:5: error: interface 'i' has 64 methods, more than 63" in err


def test_output_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    idl = tmp_path / "door.idl"
    idl.write_text("interface door {\n    ring(u32 n) -> (u32 taken);\n}\n")
    err = io.StringIO()
    assert cli.main([str(idl), "--out", str(tmp_path)], err=err) == 1  # a directory
    assert err.getvalue().startswith(f"m6idl: error: cannot write {tmp_path}: ")
    assert "internal error" not in err.getvalue()
