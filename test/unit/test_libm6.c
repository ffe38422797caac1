/* Host tests of libm6's pure parts: the ring buffer, the line editor, formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <m6/format.h>
#include <m6/lineedit.h>
#include <m6/ring.h>

static struct m6_ring ring;

static void test_ring_wraps(void **state)
{
	(void)state;
	uint8_t in[3000], out[3000];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7);
	memset(&ring, 0, sizeof(ring));
	ring.head = ring.tail = UINT32_MAX - 100; /* the counters wrap mid-test */
	for (int round = 0; round < 5; round++) {
		assert_int_equal(m6_ring_put(&ring, in, sizeof(in)), sizeof(in));
		assert_int_equal(m6_ring_free(&ring), M6_RING_CAPACITY - sizeof(in));
		assert_int_equal(m6_ring_get(&ring, out, sizeof(out)), sizeof(out));
		assert_memory_equal(in, out, sizeof(in));
	}
	assert_int_equal(m6_ring_get(&ring, out, 1), 0);
}

static void test_ring_full(void **state)
{
	(void)state;
	uint8_t big[M6_RING_CAPACITY + 10] = {0};
	memset(&ring, 0, sizeof(ring));
	assert_int_equal(m6_ring_put(&ring, big, sizeof(big)), M6_RING_CAPACITY);
	assert_int_equal(m6_ring_put(&ring, big, 1), 0);
	assert_int_equal(m6_ring_used(&ring), M6_RING_CAPACITY);
}

static struct m6_line_editor editor;
static char echo[512];

/* Feed a string; returns the echo of the last byte and whether a line ended. */
static int feed(const char *s)
{
	int done = 0;
	for (; *s; s++)
		done = m6_line_feed(&editor, *s, echo, sizeof(echo)) == M6_LINE_DONE;
	return done;
}

static void test_line_basic_and_backspace(void **state)
{
	(void)state;
	m6_line_init(&editor);
	assert_false(feed("helo"));
	assert_string_equal(echo, "o");
	feed("\x7f");
	assert_string_equal(echo, "\b \x1b[1D");
	assert_true(feed("lo\r"));
	assert_string_equal(echo, "\r\n");
	assert_string_equal(editor.line, "hello");
	/* CR LF is one Enter */
	m6_line_reset(&editor);
	assert_false(feed("\n"));
	assert_true(feed("x\n"));
	assert_string_equal(editor.line, "x");
}

static void test_line_cursor_moves(void **state)
{
	(void)state;
	m6_line_init(&editor);
	feed("ac\x1b[D");
	assert_string_equal(echo, "\x1b[D");
	feed("b");
	assert_string_equal(echo, "bc\x1b[1D"); /* insert, rewrite the tail, step back */
	feed("\x1b[C\x1b[C");                   /* right at the end: nothing */
	assert_string_equal(echo, "");
	feed("\x1b[D\x1b[D\x7f"); /* delete the 'a' */
	assert_string_equal(echo, "\bbc \x1b[3D");
	assert_true(feed("\r"));
	assert_string_equal(editor.line, "bc");
}

static void test_line_history(void **state)
{
	(void)state;
	m6_line_init(&editor);
	feed("one\r");
	m6_line_reset(&editor);
	feed("two\r");
	m6_line_reset(&editor);
	feed("two\r"); /* repeated: stored once */
	m6_line_reset(&editor);
	feed("x\x1b[A");
	assert_string_equal(echo, "\x1b[1Dtwo\x1b[K");
	feed("\x1b[A");
	assert_string_equal(editor.line, "one");
	feed("\x1b[A"); /* no older line */
	assert_string_equal(editor.line, "one");
	feed("\x1b[B\x1b[B");
	assert_string_equal(editor.line, "");
	feed("\x1b[A");
	assert_true(feed("\r"));
	assert_string_equal(editor.line, "two");
}

static void test_line_ctrl_c_and_limits(void **state)
{
	(void)state;
	m6_line_init(&editor);
	assert_true(feed("abc\x03"));
	assert_string_equal(editor.line, "");
	m6_line_reset(&editor);
	for (int i = 0; i < M6_LINE_MAX + 20; i++)
		feed("z");
	assert_int_equal(editor.len, M6_LINE_MAX);
	feed("\x01\x1b[3~"); /* other control keys and sequences are ignored */
	assert_int_equal(editor.len, M6_LINE_MAX);
}

