/* The interactive shell: reads lines from the console (line editing with history), runs
 * introspection commands. What it can inspect is exactly what its spec grants: the
 * SystemInfo syscap (threads, memory, boot time) and the static system description that
 * the spec compiler writes (m6_system.h: every component's CSpace as the spec built it). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m6/format.h>
#include <m6/idl.h>
#include <m6/lineedit.h>
#include <m6/runtime.h>
#include <m6/sync.h>
#include <m6/sysinfo.h>
#include <m6/time.h>
#include <m6_caps.h>
#include <m6_system.h>

#include "console_idl.h"
#include "serial_idl.h"
#include "shell_files.h"
#ifdef CAP_LINUX
#include "linux_idl.h"
#ifdef CAP_DISK_DEBUG
#include "block.h" /* BLOCK_DEBUG_CRASH_AFTER: `crash disk` */
#endif
#endif

#define PROMPT      "m6> "
#define TIMER_BADGE 1u
#define MAX_WORDS   64

static struct m6_timer timer;
static struct m6_line_editor editor;

static void cmd_help(int argc, char **argv);

static void cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("%s%s", argv[i], i + 1 < argc ? " " : "");
	printf("\n");
}

static void cmd_ps(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("%-10s %-10s %-9s %4s %4s %3s\n", "COMPONENT", "THREAD", "STATE", "PRIO", "MAX",
	       "CPU");
	struct m6_thread_info t;
	for (uint64_t i = 0; m6_sysinfo_thread(CAP_SYSTEM_INFO, i, &t) == M6_OK; i++) {
		char *dot = strchr(t.name, '.');
		const char *thread = dot ? dot + 1 : "";
		if (dot)
			*dot = '\0';
		printf("%-10s %-10s %-9s %4llu %4llu %3llu\n", t.name, thread,
		       m6_thread_state_name(t.state), (unsigned long long)t.priority,
		       (unsigned long long)t.max_priority, (unsigned long long)t.cpu);
	}
}

static void cmd_caps(int argc, char **argv)
{
	if (argc != 2) {
		printf("usage: caps COMPONENT (one of:");
		for (unsigned i = 0; i < M6_SYSTEM_COMPONENT_COUNT; i++)
			printf(" %s", m6_system_components[i].name);
		printf(")\n");
		return;
	}
	for (unsigned i = 0; i < M6_SYSTEM_COMPONENT_COUNT; i++) {
		const struct m6_system_component *c = &m6_system_components[i];
		if (strcmp(c->name, argv[1]) != 0)
			continue;
		printf("CSpace of %s (binary \"%s\"): %u of %u slots used, as the spec built it\n",
		       c->name, c->binary, c->cap_count + 1, 1u << c->cspace_radix);
		printf("%4s  %-20s %-13s %-6s %-10s %s\n", "SLOT", "NAME", "TYPE", "RIGHTS",
		       "BADGE/IRQ", "OBJECT");
		for (unsigned s = 0; s < c->cap_count; s++) {
			const struct m6_system_cap *cap = &c->caps[s];
			/* An IRQHandler's word is its interrupt number, not a badge. */
			char word[24];
			if (strcmp(cap->type, "IRQHandler") == 0)
				snprintf(word, sizeof(word), "irq %llu",
				         (unsigned long long)cap->badge);
			else if (cap->badge)
				snprintf(word, sizeof(word), "0x%llx",
				         (unsigned long long)cap->badge);
			else
				snprintf(word, sizeof(word), "-");
			printf("%4u  %-20s %-13s %-6s %-10s %s\n", cap->slot, cap->name, cap->type,
			       cap->rights, word, cap->what);
		}
		return;
	}
	printf("caps: no component '%s' in system %s\n", argv[1], M6_SYSTEM_NAME);
}

static void cmd_mem(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct m6_memory_info m;
	char a[24], b[24], c[24];
	if (m6_sysinfo_memory(CAP_SYSTEM_INFO, &m) != M6_OK) {
		printf("mem: SystemInfo refused\n");
		return;
	}
	printf("RAM given to untyped at boot: %s\n", m6_format_size(a, sizeof(a), m.ram_bytes));
	printf("used by the boot tables:      %s (objects, frames, page tables)\n",
	       m6_format_size(b, sizeof(b), m.boot_bytes));
	printf("free in the kernel's untyped: %s\n", m6_format_size(c, sizeof(c), m.free_bytes));
}

