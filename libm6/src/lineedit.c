/* The line editor (see <m6/lineedit.h>). Every edit writes exactly the bytes that bring
 * the terminal's line in step with the buffer, assuming the cursor is where the editor
 * believes it is -- true as long as nothing else prints mid-line. Terminal positions are
 * counted in code points (one column each), buffer positions in bytes. */
#include <stdio.h>
#include <string.h>

#include <m6/lineedit.h>

enum escape_state {
	ESC_NONE = 0,
	ESC_START, /* ESC seen */
	ESC_CSI,   /* ESC [: parameters and intermediates up to a final byte */
	ESC_SS3,   /* ESC O: one key (xterm's application cursor mode) */
};

/* Keys the editor acts on, from whichever sequence or byte produced them. */
enum key {
	KEY_NONE,
	KEY_UP,
	KEY_DOWN,
	KEY_RIGHT,
	KEY_LEFT,
	KEY_HOME,
	KEY_END,
	KEY_DELETE,
};

#define ESCAPE_PARAM_LIMIT 9999u /* larger numbers are no key anyway */

struct out {
	char *p;
	size_t size, len;
};

static void emit(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->len + 1 < o->size; i++)
		o->p[o->len++] = s[i];
	if (o->size)
		o->p[o->len] = '\0';
}

static void emit_str(struct out *o, const char *s)
{
	emit(o, s, strlen(s));
}

static void cursor_move(struct out *o, size_t n, char direction)
{
	if (n) {
		char seq[24];
		snprintf(seq, sizeof(seq), "\x1b[%zu%c", n, direction);
		emit_str(o, seq);
	}
}

static void cursor_left(struct out *o, size_t n)
{
	cursor_move(o, n, 'D');
}

static int is_continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Terminal columns of s[0..n): its code points. */
static size_t columns(const char *s, size_t n)
{
	size_t cols = 0;
	for (size_t i = 0; i < n; i++)
		cols += !is_continuation(s[i]);
	return cols;
}

static size_t prev_char(const struct m6_line_editor *e, size_t pos)
{
	while (pos > 0 && is_continuation(e->line[--pos]))
		;
	return pos;
}

static size_t next_char(const struct m6_line_editor *e, size_t pos)
{
	while (pos < e->len && is_continuation(e->line[++pos]))
		;
	return pos;
}

static void clear_partial_input(struct m6_line_editor *e)
{
	e->escape = ESC_NONE;
	e->utf8_len = e->utf8_need = 0;
}

void m6_line_reset(struct m6_line_editor *e)
{
	e->line[0] = '\0';
	e->len = e->cursor = 0;
	e->browsing = 0;
	e->overflow = 0;
	clear_partial_input(e);
}

void m6_line_init(struct m6_line_editor *e)
{
	memset(e, 0, sizeof(*e));
}

/* Replace the whole line (history): back to its start, write, clear what is left. */
static void replace_line(struct m6_line_editor *e, const char *text, struct out *o)
{
	cursor_left(o, columns(e->line, e->cursor));
	size_t n = strlen(text);
	memcpy(e->line, text, n + 1);
	e->len = e->cursor = n;
	e->overflow = 0;
	emit(o, e->line, n);
	emit_str(o, "\x1b[K");
}

static const char *history_entry(const struct m6_line_editor *e, unsigned k)
{
	/* k = 1 is the newest */
	unsigned index = (e->history_newest + M6_LINE_HISTORY - (k - 1)) % M6_LINE_HISTORY;
	return e->history[index];
}

static void history_add(struct m6_line_editor *e)
{
	if (e->len == 0)
		return;
	if (e->history_count && strcmp(history_entry(e, 1), e->line) == 0)
		return; /* no duplicates in a row */
	e->history_newest = (e->history_newest + 1) % M6_LINE_HISTORY;
	memcpy(e->history[e->history_newest], e->line, e->len + 1);
	if (e->history_count < M6_LINE_HISTORY)
		e->history_count++;
}

/* Remove bytes [from, to) of the line; the cursor is at `from` afterwards and the
 * terminal's cursor already there. */
