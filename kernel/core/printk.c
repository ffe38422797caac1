/* Kernel printf. Deliberately tiny: it only has to format diagnostics. */
#include <stdarg.h>

#include <kernel/arch.h>
#include <kernel/printk.h>
#include <kernel/string.h>

void console_putc(char c)
{
	if (c == '\n')
		arch_console_putc('\r');
	arch_console_putc(c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_putc(s[i]);
}

static void put_number(uint64_t v, unsigned base, int width, char pad, bool negative)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (negative)
		buf[n++] = '-';
	while (n < width--)
		console_putc(pad);
	while (n)
		console_putc(buf[--n]);
}

static void vprintk(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			console_putc(*fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0;
		int longs = 0;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			console_write(s, strlen(s));
			break;
		}
		case 'c':
			console_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_number(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'u':
			put_number(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, width,
			           pad, false);
			break;
		case 'x':
			put_number(longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, width,
			           pad, false);
			break;
		case 'p':
			console_write("0x", 2);
			put_number((uintptr_t)va_arg(ap, void *), 16, 16, '0', false);
			break;
		case '%':
			console_putc('%');
			break;
		default:
			console_putc('?');
			break;
		}
	}
}

/* Adds the whole tokens earned since `last`; `last` advances by exactly their time, so
 * calls more often than one token's time still add up. */
static void ratelimit_refill(struct ratelimit *rl)
{
	uint64_t now = arch_timer_now(), freq = arch_timer_frequency();
	if (rl->last == 0)
		rl->last = now;
	uint64_t earned = (now - rl->last) / (freq / rl->per_second);
	if (earned) {
		rl->last += earned * (freq / rl->per_second);
		rl->tokens += earned;
		if (rl->tokens >= rl->burst) {
			rl->tokens = rl->burst;
			rl->last = now;
		}
	}
}

bool ratelimit_take(struct ratelimit *rl)
{
	ratelimit_refill(rl);
	if (rl->tokens == 0)
		return false;
	rl->tokens--;
	return true;
}

bool ratelimit_allow(struct ratelimit *rl)
{
	if (!ratelimit_take(rl)) {
		rl->suppressed++;
		return false;
	}
	if (rl->suppressed) {
		uint64_t n = rl->suppressed;
		rl->suppressed = 0;
		printk("\nm6: %lu %s suppressed\n", n, rl->what);
	}
	return true;
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	arch_console_emergency();
	printk("\nm6: PANIC: ");
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	arch_halt_system();
}
