/* PL011 UART driver: interrupt-driven receive and transmit through 4 KiB rings and the
 * UART's FIFOs. It holds the UART's registers and interrupt (the spec's `device uart`)
 * and nothing else of the machine. The console calls it through the serial interface;
 * the driver signals it when received bytes wait. The kernel's own debug console prints
 * to the same UART by polling; both only ever write whole bytes, so they can share it.
 *
 * Receive has flow control: while the ring is full the driver stops taking bytes from
 * the FIFO (and masks its interrupts), so bytes wait in the FIFO and then at the sender
 * (QEMU holds them back while the FIFO is full) instead of being dropped. Reads make
 * room and move what waits in the FIFO up. */
#include <stdint.h>
#include <stdlib.h>

#include <m6/caps.h>
#include <m6/config.h>
#include <m6/idl.h>
#include <m6/invocations.h>
#include <m6/ipc.h>
#include <m6/ring.h>

#include "serial_idl.h"

/* PL011 registers (ARM DDI 0183) */
#define UART_DR        0x00
#define UART_FR        0x18
#define UART_LCRH      0x2c
#define UART_CR        0x30
#define UART_IFLS      0x34
#define UART_IMSC      0x38
#define UART_MIS       0x40
#define UART_ICR       0x44

#define DR_OE          (1u << 11) /* this byte came after the FIFO overflowed: bytes were lost */
#define FR_BUSY        (1u << 3)
#define FR_RXFE        (1u << 4)
#define FR_TXFF        (1u << 5)
#define LCRH_FEN       (1u << 4) /* FIFOs on (else one byte each way) */
#define LCRH_WLEN8     (3u << 5) /* 8 data bits; no parity, one stop bit */
#define IFLS_RX_HALF   (2u << 3) /* RX interrupt at 1/2 full; RT covers fewer bytes */
#define IFLS_TX_EIGHTH (0u << 0) /* TX interrupt at 1/8 full: refill in good time */
#define CR_ENABLE      ((1u << 0) | (1u << 8) | (1u << 9)) /* UART, TX and RX enabled */
#define INT_RX         (1u << 4)
#define INT_TX         (1u << 5)
#define INT_RT         (1u << 6) /* receive timeout: bytes below the RX level, line idle */
#define INT_OE         (1u << 10)
#define INT_ALL        0x7ffu

#define IRQ_BADGE      1u

/* Built once, bound per system (pl011.json names the spec role of each value). */
M6_CONFIG(m6_cptr_t, pl011_serial);   /* endpoint serial: the clients call here */
M6_CONFIG(m6_cptr_t, pl011_irq);      /* notification irq: the interrupt arrives here */
M6_CONFIG(m6_cptr_t, pl011_uart_irq); /* the IRQ handler of device uart */
M6_CONFIG(m6_cptr_t, pl011_client);   /* signal client: "received bytes wait" */
M6_CONFIG(uint64_t, pl011_regs);      /* where device uart's registers are mapped */
/* Who may do what: the badge of the caller's endpoint cap, as the system spec mints it.
 * The caps named SERIAL (the console's) do the serial line's work; those named UART (the
 * shell's, examples/shell/shell.m6) exist for `crash uart` only, and a system without
 * them gets 0: no debug entry in the table then, so an unbadged cap cannot crash us. */
M6_CONFIG(uint64_t, pl011_console_badge); /* client_badge serial.SERIAL */
M6_CONFIG(uint64_t, pl011_debug_badge);   /* client_badge serial.UART, optional */

static struct m6_ring rx, tx;
static uint64_t rx_bytes, tx_bytes, overruns, refused;
static int rx_paused; /* the ring is full: received bytes are left in the FIFO */

static volatile uint32_t *reg(unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(pl011_regs + offset);
}

/* Interrupts wanted now: receive unless paused, transmit while bytes wait. */
static void update_mask(void)
{
	uint32_t mask = INT_OE;
	if (!rx_paused)
		mask |= INT_RX | INT_RT;
	if (m6_ring_used(&tx))
		mask |= INT_TX;
	*reg(UART_IMSC) = mask;
}

/* Move received bytes from the FIFO into the ring while it has room. */
static void receive(void)
{
	while (m6_ring_free(&rx) && !(*reg(UART_FR) & FR_RXFE)) {
		uint32_t dr = *reg(UART_DR);
		uint8_t byte = (uint8_t)dr;
		if (dr & DR_OE)
			overruns++;
		m6_ring_put(&rx, &byte, 1);
		rx_bytes++;
	}
	int paused = m6_ring_free(&rx) == 0;
	if (paused != rx_paused) {
		rx_paused = paused;
		update_mask();
	}
}

/* Move bytes from the ring into the FIFO; the TX interrupt wants more while any wait. */
static void transmit(void)
{
	uint8_t byte;
	while (m6_ring_used(&tx) && !(*reg(UART_FR) & FR_TXFF)) {
		m6_ring_get(&tx, &byte, 1);
		*reg(UART_DR) = byte;
		tx_bytes++;
	}
	update_mask();
}

