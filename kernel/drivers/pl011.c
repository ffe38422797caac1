/* PL011 UART, polled transmit only: the kernel's own diagnostic console. The full
 * interrupt-driven driver is a user component (components/drivers/pl011). */
#include <kernel/arch.h>
#include <kernel/platform.h>

#define UART_DR      0x00
#define UART_FR      0x18
#define UART_FR_TXFF (1u << 5)

/* QEMU virt's UART, used until the DTB has been read (and if it cannot be). */
struct platform_info platform = {.uart_base = 0x09000000};

void arch_console_putc(char c)
{
	volatile uint32_t *uart = paddr_to_kernel(platform.uart_base);
	while (uart[UART_FR / 4] & UART_FR_TXFF)
		;
	uart[UART_DR / 4] = (uint8_t)c;
}