static void cmd_uptime(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint64_t boot = 0, frequency = 0;
	char up[48], total[48];
	uint64_t now = m6_counter();
	m6_sysinfo_boot(CAP_SYSTEM_INFO, &boot, &frequency);
	if (!frequency)
		frequency = m6_counter_frequency();
	uint64_t since_boot = (uint64_t)((unsigned __int128)(now - boot) * 1000000000u / frequency);
	printf("up %s (components started); %s since power-on\n",
	       m6_format_duration(up, sizeof(up), since_boot),
	       m6_format_duration(total, sizeof(total), m6_time_ns()));
	/* Each core's idle share since it came online (the kernel counts the time it
	 * sleeps in WFI with nothing to run). */
	struct m6_cpu_info c;
	for (uint64_t i = 0; m6_sysinfo_cpu(CAP_SYSTEM_INFO, i, &c) == M6_OK; i++) {
		if (!c.online) {
			printf("cpu %llu: offline\n", (unsigned long long)i);
			continue;
		}
		uint64_t span = now > c.online_since ? now - c.online_since : 0;
		uint64_t permille =
		    span ? (uint64_t)((unsigned __int128)c.idle_ticks * 1000 / span) : 0;
		if (permille > 1000)
			permille = 1000;
		printf("cpu %llu: %llu.%llu%% idle\n", (unsigned long long)i,
		       (unsigned long long)(permille / 10), (unsigned long long)(permille % 10));
	}
}

static void cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	shell_files_before_off();
	printf("shell: powering off\n");
	m6_power_off(CAP_POWER);
	printf("shell: power off refused\n");
}

static void cmd_reset(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	shell_files_before_off();
	printf("shell: resetting\n");
	m6_power_reset(CAP_POWER);
	printf("shell: reset refused\n");
}

/* The UART driver's counters, through the console (only the console may ask the driver). */
static void cmd_uart(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "probe") == 0) {
		/* What the debug cap must not do: write and read. The driver refuses both (and
		 * counts them), so neither this text nor the terminal's input goes anywhere. */
		static const char leak[] = "uart probe: the debug badge wrote this\r\n";
		uint64_t words[1 + (SERIAL_WRITE_DATA_MAX + 7) / 8] = {sizeof(leak) - 1};
		m6_idl_pack_bytes(&words[1], leak, sizeof(leak) - 1,
		                  (SERIAL_WRITE_DATA_MAX + 7) / 8);
		/* Sent, not called: the debug cap has only the send right. */
		m6_idl_send(CAP_UART, SERIAL_LABEL_WRITE, words,
		            1 + (SERIAL_WRITE_DATA_MAX + 7) / 8);
		words[0] = SERIAL_READ_DATA_MAX;
		m6_idl_send(CAP_UART, SERIAL_LABEL_READ, words, 1);
		printf("uart probe: sent a write and a read with the debug badge\n");
		return;
	}
	if (argc != 1) {
		printf("usage: uart [probe]   (probe: try what the debug cap may not do)\n");
		return;
	}
	uint64_t rx = 0, tx = 0, lost = 0, refused = 0;
	if (console_serial_stats(CAP_CONSOLE, &rx, &tx, &lost, &refused) != M6_OK) {
		printf("uart: no driver (it has stopped)\n");
		return;
	}
	printf("uart: %llu B received, %llu B sent, %llu receive overruns, %llu requests refused\n",
	       (unsigned long long)rx, (unsigned long long)tx, (unsigned long long)lost,
	       (unsigned long long)refused);
}

static void cmd_crash(int argc, char **argv)
{
#ifdef CAP_DISK_DEBUG
	/* The disk driver: a signal with the debug badge the spec gives only the shell
	 * (BLOCK_DEBUG_CRASH_BADGE, <block.h>). It faults and its supervisor restarts it
	 * (docs/supervision.md); the shell carries on. */
	if (argc == 2 && strcmp(argv[1], "disk") == 0) {
		printf("shell: asking the disk driver to fault during its next %u requests\n",
		       BLOCK_DEBUG_CRASH_AFTER);
		fflush(stdout);
		m6_signal(CAP_DISK_DEBUG);
		return;
	}
#define CRASH_USAGE                                                                 \
	"usage: crash uart [exit] | crash disk   (makes the UART driver fault, or " \
	"exit with status 3; or the disk driver fault; a debug aid)\n"
#else
#define CRASH_USAGE                                                              \
	"usage: crash uart [exit]   (makes the UART driver fault, or exit with " \
	"status 3; a debug aid)\n"
#endif
	int exit_instead = argc == 3 && strcmp(argv[2], "exit") == 0;
	if (argc < 2 || argc > 3 || strcmp(argv[1], "uart") != 0 || (argc == 3 && !exit_instead)) {
		printf(CRASH_USAGE);
		return;
	}
	printf("shell: asking the UART driver to %s\n", exit_instead ? "exit" : "fault");
	fflush(stdout);
	/* Oneway methods: sent, never answered (the driver faults or exits instead). */
	if (exit_instead)
		serial_exit(CAP_UART, 3);
	else
		serial_crash(CAP_UART);
	m6_sleep_ms(&timer, 50);
	char up[48];
	printf("shell: still running %s after boot, without a terminal: powering off\n",
	       m6_format_duration(up, sizeof(up), m6_time_ns()));
	m6_power_off(CAP_POWER);
}

