/* A line editor for serial terminals: feed it the bytes typed, it returns what to echo
 * (VT100 sequences) and, at Enter, the finished line. Backspace and Delete, left/right,
 * Home/End, history with up/down, Ctrl-C (drop the line). Text is UTF-8: the cursor moves
 * and deletes whole code points (each taken to fill one terminal column); a tab is
 * inserted as a space. Escape sequences (CSI with parameters and intermediates, SS3) are
 * parsed to their final byte; those that are not keys the editor knows are ignored
 * whole, and a byte that cannot continue a sequence ends it and counts as typed, so Enter
 * and Ctrl-C always act. Pure C: unit tested on the host. */
#ifndef M6_LINEEDIT_H
#define M6_LINEEDIT_H

#include <stddef.h>

#define M6_LINE_MAX     512 /* bytes of a line, NUL excluded */
#define M6_LINE_HISTORY 16  /* lines remembered */

struct m6_line_editor {
	char line[M6_LINE_MAX + 1];
	size_t len;    /* bytes in line */
	size_t cursor; /* 0..len, always at the start of a code point */
	char history[M6_LINE_HISTORY][M6_LINE_MAX + 1];
	unsigned history_count;  /* lines stored, up to M6_LINE_HISTORY */
	unsigned history_newest; /* index of the newest */
	unsigned browsing;       /* 0: editing a new line; k: showing the k-th newest */
	int escape;              /* escape-sequence state (lineedit.c) */
	unsigned escape_param;   /* first numeric parameter of the sequence so far */
	int escape_params_done;  /* a ';' was seen: later parameters are not kept */
	int escape_unknown;      /* private marker or intermediate byte: not a key */
	char utf8[4];            /* a code point arriving byte by byte */
	unsigned utf8_len, utf8_need;
	int overflow; /* input was refused because the line was full */
	int after_cr; /* last byte was CR: a following LF is the same Enter */
};

enum m6_line_status {
	M6_LINE_EDITING = 0,  /* keep feeding */
	M6_LINE_DONE = 1,     /* Enter: the line is in editor->line (NUL terminated) */
	M6_LINE_TOO_LONG = 2, /* Enter on a line that did not fit (input beyond M6_LINE_MAX
	                       * bytes was refused with a bell): do not run it */
};

void m6_line_init(struct m6_line_editor *e);
/* Start a new line (keeps the history). */
void m6_line_reset(struct m6_line_editor *e);
/* Feed one byte. Writes the echo into out (NUL terminated, at most out_size bytes;
 * 64 + 2 * M6_LINE_MAX always suffices). */
enum m6_line_status m6_line_feed(struct m6_line_editor *e, char c, char *out, size_t out_size);

#endif