/* Feed a string; returns the status of the byte that ended a line (else EDITING). */
static enum m6_line_status feed_status(const char *s)
{
	enum m6_line_status st = M6_LINE_EDITING;
	for (; *s; s++) {
		enum m6_line_status now = m6_line_feed(&editor, *s, echo, sizeof(echo));
		if (now != M6_LINE_EDITING)
			st = now;
	}
	return st;
}

/* A sequence cut short by Enter, Ctrl-C or an ordinary key must not eat that key. */
static void test_line_partial_escape(void **state)
{
	(void)state;
	m6_line_init(&editor);
	assert_int_equal(feed_status("echo esc1\x1b\r"), M6_LINE_DONE);
	assert_string_equal(editor.line, "echo esc1");
	m6_line_reset(&editor);
	assert_int_equal(feed_status("echo esc2\x1b[\r"), M6_LINE_DONE);
	assert_string_equal(editor.line, "echo esc2");
	m6_line_reset(&editor);
	assert_int_equal(feed_status("\x1b"
	                             "echo esc3\r"),
	                 M6_LINE_DONE);
	assert_string_equal(editor.line, "echo esc3");
	m6_line_reset(&editor);
	assert_int_equal(feed_status("abc\x1b[1;\x03"), M6_LINE_DONE); /* Ctrl-C acts */
	assert_string_equal(editor.line, "");
	m6_line_reset(&editor);
	assert_int_equal(feed_status("ab\x1bOx"), M6_LINE_EDITING); /* SS3 x: no key, ignored */
	assert_int_equal(feed_status("\x1b[\x7f\r"), M6_LINE_DONE); /* DEL ends it, deletes */
	assert_string_equal(editor.line, "a");
	m6_line_reset(&editor);
	assert_int_equal(feed_status("\x1b\n"), M6_LINE_DONE); /* LF alone is Enter too */
}

/* Full CSI and SS3 parsing: parameters, modifiers, unknown sequences ignored whole. */
static void test_line_sequences(void **state)
{
	(void)state;
	m6_line_init(&editor);
	feed("ab\x1b[1;5DX"); /* Ctrl-Left */
	assert_string_equal(editor.line, "aXb");
	feed("\x1bOD\x1bODY"); /* SS3 left (application cursor keys) */
	assert_string_equal(editor.line, "YaXb");
	feed("\x1b\x1b[DZ"); /* ESC ESC [ D (Alt-Left): left */
	assert_string_equal(editor.line, "ZYaXb");
	feed("\x1bOC\x1b[1;2C!"); /* SS3 right, Shift-Right */
	assert_string_equal(editor.line, "ZYa!Xb");
	feed("\x1b[?25h\x1b[200~\x1b[38;5;1m\x1b[ q\x1b[5~\x1bOP"); /* not keys: nothing */
	assert_string_equal(editor.line, "ZYa!Xb");
	assert_int_equal(editor.cursor, 4);
	feed("\x1b[H<");
	assert_string_equal(editor.line, "<ZYa!Xb");
	feed("\x1b[F>");
	assert_string_equal(editor.line, "<ZYa!Xb>");
	feed("\x1b[1~\x1b[3~"); /* Home, Delete */
	assert_string_equal(editor.line, "ZYa!Xb>");
	feed("\x1bOF\x1b[D\x1b[3~"); /* End, left, Delete */
	assert_string_equal(editor.line, "ZYa!Xb");
	feed("\x1b[7~\x1b[4~."); /* Home and End (rxvt and VT220 numbers) */
	assert_string_equal(editor.line, "ZYa!Xb.");
	feed("\x1bOH\x1b[1;5C\x1b[1;5C\x1b[3;5~"); /* Ctrl-Delete: Delete */
	assert_string_equal(editor.line, "ZY!Xb.");
	assert_true(feed("\r"));
	assert_string_equal(editor.line, "ZY!Xb.");
}