#ifdef CAP_LINUX
/* Linux's errno names for what linux.idl's run may answer. */
static const char *linux_error(int32_t error)
{
	switch (-error) {
	case 2:
		return "No such file or directory";
	case 8:
		return "not an executable the shim can run";
	case 11:
		return "no process slot free (try again)";
	case 12:
		return "out of memory";
	case 22:
		return "bad arguments";
	default:
		return "cannot start";
	}
}

/* Run a Linux program on the console (linux.idl): the shim starts it, the console's input
 * is lent to the shim while it runs, and comes back here when it has ended. */
static void run_linux(int argc, char **argv)
{
	char packed[LINUX_RUN_ARGV_MAX];
	char path[128];
	size_t len = 0;
	/* a bare name is looked up in /bin, as a Linux shell's PATH=/bin would */
	if (strchr(argv[0], '/') == NULL) {
		snprintf(path, sizeof(path), "/bin/%s", argv[0]);
		argv[0] = path;
	}
	for (int i = 0; i < argc; i++) {
		size_t k = strlen(argv[i]) + 1;
		if (len + k > sizeof(packed)) {
			printf("linux: the arguments are too long (at most %u bytes)\n",
			       (unsigned)sizeof(packed));
			return;
		}
		memcpy(packed + len, argv[i], k);
		len += k;
	}
	uint32_t job = 0;
	int32_t error = 0;
	if (linux_run(CAP_LINUX, packed, len, &job, &error) != M6_OK) {
		printf("linux: the Linux shim refused the request\n");
		return;
	}
	if (error) {
		printf("linux: %s: %s\n", argv[0], linux_error(error));
		return;
	}
	fflush(stdout);
	/* The program owns the terminal now: our input goes to it until it ends. */
	bool lent = console_lend_input(CAP_CONSOLE, 1) == M6_OK;
	if (!lent)
		printf("linux: the console keeps its input here (no terminal for the program)\n");
	uint32_t done = 0;
	int32_t ws = 0;
	uint64_t e;
	while ((e = linux_wait(CAP_LINUX, job, &done, &ws)) == M6_OK && !done)
		m6_wait(CAP_LINUX_DONE); /* the shim signals when a job has ended */
	/* The input back first: the console then drops the program's last partial line
	 * rather than putting it back after ours. */
	if (lent)
		console_lend_input(CAP_CONSOLE, 0);
	if (e != M6_OK)
		printf("linux: lost track of the program\n");
	else if ((ws & 0x7f) != 0)
		printf("linux: %s killed by signal %d\n", argv[0], ws & 0x7f);
	else if ((ws >> 8) & 0xff)
		printf("linux: %s exited with status %d\n", argv[0], (ws >> 8) & 0xff);
}

static void cmd_sh(int argc, char **argv)
{
	/* the line has at most MAX_WORDS words (the caller refuses more): "sh" becomes two */
	char *args[MAX_WORDS + 2] = {"/bin/busybox", "sh"};
	int n = 2;
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	run_linux(n, args);
}

static void cmd_linux(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: linux PROGRAM [ARG...]   (a static Linux program; no '/': "
		       "/bin/PROGRAM)\n");
		return;
	}
	run_linux(argc - 1, argv + 1);
}
#endif

