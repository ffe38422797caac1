/*
 * What a Linux process finds at its start: argc, argv, envp and the auxiliary vector, as
 * the initial stack holds them (read past envp's terminating NULL, not through getauxval,
 * so that the layout itself is checked). Values that depend on where things were placed
 * (addresses, the random bytes) are printed as checks ("ok"), never as numbers, so the
 * output is the same on every boot and can be compared with m6's Linux layer.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern const ElfW(Ehdr) __ehdr_start; /* the linker's: this executable's ELF header */
extern char _start[];

static const char *aux_name(unsigned long type)
{
	switch (type) {
	case AT_PHDR:
		return "AT_PHDR";
	case AT_PHENT:
		return "AT_PHENT";
	case AT_PHNUM:
		return "AT_PHNUM";
	case AT_PAGESZ:
		return "AT_PAGESZ";
	case AT_BASE:
		return "AT_BASE";
	case AT_FLAGS:
		return "AT_FLAGS";
	case AT_ENTRY:
		return "AT_ENTRY";
	case AT_UID:
		return "AT_UID";
	case AT_EUID:
		return "AT_EUID";
	case AT_GID:
		return "AT_GID";
	case AT_EGID:
		return "AT_EGID";
	case AT_PLATFORM:
		return "AT_PLATFORM";
	case AT_HWCAP:
		return "AT_HWCAP";
	case AT_HWCAP2:
		return "AT_HWCAP2";
	case AT_CLKTCK:
		return "AT_CLKTCK";
	case AT_SECURE:
		return "AT_SECURE";
	case AT_RANDOM:
		return "AT_RANDOM";
	case AT_EXECFN:
		return "AT_EXECFN";
	case AT_SYSINFO_EHDR:
		return "AT_SYSINFO_EHDR";
	case AT_MINSIGSTKSZ:
		return "AT_MINSIGSTKSZ";
	default:
		return NULL;
	}
}

int main(int argc, char **argv, char **envp)
{
	printf("hello from a static ARM64 Linux program\n");
	printf("argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] \"%s\"\n", i, argv[i]);
	printf("argv[%d] %s\n", argc, argv[argc] == NULL ? "NULL" : "not NULL");

	char **e = envp;
	for (; *e; e++)
		printf("env \"%s\"\n", *e);

	/* The initial stack's auxv follows envp's NULL: (type, value) pairs ending in AT_NULL. */
	const ElfW(auxv_t) *aux = (const void *)(e + 1);
	const ElfW(auxv_t) * by_type[64] = {0};
	int count = 0;
	for (; aux->a_type != AT_NULL; aux++, count++)
		if (aux->a_type < 64)
			by_type[aux->a_type] = aux;
	printf("auxv entries %s\n", count > 0 ? "present" : "missing");

	uintptr_t phdr = (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff;
	/* Sorted by type, so that only presence and values are compared, not their order. */
	for (unsigned long t = 1; t < 64; t++) {
		const ElfW(auxv_t) *a = by_type[t];
		const char *name = aux_name(t);
		if (!a)
			continue;
		if (!name) {
			printf("type %lu present\n", t);
			continue;
		}
		unsigned long v = a->a_un.a_val;
		switch (t) {
		case AT_PHDR:
			printf("%s %s\n", name,
			       v == phdr ? "ok (this executable's headers)" : "WRONG");
			break;
		case AT_ENTRY:
			printf("%s %s\n", name, v == (uintptr_t)_start ? "ok (_start)" : "WRONG");
			break;
		case AT_PHENT:
			printf("%s %lu (%s)\n", name, v,
			       v == __ehdr_start.e_phentsize ? "ok" : "WRONG");
			break;
		case AT_PHNUM:
			printf("%s %s\n", name, v == __ehdr_start.e_phnum ? "ok" : "WRONG");
			break;
		case AT_RANDOM: {
			/* 16 bytes somewhere readable: not all zero (2^-128 of a false alarm). */
			const unsigned char *r = (const unsigned char *)v;
			int nonzero = 0;
			for (int i = 0; i < 16; i++)
				nonzero |= r[i];
			printf("%s %s\n", name, nonzero ? "16 bytes" : "WRONG (zeros)");
			break;
		}
		case AT_EXECFN:
		case AT_PLATFORM:
			printf("%s \"%s\"\n", name, (const char *)v);
			break;
		case AT_SYSINFO_EHDR:
			printf("%s %s\n", name,
			       memcmp((const void *)v, ELFMAG, SELFMAG) == 0 ? "ok (vDSO ELF)"
			                                                     : "WRONG");
			break;
		case AT_HWCAP:
		case AT_HWCAP2:
			printf("%s 0x%lx\n", name, v);
			break;
		default:
			printf("%s %lu\n", name, v);
		}
	}
	printf("page size %ld\n", sysconf(_SC_PAGESIZE));
	return 0;
}
