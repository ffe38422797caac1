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
	    cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