static void on_interrupt(void *ctx, uint64_t word)
{
	(void)ctx;
	(void)word;
	uint32_t pending = *reg(UART_MIS);
	*reg(UART_ICR) = pending;
	/* Overruns are counted from the received bytes' DR_OE flags (one per overrun). */
	receive();
	/* Whatever waits, whether it came just now or not: the client reads until a read
	 * returns none, and a signal too many only costs it one such read. */
	if (m6_ring_used(&rx))
		m6_signal(pl011_client);
	transmit();
	m6_irq_handler_ack(pl011_uart_irq);
}

static uint64_t serial_write_op(void *ctx, uint64_t badge, const void *data, size_t len,
                                uint32_t *taken)
{
	(void)ctx;
	(void)badge;
	const uint8_t *bytes = data;
	size_t done = 0;
	while (done < len) {
		done += m6_ring_put(&tx, bytes + done, len - done);
		transmit();
		/* A full ring: wait for the TX interrupt (the IRQ notification is ours; received
		 * bytes are handled meanwhile too). The client asked for its bytes to go out, and
		 * answering "not now" would only move the waiting into the client. */
		while (done < len && m6_ring_free(&tx) == 0) {
			if (m6_wait(pl011_irq))
				on_interrupt(NULL, 0);
			else
				transmit(); /* cannot wait: poll */
		}
	}
	*taken = (uint32_t)done;
	return M6_OK;
}

static uint64_t serial_read_op(void *ctx, uint64_t badge, uint32_t max, void *data, size_t *len,
                               uint64_t *lost)
{
	(void)ctx;
	(void)badge;
	receive(); /* what the FIFO holds right now, too */
	*len = m6_ring_get(&rx, data, max < SERIAL_READ_DATA_MAX ? max : SERIAL_READ_DATA_MAX);
	/* Room again: bytes held in the FIFO move up now. Their interrupt may be long gone
	 * (acknowledged while the ring was full), so they are not left to it; the client
	 * reads again after a read that returned bytes. After an empty read it does not:
	 * then bytes arriving now are left to their interrupt (and its signal), since moving
	 * them here would leave them unannounced. */
	if (*len)
		receive();
	*lost = overruns;
	return M6_OK;
}

static uint64_t serial_stats_op(void *ctx, uint64_t badge, uint64_t *rx_count, uint64_t *tx_count,
                                uint64_t *overrun_count, uint64_t *refused_count)
{
	(void)ctx;
	(void)badge;
	*rx_count = rx_bytes;
	*tx_count = tx_bytes;
	*overrun_count = overruns;
	*refused_count = refused;
	return M6_OK;
}

static void serial_crash_op(void *state, uint64_t badge)
{
	(void)state;
	(void)badge;
	/* A debug aid for the fault-isolation test: touch an address nothing maps. */
	*(volatile uint32_t *)(uintptr_t)0x10 = 0xdead;
}

static void serial_exit_op(void *state, uint64_t badge, int32_t status)
{
	(void)state;
	(void)badge;
	/* A debug aid: end the way a component ends on purpose, for its supervisor to tell
	 * apart from a fault. */
	exit(status);
}

static const struct serial_ops ops = {
    .write = serial_write_op,
    .read = serial_read_op,
    .stats = serial_stats_op,
    .crash = serial_crash_op,
    .exit = serial_exit_op,
};

/* Who may call what (the generated serve loop checks every request against it); filled
 * from the bound badges in main(). */
static struct m6_idl_allow allow[2];

/* A request the table refuses: counted (the `uart` command shows it), then refused. */
static int on_refused(void *state, struct m6_msg *m)
{
	(void)state;
	(void)m;
	refused++;
	return M6_IDL_REFUSE;
}

static struct serial_server server = {
    .ops = &ops,
    .allow = allow,
    .on_refused = on_refused,
    .on_notification = on_interrupt,
};

int main(void)
{
	allow[0] =
	    (struct m6_idl_allow){pl011_console_badge, pl011_console_badge,
	                          SERIAL_METHOD_WRITE | SERIAL_METHOD_READ | SERIAL_METHOD_STATS};
	server.allow_count = 1;
	if (pl011_debug_badge != 0)
		allow[server.allow_count++] = (struct m6_idl_allow){
		    pl011_debug_badge, pl011_debug_badge, SERIAL_METHOD_CRASH | SERIAL_METHOD_EXIT};
	/* The IRQ signals our notification with a badge: a badge of 0 would set no bit. */
	m6_cptr_t irq_signal = m6_cap_mint(pl011_irq, M6_RIGHT_WRITE, IRQ_BADGE);
	m6_irq_handler_set_notification(pl011_uart_irq, irq_signal);
	m6_tcb_bind_notification(M6_CAP_SELF_TCB, pl011_irq);
	/* The line format may only change while the UART is off, and turning it off cuts
	 * short a byte being sent (the kernel's boot messages): let those go first. */
	while (*reg(UART_FR) & FR_BUSY)
		;
	*reg(UART_CR) = 0;
	*reg(UART_LCRH) = LCRH_WLEN8 | LCRH_FEN;
	*reg(UART_IFLS) = IFLS_RX_HALF | IFLS_TX_EIGHTH;
	*reg(UART_ICR) = INT_ALL; /* clear whatever the kernel left */
	update_mask();            /* RX, RT, OE; TX while bytes wait */
	*reg(UART_CR) = CR_ENABLE;
	m6_irq_handler_ack(pl011_uart_irq);
	serial_serve(pl011_serial, &server);
}