struct command {
	const char *name;
	void (*run)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
    {"help", cmd_help, "list the commands"},
    {"echo", cmd_echo, "print the arguments"},
    {"ps", cmd_ps, "threads of every component: state, priority and CPU"},
    {"caps", cmd_caps, "caps COMPONENT: its CSpace as the spec built it"},
    {"mem", cmd_mem, "RAM: given to untyped, used at boot, free"},
    {"uptime", cmd_uptime, "time since the components started, each CPU's idle share"},
    {"uart", cmd_uart, "the serial line's counters (uart probe: a debug check)"},
    {"poweroff", cmd_poweroff, "power the machine off (syncs the file systems first)"},
    {"reset", cmd_reset, "reset the machine (syncs first; QEMU with -no-reboot exits)"},
#ifdef CAP_DISK_DEBUG
    {"crash", cmd_crash, "crash uart [exit] | disk: make a driver fault or exit (debug)"},
#else
    {"crash", cmd_crash, "crash uart [exit]: make the UART driver fault or exit (debug)"},
#endif
    /* Files (shell_files.c): when the spec grants the file service. */
    {"ls", shell_ls, "ls [-l] [PATH...]: list a directory (sorted) or a file"},
    {"cat", shell_cat, "cat FILE...: print files"},
    {"cp", shell_cp, "cp SOURCE DEST: copy a file (DEST may be a directory)"},
    {"mv", shell_mv, "mv SOURCE DEST: rename (DEST may be a directory)"},
    {"rm", shell_rm, "rm FILE...: remove files"},
    {"mkdir", shell_mkdir, "mkdir DIR...: make directories"},
    {"rmdir", shell_rmdir, "rmdir DIR...: remove empty directories"},
    {"touch", shell_touch, "touch FILE...: make empty files where there are none"},
    {"write", shell_write, "write FILE TEXT...: replace FILE by the text and a newline"},
    {"df", shell_df, "the mounted file systems: size, used, free"},
    {"mount", shell_mount, "the mount table"},
    {"cd", shell_cd, "cd [DIR]: change the working directory (no DIR: /)"},
    {"pwd", shell_pwd, "print the working directory"},
    {"sync", shell_sync, "write every file system's data to its device"},
#ifdef CAP_LINUX
    /* Linux programs (the Linux shim, linux.idl): when the spec grants the shim. */
    {"sh", cmd_sh, "sh [ARG...]: busybox's shell on the console (exit: back here)"},
    {"linux", cmd_linux, "linux PROGRAM [ARG...]: run a static Linux program"},
#endif
};

static void cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-9s %s\n", commands[i].name, commands[i].help);
	printf("Line editing: backspace, delete, left/right, home/end, up/down for history.\n"
	       "Lines hold up to %d bytes. Quit QEMU: Ctrl-A X.\n",
	       M6_LINE_MAX);
}

static void run_line(char *line)
{
	char *argv[MAX_WORDS + 1];
	int argc = m6_split_words(line, argv, MAX_WORDS + 1);
	if (argc == 0)
		return;
	if (argc > MAX_WORDS) { /* never run what was typed without some of it */
		printf("shell: too many words (at most %d): not run\n", MAX_WORDS);
		return;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) == 0) {
			commands[i].run(argc, argv);
			return;
		}
	}
	printf("shell: unknown command '%s' (try help)\n", argv[0]);
}

int main(void)
{
	bool granted = false;
	m6_timer_init(&timer, CAP_TICK, CAP_TIMER_WAKE, TIMER_BADGE);
	console_claim_input(CAP_CONSOLE, &granted);
	m6_line_init(&editor);
	shell_files_motd();
	printf("m6 shell on system %s: type 'help'\n", M6_SYSTEM_NAME);
	printf(PROMPT);
	fflush(stdout);
	for (;;) {
		char bytes[CONSOLE_READ_DATA_MAX];
		size_t n = 0;
		if (console_read(CAP_CONSOLE, bytes, &n) != M6_OK || n == 0) {
			m6_wait(CAP_CONSOLE_INPUT);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			char echo[64 + 2 * M6_LINE_MAX];
			enum m6_line_status st =
			    m6_line_feed(&editor, bytes[i], echo, sizeof(echo));
			fputs(echo, stdout);
			if (st == M6_LINE_TOO_LONG)
				printf("shell: line too long (the limit is %d bytes): not run\n",
				       M6_LINE_MAX);
			if (st != M6_LINE_EDITING) {
				if (st == M6_LINE_DONE)
					run_line(editor.line);
				m6_line_reset(&editor);
				printf(PROMPT);
			}
		}
		/* The echo of everything read goes out at once: one console call per key of a
		 * paste would make the paste crawl. */
		fflush(stdout);
	}
}
