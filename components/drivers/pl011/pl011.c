/* PL011 UART driver: interrupt-driven receive and transmit through 4 KiB rings. It holds
 * the UART's registers and interrupt (the spec's `device uart`) and nothing else of the
 * machine. One client (the console) calls it through the serial interface; the driver
 * signals the client when received bytes wait. The kernel's own debug console prints to
 * the same UART by polling; both only ever write whole bytes, so they can share it. */
#include <stdint.h>

#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/ipc.h>
#include <m6/ring.h>
#include <m6_caps.h>

#include "serial_idl.h"

/* PL011 registers (ARM DDI 0183) */
#define UART_DR   0x00
#define UART_FR   0x18
#define UART_CR   0x30
#define UART_IFLS 0x34
#define UART_IMSC 0x38
#define UART_MIS  0x40
#define UART_ICR  0x44

#define FR_RXFE   (1u << 4)
#define FR_TXFF   (1u << 5)
#define INT_RX    (1u << 4)
#define INT_TX    (1u << 5)
#define INT_RT    (1u << 6)
#define INT_OE    (1u << 10)

#define IRQ_BADGE 1u

static struct m6_ring rx, tx;
static uint64_t rx_bytes, tx_bytes, overruns;
static uint32_t imsc;

static volatile uint32_t *reg(unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(M6_DEVICE_UART_VADDR + offset);
}

static void set_mask(uint32_t mask)
{
	imsc = mask;
	*reg(UART_IMSC) = mask;
}

static void receive(void)
{
	size_t before = m6_ring_used(&rx);
	while (!(*reg(UART_FR) & FR_RXFE)) {
		uint8_t byte = (uint8_t)*reg(UART_DR);
		if (m6_ring_put(&rx, &byte, 1) == 1)
			rx_bytes++;
		else
			overruns++;
	}
	if (m6_ring_used(&rx) > before)
		m6_signal(CAP_CLIENT);
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
	set_mask(m6_ring_used(&tx) ? imsc | INT_TX : imsc & ~INT_TX);
}

static void on_interrupt(void *ctx, uint64_t word)
{
	(void)ctx;
	(void)word;
	uint32_t pending = *reg(UART_MIS);
	*reg(UART_ICR) = pending;
	if (pending & INT_OE)
		overruns++;
	receive();
	transmit();
	m6_irq_handler_ack(CAP_UART_IRQ);
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
		/* A full ring drains by polling: the client asked for its bytes to go out, and
		 * answering "not now" would only move the waiting into the client. */
		while (done < len && m6_ring_free(&tx) == 0)
			transmit();
	}
	*taken = (uint32_t)done;
	return M6_OK;
}

static uint64_t serial_read_op(void *ctx, uint64_t badge, void *data, size_t *len)
{
	(void)ctx;
	(void)badge;
	receive(); /* what the FIFO holds right now, too */
	*len = m6_ring_get(&rx, data, SERIAL_READ_DATA_MAX);
	return M6_OK;
}

static uint64_t serial_stats_op(void *ctx, uint64_t badge, uint64_t *rx_count, uint64_t *tx_count,
                                uint64_t *overrun_count)
{
	(void)ctx;
	(void)badge;
	*rx_count = rx_bytes;
	*tx_count = tx_bytes;
	*overrun_count = overruns;
	return M6_OK;
}

static uint64_t serial_crash_op(void *ctx, uint64_t badge)
{
	(void)ctx;
	(void)badge;
	/* A debug aid for the fault-isolation test: touch an address nothing maps. */
	*(volatile uint32_t *)(uintptr_t)0x10 = 0xdead;
	return M6_OK;
}

static const struct serial_ops ops = {
    .write = serial_write_op,
    .read = serial_read_op,
    .stats = serial_stats_op,
    .crash = serial_crash_op,
};

static int on_request(void *ctx, struct m6_msg *m)
{
	serial_dispatch(&ops, ctx, m);
	return 0;
}

int main(void)
{
	/* The IRQ signals our notification with a badge: a badge of 0 would set no bit. */
	m6_cptr_t irq_signal = m6_cap_mint(CAP_IRQ, M6_RIGHT_WRITE, IRQ_BADGE);
	m6_irq_handler_set_notification(CAP_UART_IRQ, irq_signal);
	m6_tcb_bind_notification(M6_CAP_SELF_TCB, CAP_IRQ);
	*reg(UART_IFLS) = 0;                               /* interrupt at the lowest FIFO levels */
	*reg(UART_ICR) = 0x7ff;                            /* clear whatever the kernel left */
	set_mask(INT_RX | INT_RT | INT_OE);                /* TX is unmasked while bytes wait */
	*reg(UART_CR) = (1u << 0) | (1u << 8) | (1u << 9); /* UART, TX and RX enabled */
	m6_irq_handler_ack(CAP_UART_IRQ);
	m6_serve(CAP_SERIAL, on_request, on_interrupt, NULL);
}