static void remove_range(struct m6_line_editor *e, size_t from, size_t to, struct out *o)
{
	memmove(&e->line[from], &e->line[to], e->len - to);
	e->len -= to - from;
	e->cursor = from;
	e->line[e->len] = '\0';
	size_t tail = e->len - e->cursor;
	emit(o, &e->line[e->cursor], tail);
	emit_str(o, " "); /* the column the line no longer covers */
	cursor_left(o, columns(&e->line[e->cursor], tail) + 1);
}

/* Insert n bytes (whole code points) at the cursor, or refuse them with a bell when the
 * line is full: a cut line must never run as if it were what was typed. */
static void insert(struct m6_line_editor *e, const char *s, size_t n, struct out *o)
{
	if (e->len + n > M6_LINE_MAX) {
		e->overflow = 1;
		emit_str(o, "\a");
		return;
	}
	memmove(&e->line[e->cursor + n], &e->line[e->cursor], e->len - e->cursor);
	memcpy(&e->line[e->cursor], s, n);
	e->len += n;
	e->line[e->len] = '\0';
	emit(o, &e->line[e->cursor], e->len - e->cursor);
	e->cursor += n;
	cursor_left(o, columns(&e->line[e->cursor], e->len - e->cursor));
}

static void key(struct m6_line_editor *e, enum key k, struct out *o)
{
	switch (k) {
	case KEY_RIGHT:
		if (e->cursor < e->len) {
			e->cursor = next_char(e, e->cursor);
			emit_str(o, "\x1b[C");
		}
		break;
	case KEY_LEFT:
		if (e->cursor > 0) {
			e->cursor = prev_char(e, e->cursor);
			emit_str(o, "\x1b[D");
		}
		break;
	case KEY_HOME:
		cursor_left(o, columns(e->line, e->cursor));
		e->cursor = 0;
		break;
	case KEY_END:
		cursor_move(o, columns(&e->line[e->cursor], e->len - e->cursor), 'C');
		e->cursor = e->len;
		break;
	case KEY_DELETE:
		if (e->cursor < e->len)
			remove_range(e, e->cursor, next_char(e, e->cursor), o);
		break;
	case KEY_UP: /* older */
		if (e->browsing < e->history_count) {
			e->browsing++;
			replace_line(e, history_entry(e, e->browsing), o);
		}
		break;
	case KEY_DOWN: /* newer, then an empty line */
		if (e->browsing > 0) {
			e->browsing--;
			replace_line(e, e->browsing ? history_entry(e, e->browsing) : "", o);
		}
		break;
	case KEY_NONE:
		break;
	}
}

/* The key a complete sequence names (modifiers such as Ctrl in ESC [ 1 ; 5 D are
 * ignored: Ctrl-Left moves left). */
static enum key sequence_key(const struct m6_line_editor *e, unsigned char final)
{
	if (e->escape_unknown)
		return KEY_NONE;
	switch (final) {
	case 'A':
		return KEY_UP;
	case 'B':
		return KEY_DOWN;
	case 'C':
		return KEY_RIGHT;
	case 'D':
		return KEY_LEFT;
	case 'H':
		return KEY_HOME;
	case 'F':
		return KEY_END;
	case '~':
		if (e->escape != ESC_CSI)
			return KEY_NONE;
		switch (e->escape_param) {
		case 1:
		case 7:
			return KEY_HOME;
		case 4:
		case 8:
			return KEY_END;
		case 3:
			return KEY_DELETE;
		default:
			return KEY_NONE;
		}
	default:
		return KEY_NONE;
	}
}

/* One byte while a sequence is open. Returns 1 when the byte belonged to it, 0 when it
 * ended the sequence without belonging to it (the caller then handles it as typed). */
