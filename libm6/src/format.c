/* Human-readable sizes and durations; word splitting for command lines. */
#include <stdio.h>

#include <m6/format.h>

char *m6_format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	uint64_t scale = 1;
	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes >= scale * 1024) {
		scale *= 1024;
		u++;
	}
	uint64_t whole = bytes / scale;
	/* hundredths, rounded down so that "1.99 KiB" never becomes "2 KiB" for 2047 B */
	uint64_t frac = (bytes % scale) * 100 / scale;
	if (frac == 0)
		snprintf(buf, size, "%llu %s", (unsigned long long)whole, units[u]);
	else if (frac % 10 == 0)
		snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
		         (unsigned long long)(frac / 10), units[u]);
	else
		snprintf(buf, size, "%llu.%02llu %s", (unsigned long long)whole,
		         (unsigned long long)frac, units[u]);
	return buf;
}

char *m6_format_duration(char *buf, size_t size, uint64_t ns)
{
	uint64_t ms = ns / 1000000u;
	uint64_t s = ms / 1000, h = s / 3600, min = (s / 60) % 60;
	unsigned long long sec = s % 60, milli = ms % 1000;
	if (h)
		snprintf(buf, size, "%llu h %02llu min %02llu.%03llu s", (unsigned long long)h,
		         (unsigned long long)min, sec, milli);
	else if (min)
		snprintf(buf, size, "%llu min %02llu.%03llu s", (unsigned long long)min, sec,
		         milli);
	else
		snprintf(buf, size, "%llu.%03llu s", sec, milli);
	return buf;
}

int m6_split_words(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;
	while (*p && n < max) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		words[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}
