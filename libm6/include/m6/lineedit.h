/* A line editor for serial terminals: feed it the bytes typed, it returns what to echo
 * (VT100 sequences) and, at Enter, the finished line. Backspace, left/right, history with
 * up/down, Ctrl-C (drop the line). Pure C: unit tested on the host. */
#ifndef M6_LINEEDIT_H
#define M6_LINEEDIT_H

#include <stddef.h>

#define M6_LINE_MAX     128 /* bytes of a line, NUL excluded */
#define M6_LINE_HISTORY 16  /* lines remembered */

struct m6_line_editor {
	char line[M6_LINE_MAX + 1];
	size_t len;    /* bytes in line */
	size_t cursor; /* 0..len */
	char history[M6_LINE_HISTORY][M6_LINE_MAX + 1];
	unsigned history_count;  /* lines stored, up to M6_LINE_HISTORY */
	unsigned history_newest; /* index of the newest */
	unsigned browsing;       /* 0: editing a new line; k: showing the k-th newest */
	int escape;              /* escape-sequence state: 0 none, 1 ESC, 2 ESC [ */
	int after_cr;            /* last byte was CR: a following LF is the same Enter */
};

enum m6_line_status {
	M6_LINE_EDITING = 0, /* keep feeding */
	M6_LINE_DONE = 1,    /* Enter: the line is in editor->line (NUL terminated) */
};

void m6_line_init(struct m6_line_editor *e);
/* Start a new line (keeps the history). */
void m6_line_reset(struct m6_line_editor *e);
/* Feed one byte. Writes the echo into out (NUL terminated, at most out_size bytes;
 * 64 + 2 * M6_LINE_MAX always suffices). */
enum m6_line_status m6_line_feed(struct m6_line_editor *e, char c, char *out, size_t out_size);

#endif