static int escape_byte(struct m6_line_editor *e, unsigned char c, struct out *o)
{
	if (e->escape == ESC_START) {
		if (c == '[' || c == 'O') {
			e->escape = c == '[' ? ESC_CSI : ESC_SS3;
			e->escape_param = 0;
			e->escape_params_done = 0;
			e->escape_unknown = 0;
			return 1;
		}
		if (c == 0x1b)
			return 1; /* ESC ESC ...: the sequence starts again (Alt+key) */
		e->escape = ESC_NONE;
		return 0;
	}
	if (c >= '0' && c <= '9') {
		if (!e->escape_params_done && e->escape_param < ESCAPE_PARAM_LIMIT)
			e->escape_param = e->escape_param * 10 + (c - '0');
		return 1;
	}
	if (c == ';' || c == ':') {
		e->escape_params_done = 1;
		return 1;
	}
	if (c >= 0x3c && c <= 0x3f) { /* < = > ?: private parameters */
		e->escape_unknown = 1;
		return 1;
	}
	if (c >= 0x20 && c <= 0x2f) { /* intermediate bytes */
		e->escape_unknown = 1;
		return 1;
	}
	if (c >= 0x40 && c <= 0x7e) { /* the final byte */
		enum key k = sequence_key(e, c);
		e->escape = ESC_NONE;
		key(e, k, o);
		return 1;
	}
	/* A control character, DEL or a non-ASCII byte cannot be part of the sequence: it
	 * ends it and is a key of its own (so Enter and Ctrl-C always act). */
	e->escape = c == 0x1b ? ESC_START : ESC_NONE;
	return c == 0x1b;
}

/* A byte >= 0x80: collect a UTF-8 code point and insert it whole. Bytes that are not
 * well-formed UTF-8 are dropped, so the line always is. */
static void utf8_byte(struct m6_line_editor *e, unsigned char c, struct out *o)
{
	if (is_continuation((char)c)) {
		if (e->utf8_need == 0)
			return;
		e->utf8[e->utf8_len++] = (char)c;
		if (e->utf8_len == e->utf8_need) {
			e->utf8_need = 0;
			insert(e, e->utf8, e->utf8_len, o);
			e->utf8_len = 0;
		}
		return;
	}
	e->utf8_len = 0;
	e->utf8_need = c >= 0xc2 && c <= 0xdf   ? 2
	               : c >= 0xe0 && c <= 0xef ? 3
	               : c >= 0xf0 && c <= 0xf4 ? 4
	                                        : 0;
	if (e->utf8_need)
		e->utf8[e->utf8_len++] = (char)c;
}

enum m6_line_status m6_line_feed(struct m6_line_editor *e, char ch, char *out, size_t out_size)
{
	struct out o = {out, out_size, 0};
	unsigned char c = (unsigned char)ch;
	if (out_size)
		out[0] = '\0';
	int after_cr = e->after_cr;
	e->after_cr = 0;
	if (e->escape != ESC_NONE && escape_byte(e, c, &o))
		return M6_LINE_EDITING;
	if (c >= 0x80) {
		utf8_byte(e, c, &o);
		return M6_LINE_EDITING;
	}
	e->utf8_len = e->utf8_need = 0; /* an ASCII byte ends an incomplete code point */
	switch (c) {
	case 0x1b:
		e->escape = ESC_START;
		return M6_LINE_EDITING;
	case '\n':
		if (after_cr)
			return M6_LINE_EDITING;
		/* fall through */
	case '\r': {
		e->after_cr = c == '\r';
		emit_str(&o, "\r\n");
		e->line[e->len] = '\0';
		e->browsing = 0;
		if (e->overflow)
			return M6_LINE_TOO_LONG; /* not in the history either: it is not what was
			                            typed */
		history_add(e);
		return M6_LINE_DONE;
	}
	case 0x03: /* Ctrl-C: drop the line */
		emit_str(&o, "^C\r\n");
		e->len = e->cursor = 0;
		e->line[0] = '\0';
		e->browsing = 0;
		e->overflow = 0;
		return M6_LINE_DONE;
	case 0x7f:
	case '\b':
		if (e->cursor > 0) {
			size_t from = prev_char(e, e->cursor);
			emit_str(&o, "\b");
			remove_range(e, from, e->cursor, &o);
		}
		return M6_LINE_EDITING;
	case '\t': /* a word separator; as a space, so that the screen's columns stay known */
		insert(e, " ", 1, &o);
		return M6_LINE_EDITING;
	default:
		break;
	}
	if (c < 0x20)
		return M6_LINE_EDITING; /* other control characters */
	insert(e, &ch, 1, &o);
	return M6_LINE_EDITING;
}
