/* Basic kernel types and helpers shared by all kernel code. */
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;
typedef uint64_t word_t;

#define BIT(n)              (1ull << (n))
#define MASK(n)             (BIT(n) - 1)
#define ALIGN_UP(x, a)      (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define IS_ALIGNED(x, bits) (((x)&MASK(bits)) == 0)
#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define UNUSED              __attribute__((unused))
#define NORETURN            __attribute__((noreturn))
#define PACKED              __attribute__((packed))

#define PAGE_BITS           12
#define PAGE_SIZE           BIT(PAGE_BITS)

/* All physical memory is visible to the kernel at this offset (see docs/boot.md). Host
 * unit tests use an identity "linear map" so that pure kernel code runs on host memory. */
#ifdef M6_HOST_TEST
#define KERNEL_VA_BASE 0ull
#else
#define KERNEL_VA_BASE 0xffff000000000000ull
#endif

/* The kernel image itself is linked at KIMAGE_VA_BASE + 0x80000 and runs wherever the
 * loader put it; kimage_voffset (set by head.S) is link address minus load address. Only
 * the image's own symbols are translated with it; everything else the kernel touches
 * (objects, page tables, IPC buffers) it reaches through the linear map above. */
#define KIMAGE_VA_BASE 0xffffff8000000000ull
extern uint64_t kimage_voffset;

static inline paddr_t kimage_to_paddr(const void *va)
{
	return (paddr_t)(uintptr_t)va - kimage_voffset;
}

static inline void *paddr_to_kernel(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + KERNEL_VA_BASE);
}

static inline paddr_t kernel_to_paddr(const void *va)
{
	return (paddr_t)(uintptr_t)va - KERNEL_VA_BASE;
}

#endif
