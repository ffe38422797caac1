/* A console-mux client: prints LINES lines of known content through the console service,
 * then tells the conductor it is done. Built once per client (MUX_CLIENT = 1, 2, ...) so
 * each knows its number; the spec gives them equal priorities, and each shortens its own
 * timeslice so that the clients are preempted in the middle of building and sending lines.
 *
 * Line format (checked by test/qemu/console_mux.py):
 *     mux<C> <SEQ> <LEN> <PAYLOAD> <CRC>
 * C the client number, SEQ 0..LINES-1 (4 digits), LEN the payload's length (4 digits),
 * PAYLOAD LEN characters from a generator seeded by (C, SEQ), CRC the CRC-32 (as zlib
 * computes it) of everything before the space that precedes it, 8 hex digits. Payload
 * lengths go past stdio's line buffer (256) and the console's (512), and lines are sent
 * in four ways: one printf, many printf calls, putchar by putchar, and fputs pieces. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <m6/invocations.h>
#include <m6/syscall.h>
#include <m6_caps.h>

#ifndef MUX_CLIENT
#error "compile with -DMUX_CLIENT=<client number>"
#endif

#define LINES       200
#define PAYLOAD_MAX 2100
#define SLICE_US    100 /* the kernel's smallest timeslice */

/* Payload lengths, chosen around the buffer sizes the line travels through. */
static const unsigned lengths[] = {0,   1,   7,   40,  80,   255,  256,  257,  300,  511,
                                   512, 513, 600, 777, 1023, 1024, 1025, 1500, 2048, 120};
#define LENGTHS (sizeof(lengths) / sizeof(lengths[0]))

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                               "-_.,;:+=()[]<>/?!@#$^&*~";

static char line[PAYLOAD_MAX + 64];

static uint32_t crc32_update(uint32_t crc, const char *s, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint8_t)s[i];
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* xorshift32: the checker does not need it (the CRC covers the text), but a payload that
 * differs from line to line makes a misplaced piece of another line detectable. */
static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* Busy work between the pieces of one line, so preemption often falls mid-line. */
static void dawdle(uint32_t *state)
{
	for (volatile unsigned i = next_random(state) % 2000; i > 0; i--)
		;
}

/* Build line `seq` (without "\n") in `line`; returns its length. */
static size_t build(unsigned seq)
{
	unsigned len = lengths[(seq * 7 + MUX_CLIENT * 3) % LENGTHS];
	uint32_t state = 0x9e3779b9u ^ (MUX_CLIENT * 0x10001u) ^ (seq * 0x01000193u);
	int n = snprintf(line, sizeof(line), "mux%d %04u %04u ", MUX_CLIENT, seq, len);
	for (unsigned i = 0; i < len; i++)
		line[n + i] = alphabet[next_random(&state) % (sizeof(alphabet) - 1)];
	size_t end = (size_t)n + len;
	uint32_t crc = crc32_update(0, line, end);
	end += (size_t)snprintf(line + end, sizeof(line) - end, " %08lx", (unsigned long)crc);
	return end;
}

static void print_line(unsigned seq, uint32_t *state)
{
	size_t n = build(seq);
	switch (seq % 4) {
	case 0: /* one printf */
		printf("%.*s\n", (int)n, line);
		break;
	case 1: /* many printf calls of varying sizes */
		for (size_t at = 0; at < n;) {
			size_t piece = 1 + next_random(state) % 97;
			if (piece > n - at)
				piece = n - at;
			printf("%.*s", (int)piece, line + at);
			at += piece;
			dawdle(state);
		}
		printf("\n");
		break;
	case 2: /* one character at a time */
		for (size_t at = 0; at < n; at++)
			putchar(line[at]);
		putchar('\n');
		break;
	default: /* fputs of three pieces, the newline on its own */
		line[n] = '\0';
		char keep = line[n / 3];
		line[n / 3] = '\0';
		fputs(line, stdout);
		line[n / 3] = keep;
		dawdle(state);
		fputs(line + n / 3, stdout);
		dawdle(state);
		fputs("\n", stdout);
		break;
	}
}

int main(void)
{
	/* Short slices interleave the clients finely; equal priorities make them share. */
	m6_tcb_set_timeslice(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, SLICE_US);
	uint32_t state = 0x2545f491u * MUX_CLIENT;
	for (unsigned seq = 0; seq < LINES; seq++) {
		print_line(seq, &state);
		dawdle(&state);
	}
	m6_signal(CAP_DONE); /* our badge names us to the conductor */
	return 0;
}
