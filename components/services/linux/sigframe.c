/* The arm64 Linux signal frame: encode and decode (sigframe.h). */
#include <string.h>

#include "sigframe.h"

_Static_assert(SIGFRAME_SIZE == 4688, "rt_sigframe size");

static void put32(uint8_t *at, uint32_t v)
{
	memcpy(at, &v, 4);
}

static void put64(uint8_t *at, uint64_t v)
{
	memcpy(at, &v, 8);
}

static uint32_t get32(const uint8_t *at)
{
	uint32_t v;
	memcpy(&v, at, 4);
	return v;
}

static uint64_t get64(const uint8_t *at)
{
	uint64_t v;
	memcpy(&v, at, 8);
	return v;
}

void sigframe_encode(uint8_t *frame, const uint8_t siginfo[SIGFRAME_SIGINFO_SIZE],
                     const struct sigframe_content *c)
{
	memset(frame, 0, SIGFRAME_SIZE);
	memcpy(frame, siginfo, SIGFRAME_SIGINFO_SIZE);
	uint8_t *uc = frame + SIGFRAME_UC, *sc = uc + UC_MCONTEXT;
	put64(uc + UC_STACK, c->ss_sp);
	put32(uc + UC_STACK + 8, c->ss_flags);
	put64(uc + UC_STACK + 16, c->ss_size);
	put64(uc + UC_SIGMASK, c->mask);
	put64(sc + SC_FAULT_ADDR, c->fault_address);
	for (unsigned i = 0; i < 31; i++)
		put64(sc + SC_REGS + 8 * i, c->x[i]);
	put64(sc + SC_SP, c->sp);
	put64(sc + SC_PC, c->pc);
	put64(sc + SC_PSTATE, c->pstate);
	uint8_t *rec = sc + SC_RESERVED;
	put32(rec, FPSIMD_MAGIC);
	put32(rec + 4, FPSIMD_SIZE);
	put32(rec + 8, c->fpsr);
	put32(rec + 12, c->fpcr);
	memcpy(rec + 16, c->v, sizeof(c->v));
	rec += FPSIMD_SIZE;
	if (c->has_esr) {
		put32(rec, ESR_MAGIC);
		put32(rec + 4, ESR_SIZE);
		put64(rec + 8, c->esr);
	}
	/* the null record that ends the area: zeroes already */
}

bool sigframe_decode(const uint8_t *frame, struct sigframe_content *c, const char **why)
{
	const uint8_t *uc = frame + SIGFRAME_UC, *sc = uc + UC_MCONTEXT;
	memset(c, 0, sizeof(*c));
	c->ss_sp = get64(uc + UC_STACK);
	c->ss_flags = get32(uc + UC_STACK + 8);
	c->ss_size = get64(uc + UC_STACK + 16);
	c->mask = get64(uc + UC_SIGMASK);
	c->fault_address = get64(sc + SC_FAULT_ADDR);
	for (unsigned i = 0; i < 31; i++)
		c->x[i] = get64(sc + SC_REGS + 8 * i);
	c->sp = get64(sc + SC_SP);
	c->pc = get64(sc + SC_PC);
	c->pstate = get64(sc + SC_PSTATE);
	bool have_fp = false;
	/* the last 8 bytes must hold the null record at the latest */
	for (size_t off = 0;;) {
		if (off + 8 > SC_RESERVED_SIZE) {
			*why = "no null record";
			return false;
		}
		const uint8_t *rec = sc + SC_RESERVED + off;
		uint32_t magic = get32(rec), size = get32(rec + 4);
		if (magic == 0 && size == 0)
			break;
		if (size < 16 || size % 16 || size > SC_RESERVED_SIZE - off) {
			*why = "a record of a bad size";
			return false;
		}
		if (magic == FPSIMD_MAGIC) {
			if (size != FPSIMD_SIZE || have_fp) {
				*why = "a bad fpsimd_context";
				return false;
			}
			c->fpsr = get32(rec + 8);
			c->fpcr = get32(rec + 12);
			memcpy(c->v, rec + 16, sizeof(c->v));
			have_fp = true;
		} else if (magic == ESR_MAGIC && size == ESR_SIZE) {
			c->has_esr = true;
			c->esr = get64(rec + 8);
		}
		off += size;
	}
	if (!have_fp) {
		*why = "no fpsimd_context";
		return false;
	}
	*why = "ok";
	return true;
}
