/* PL011 UART, polled transmit only: the kernel's own diagnostic console. The full
 * interrupt-driven driver is a user component (components/drivers/pl011).
 *
 * The console is the PL011 the DTB names, and only once its address has been checked (not
 * RAM, mappable) and mapped: writing to an address the DTB merely claims would be the
 * first thing the kernel does on the loader's word. Until then output is kept in a buffer
 * and written out when the console starts. If the DTB names no enabled PL011 the kernel has
 * no console and says nothing more. A panic before the DTB has decided falls back to the
 * build's platform UART (PLATFORM_EARLY_UART), so that a refused DTB is still reported. */
#include <kernel/arch.h>
#include <kernel/platform.h>

#define UART_DR      0x00
#define UART_FR      0x18
#define UART_FR_TXFF (1u << 5)

struct platform_info platform;

enum console_state { CONSOLE_EARLY, CONSOLE_LIVE, CONSOLE_NONE };

static enum console_state state;
static volatile uint32_t *uart;
static char early_log[4096];
static unsigned early_len;

static void uart_putc(char c)
{
	while (uart[UART_FR / 4] & UART_FR_TXFF)
		;
	uart[UART_DR / 4] = (uint8_t)c;
}

void arch_console_putc(char c)
{
	if (uart)
		uart_putc(c);
	else if (state == CONSOLE_EARLY && early_len < sizeof(early_log))
		early_log[early_len++] = c;
}

static void flush_early_log(void)
{
	for (unsigned i = 0; i < early_len; i++)
		uart_putc(early_log[i]);
	early_len = 0;
}

void arch_console_start(void)
{
	if (platform.uart_base) {
		uart = paddr_to_kernel(platform.uart_base);
		state = CONSOLE_LIVE;
		flush_early_log();
	} else {
		state = CONSOLE_NONE;
	}
}

void arch_console_emergency(void)
{
	if (state != CONSOLE_EARLY || uart)
		return;
	uart = kmap_boot_early_uart();
	flush_early_log();
}