/* Input beyond M6_LINE_MAX is refused with a bell, and the line does not run. */
static void test_line_too_long(void **state)
{
	(void)state;
	m6_line_init(&editor);
	for (int i = 0; i < M6_LINE_MAX; i++)
		feed("z");
	assert_string_equal(echo, "z");
	feed("y");
	assert_string_equal(echo, "\a");
	assert_int_equal(editor.len, M6_LINE_MAX);
	assert_int_equal(feed_status("\r"), M6_LINE_TOO_LONG);
	m6_line_reset(&editor);
	assert_int_equal(feed_status("ok\r"), M6_LINE_DONE);
	m6_line_reset(&editor);
	feed("\x1b[A"); /* the refused line is not in the history */
	assert_string_equal(editor.line, "ok");
	m6_line_reset(&editor);
	for (int i = 0; i < M6_LINE_MAX + 1; i++)
		feed("z");
	assert_int_equal(feed_status("\x03"), M6_LINE_DONE); /* Ctrl-C: a fresh start */
	m6_line_reset(&editor);
	assert_int_equal(feed_status("ok\r"), M6_LINE_DONE);
}

/* Tab separates words; UTF-8 code points are edited whole. */
static void test_line_tab_and_utf8(void **state)
{
	(void)state;
	char *w[4];
	m6_line_init(&editor);
	assert_true(feed("echo\ta\r"));
	assert_string_equal(editor.line, "echo a");
	assert_int_equal(m6_split_words(editor.line, w, 4), 2);
	m6_line_reset(&editor);
	feed("a\xc3\xa9"); /* a, e acute */
	assert_string_equal(echo, "\xc3\xa9");
	feed("\x7f"); /* backspace: the whole e acute, one column */
	assert_string_equal(echo, "\b \x1b[1D");
	assert_string_equal(editor.line, "a");
	feed("\xe2\x82\xac\xc3\xa9"); /* euro sign, e acute */
	feed("\x1b[D\x1b[D");         /* two code points left */
	assert_int_equal(editor.cursor, 1);
	feed("x");
	assert_string_equal(echo, "x\xe2\x82\xac\xc3\xa9\x1b[2D"); /* tail is two columns */
	feed("\x1b[C");                                            /* right over the euro sign */
	assert_int_equal(editor.cursor, 5);
	feed("\x1b[3~"); /* Delete: the e acute */
	assert_string_equal(editor.line, "ax\xe2\x82\xac");
	feed("\x7f");
	assert_string_equal(editor.line, "ax");
	feed("\x80\xff\xc3"
	     "b"); /* stray, invalid, cut short: dropped */
	assert_true(feed("\r"));
	assert_string_equal(editor.line, "axb");
}

static void test_format(void **state)
{
	(void)state;
	char b[48];
	assert_string_equal(m6_format_size(b, sizeof(b), 512), "512 B");
	assert_string_equal(m6_format_size(b, sizeof(b), 4096), "4 KiB");
	assert_string_equal(m6_format_size(b, sizeof(b), 1536 * 1024), "1.5 MiB");
	assert_string_equal(m6_format_size(b, sizeof(b), 2047), "1.99 KiB");
	assert_string_equal(m6_format_size(b, sizeof(b), 1047260ull * 1024), "1022.71 MiB");
	assert_string_equal(m6_format_duration(b, sizeof(b), 3042000000ull), "3.042 s");
	assert_string_equal(m6_format_duration(b, sizeof(b), 62500000000ull), "1 min 02.500 s");
	assert_string_equal(m6_format_duration(b, sizeof(b), 7201000000000ull),
	                    "2 h 00 min 01.000 s");
	char line[] = "  caps   shell  ";
	char *w[4];
	assert_int_equal(m6_split_words(line, w, 4), 2);
	assert_string_equal(w[0], "caps");
	assert_string_equal(w[1], "shell");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ring_wraps),
	    cmocka_unit_test(test_ring_full),
	    cmocka_unit_test(test_line_basic_and_backspace),
	    cmocka_unit_test(test_line_cursor_moves),
	    cmocka_unit_test(test_line_history),
	    cmocka_unit_test(test_line_ctrl_c_and_limits),
	    cmocka_unit_test(test_line_partial_escape),
	    cmocka_unit_test(test_line_sequences),
	    cmocka_unit_test(test_line_too_long),
	    cmocka_unit_test(test_line_tab_and_utf8),
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
