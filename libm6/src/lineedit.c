/* The line editor (see <m6/lineedit.h>). Every edit writes exactly the bytes that bring
 * the terminal's line in step with the buffer, assuming the cursor is where the editor
 * believes it is -- true as long as nothing else prints mid-line. */
#include <stdio.h>
#include <string.h>

#include <m6/lineedit.h>

struct out {
	char *p;
	size_t size, len;
};

static void emit(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->len + 1 < o->size; i++)
		o->p[o->len++] = s[i];
	o->p[o->len] = '\0';
}

static void emit_str(struct out *o, const char *s)
{
	emit(o, s, strlen(s));
}

static void cursor_left(struct out *o, size_t n)
{
	if (n) {
		char seq[24];
		snprintf(seq, sizeof(seq), "\x1b[%zuD", n);
		emit_str(o, seq);
	}
}

void m6_line_reset(struct m6_line_editor *e)
{
	e->line[0] = '\0';
	e->len = e->cursor = 0;
	e->browsing = 0;
	e->escape = 0;
}

void m6_line_init(struct m6_line_editor *e)
{
	memset(e, 0, sizeof(*e));
}

/* Replace the whole line (history): back to its start, write, clear what is left. */
static void replace_line(struct m6_line_editor *e, const char *text, struct out *o)
{
	cursor_left(o, e->cursor);
	size_t n = strlen(text);
	memcpy(e->line, text, n + 1);
	e->len = e->cursor = n;
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

static void escape_key(struct m6_line_editor *e, char c, struct out *o)
{
	switch (c) {
	case 'C': /* right */
		if (e->cursor < e->len) {
			e->cursor++;
			emit_str(o, "\x1b[C");
		}
		break;
	case 'D': /* left */
		if (e->cursor > 0) {
			e->cursor--;
			emit_str(o, "\x1b[D");
		}
		break;
	case 'A': /* up: older */
		if (e->browsing < e->history_count) {
			e->browsing++;
			replace_line(e, history_entry(e, e->browsing), o);
		}
		break;
	case 'B': /* down: newer, then an empty line */
		if (e->browsing > 0) {
			e->browsing--;
			replace_line(e, e->browsing ? history_entry(e, e->browsing) : "", o);
		}
		break;
	default:
		break;
	}
}

enum m6_line_status m6_line_feed(struct m6_line_editor *e, char c, char *out, size_t out_size)
{
	struct out o = {out, out_size, 0};
	if (out_size)
		out[0] = '\0';
	int after_cr = e->after_cr;
	e->after_cr = 0;
	if (e->escape == 1) {
		e->escape = c == '[' ? 2 : 0;
		return M6_LINE_EDITING;
	}
	if (e->escape == 2) {
		if (c >= '0' && c <= '9')
			return M6_LINE_EDITING; /* parameters (e.g. ESC [ 3 ~): ignored */
		e->escape = 0;
		escape_key(e, c, &o);
		return M6_LINE_EDITING;
	}
	switch (c) {
	case '\x1b':
		e->escape = 1;
		return M6_LINE_EDITING;
	case '\n':
		if (after_cr)
			return M6_LINE_EDITING;
		/* fall through */
	case '\r':
		e->after_cr = c == '\r';
		emit_str(&o, "\r\n");
		e->line[e->len] = '\0';
		history_add(e);
		e->browsing = 0;
		return M6_LINE_DONE;
	case '\x03': /* Ctrl-C: drop the line */
		emit_str(&o, "^C\r\n");
		e->len = e->cursor = 0;
		e->line[0] = '\0';
		e->browsing = 0;
		return M6_LINE_DONE;
	case '\x7f':
	case '\b':
		if (e->cursor == 0)
			return M6_LINE_EDITING;
		memmove(&e->line[e->cursor - 1], &e->line[e->cursor], e->len - e->cursor);
		e->cursor--;
		e->len--;
		e->line[e->len] = '\0';
		emit_str(&o, "\b");
		emit(&o, &e->line[e->cursor], e->len - e->cursor);
		emit_str(&o, " ");
		cursor_left(&o, e->len - e->cursor + 1);
		return M6_LINE_EDITING;
	default:
		break;
	}
	if ((unsigned char)c < 0x20 || e->len == M6_LINE_MAX)
		return M6_LINE_EDITING; /* other control characters; a full line */
	memmove(&e->line[e->cursor + 1], &e->line[e->cursor], e->len - e->cursor);
	e->line[e->cursor] = c;
	e->len++;
	e->line[e->len] = '\0';
	emit(&o, &e->line[e->cursor], e->len - e->cursor);
	e->cursor++;
	cursor_left(&o, e->len - e->cursor);
	return M6_LINE_EDITING;
}
