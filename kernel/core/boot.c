/* Boot installer: turns the compiler's boot tables into live kernel objects. All memory
 * comes from the kernel-held untyped caps; read-only program pages are used in place from
 * the kernel image. The installer holds no policy: it does exactly what the tables say
 * and refuses tables that do not make sense. */
#include <kernel/arch.h>
#include <kernel/asid_pool.h>
#include <kernel/boot.h>
#include <kernel/boot_check.h>
#include <kernel/cnode.h>
#include <kernel/irq.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/string.h>
#include <kernel/tcb.h>
#include <kernel/untyped.h>
#include <kernel/vspace.h>
#include <m6/abi/errors.h>

static const struct m6_boot_tables *tables;
uint64_t boot_finished_at;

extern char _rodata[], _erodata[];

static void check(const char *problem, const char *what, uint32_t index)
{
	if (problem)
		panic("boot tables: %s %u: %s", what, index, problem);
}

static const struct m6_bt_object *object(uint32_t index, unsigned type)
{
	if (index >= tables->object_count || tables->objects[index].type != type)
		panic("boot tables: object %u is not of type %u", index, type);
	return &tables->objects[index];
}

static uintptr_t object_addr(uint32_t index, unsigned type)
{
	object(index, type);
	return tables->object_state[index].addr;
}

static const uint8_t *image_page(const struct m6_bt_object *o)
{
	if (o->source_page >= tables->image_pages)
		panic("boot tables: %s: image page out of range", o->name);
	return tables->image + (uint64_t)o->source_page * PAGE_SIZE;
}

/* An in-place frame is the boot-image page itself, named (like every other frame) by its
 * address in the linear map, where the image's rodata is read-only. */
static uintptr_t in_place_object(const struct m6_bt_object *o)
{
	return (uintptr_t)paddr_to_kernel(kimage_to_paddr(image_page(o)));
}

/* Device memory named by the tables: aligned, and never RAM (that would hand out the
 * kernel or other components' memory). */
static uintptr_t device_object(const struct m6_bt_object *o, unsigned bits)
{
	if (!IS_ALIGNED(o->paddr, bits) || platform_overlaps_ram(o->paddr, BIT(bits)))
		panic("boot tables: %s: device memory at %lx is misaligned or RAM", o->name,
		      o->paddr);
	return (uintptr_t)paddr_to_kernel(o->paddr);
}

static void make_pool(const struct m6_bt_object *o, struct asid_pool *pool)
{
	uint32_t base;
	if (!asid_block_find(o->size_bits, &base))
		panic("boot: no room for %s's %u ASIDs (the CPU has %u)", o->name, o->size_bits,
		      asid_usable());
	asid_pool_init(pool, base, o->size_bits);
}

/* A VSpace's ASID comes from the pool the tables name (created before it). */
static uint32_t assign_asid(const struct m6_bt_object *o, uint32_t index, paddr_t root)
{
	if (o->source >= index)
		panic("boot tables: %s: its ASID pool must come before it", o->name);
	struct asid_pool *pool = (struct asid_pool *)object_addr(o->source, M6_OBJ_ASID_POOL);
	uint32_t asid = asid_pool_take(pool, root);
	if (!asid)
		panic("boot: out of ASIDs at %s", o->name);
	return asid;
}

static void create_objects(void)
{
	for (uint32_t i = 0; i < tables->object_count; i++) {
		const struct m6_bt_object *o = &tables->objects[i];
		struct m6_bt_object_state *st = &tables->object_state[i];
		const char *problem = boot_check_object(tables, i);
		if (problem)
			panic("boot tables: %s: %s", o->name, problem);
		if (o->source == M6_BT_FRAME_IN_PLACE && o->type == M6_OBJ_FRAME) {
			st->addr = in_place_object(o);
			continue;
		}
		if (o->source == M6_BT_FRAME_DEVICE &&
		    (o->type == M6_OBJ_FRAME || o->type == M6_OBJ_UNTYPED)) {
			st->addr = device_object(o, object_size_bits(o->type, o->size_bits));
			continue;
		}
		struct cap cap;
		struct cte *parent;
		if (untyped_boot_retype(o->type, o->size_bits, &cap, &parent) != M6_OK)
			panic("boot: out of memory creating %s", o->name);
		st->addr = cap.object;
		if (o->type == M6_OBJ_FRAME && o->source == M6_BT_FRAME_COPY)
			memcpy((void *)cap.object, image_page(o), PAGE_SIZE);
		if (o->type == M6_OBJ_ASID_POOL)
			make_pool(o, (struct asid_pool *)cap.object);
		else if (o->type == M6_OBJ_VSPACE)
			st->asid = assign_asid(o, i, kernel_to_paddr((void *)cap.object));
	}
}

static void install_mappings(void)
{
	for (uint32_t i = 0; i < tables->mapping_count; i++) {
		const struct m6_bt_mapping *m = &tables->mappings[i];
		check(boot_check_mapping(tables, i), "mapping", i);
		paddr_t root = kernel_to_paddr((void *)object_addr(m->vspace, M6_OBJ_VSPACE));
		if (m->object >= tables->object_count)
			panic("boot tables: mapping %u: bad object", i);
		const struct m6_bt_object *o = &tables->objects[m->object];
		paddr_t pa = kernel_to_paddr((void *)tables->object_state[m->object].addr);
		int err;
		if (o->type == M6_OBJ_PAGE_TABLE)
			err = vspace_install_table(root, m->level, m->vaddr, pa, true);
		else if (o->type == M6_OBJ_FRAME)
			err = vspace_map_frame(root, m->vaddr, pa,
			                       object_size_bits(M6_OBJ_FRAME, o->size_bits),
			                       m->rights, o->source == M6_BT_FRAME_DEVICE, true);
		else
			err = M6_ERR_INVALID_ARGUMENT;
		if (err != M6_OK)
			panic("boot tables: mapping %s at %lx failed (error %d)", o->name, m->vaddr,
			      err);
	}
}

/* Put `cap` (to object `index`, or to none) into `slot`, keeping all caps to one object
 * adjacent in the derivation tree so that finality is a look at the neighbours. */
static void insert_cap(uint32_t index, struct cte *slot, const struct cap *cap)
{
	if (!cap_is_null(&slot->cap))
		panic("boot tables: a slot is filled twice");
	struct m6_bt_object_state *st =
	    index == M6_BT_NO_OBJECT ? NULL : &tables->object_state[index];
	struct cte *sibling = st ? st->last_cap : NULL;
	struct cte *parent = st ? untyped_boot_parent(st->addr) : NULL;
	if (sibling)
		cdt_insert_sibling(sibling, slot, cap);
	else if (parent && tables->objects[index].source != M6_BT_FRAME_DEVICE)
		cdt_insert_child(parent, slot, cap);
	else
		cdt_insert_root(slot, cap);
	if (st)
		st->last_cap = slot;
}

static struct cap make_cap(const struct m6_bt_cap *c)
{
	struct cap cap = {.type = (uint8_t)c->type, .rights = (uint8_t)c->rights};
	switch (c->type) {
	case M6_OBJ_DEBUG_CONSOLE:
	case M6_OBJ_POWER:
	case M6_OBJ_IRQ_CONTROL:
	case M6_OBJ_SYSTEM_INFO:
	case M6_OBJ_ASID_CONTROL:
	case M6_OBJ_IOSPACE_CONTROL:
		if (c->object != M6_BT_NO_OBJECT)
			panic("boot tables: kernel singleton cap with an object");
		return cap;
	case M6_OBJ_IRQ_HANDLER: {
		unsigned irq = (unsigned)(c->badge & 0xffffffffu);
		bool edge = (c->badge >> 32) & 1;
		if (irq_issue(irq, edge) != M6_OK)
			panic("boot tables: interrupt %u invalid or granted twice", irq);
		cap.object = irq;
		cap.word = edge;
		return cap;
	}
	default:
		break;
	}
	const struct m6_bt_object *o = object(c->object, c->type);
	cap.object = tables->object_state[c->object].addr;
	switch (c->type) {
	case M6_OBJ_ENDPOINT:
	case M6_OBJ_NOTIFICATION:
	case M6_OBJ_TIMER:
		cap.word = c->badge;
		break;
	case M6_OBJ_CNODE:
		cap.size_bits = (uint8_t)o->size_bits;
		cap.guard_size = (uint8_t)c->guard_size;
		if (c->guard_size + o->size_bits > 64)
			panic("boot tables: CNode cap with guard %u too large", c->guard_size);
		break;
	case M6_OBJ_VSPACE:
		cap.asid = (uint32_t)tables->object_state[c->object].asid;
		break;
	case M6_OBJ_FRAME:
		cap.size_bits = (uint8_t)object_size_bits(M6_OBJ_FRAME, o->size_bits);
		cap.word = o->source == M6_BT_FRAME_DEVICE;
		break;
	case M6_OBJ_UNTYPED:
		cap.size_bits = (uint8_t)o->size_bits;
		cap.mapped_va = o->source == M6_BT_FRAME_DEVICE;
		break;
	case M6_OBJ_TCB:
	case M6_OBJ_ASID_POOL:
		break;
	/* No page table caps: the tables the boot maps would have caps that call them
	 * unmapped, and so could be mapped a second time. */
	default:
		panic("boot tables: cap of unsupported type %u", c->type);
	}
	return cap;
}

static void install_caps(void)
{
	for (uint32_t i = 0; i < tables->cap_count; i++) {
		const struct m6_bt_cap *c = &tables->caps[i];
		check(boot_check_cap(tables, i), "cap", i);
		const struct m6_bt_object *cn = object(c->cnode, M6_OBJ_CNODE);
		if (c->slot >= BIT(cn->size_bits))
			panic("boot tables: slot %u outside %s", c->slot, cn->name);
		struct cte *slot = (struct cte *)tables->object_state[c->cnode].addr + c->slot;
		struct cap cap = make_cap(c);
		insert_cap(c->type == M6_OBJ_IRQ_HANDLER ? M6_BT_NO_OBJECT : c->object, slot, &cap);
	}
}

static void setup_thread(uint32_t index)
{
	const struct m6_bt_thread *th = &tables->threads[index];
	check(boot_check_thread(tables, index), "thread", index);
	struct tcb *t = (struct tcb *)object_addr(th->tcb, M6_OBJ_TCB);
	const struct m6_bt_object *cn = object(th->cspace, M6_OBJ_CNODE);
	uintptr_t root = object_addr(th->vspace, M6_OBJ_VSPACE);
	uintptr_t ipc = object_addr(th->ipc_buffer_frame, M6_OBJ_FRAME);
	/* x0 tells the thread where its IPC buffer is: that must be where the frame the
	 * kernel writes its message registers into is mapped. */
	paddr_t ipc_table =
	    arch_vspace_lookup_table(kernel_to_paddr((void *)root), th->ipc_buffer_vaddr, 3);
	if (!ipc_table || arch_vspace_entry_target(ipc_table, 3, th->ipc_buffer_vaddr) !=
	                      kernel_to_paddr((void *)ipc))
		panic("boot tables: %s: IPC buffer frame not mapped at %lx", th->name,
		      th->ipc_buffer_vaddr);
	if (th->priority >= PRIORITY_COUNT || th->max_priority >= PRIORITY_COUNT)
		panic("boot tables: %s: priority out of range", th->name);
	if (th->max_timeslice_us &&
	    (th->max_timeslice_us < TIMESLICE_MIN_US || th->max_timeslice_us > TIMESLICE_MAX_US))
		panic("boot tables: %s: max timeslice out of range", th->name);
	if (th->flags & ~(uint32_t)M6_TCB_FLAG_LINUX_ABI)
		panic("boot tables: %s: unknown flags %x", th->name, th->flags);
	tcb_set_name(t, th->name);
	t->priority = (uint8_t)th->priority;
	t->max_priority = (uint8_t)th->max_priority;
	t->max_timeslice_us = th->max_timeslice_us ? th->max_timeslice_us : TIMESLICE_DEFAULT_US;
	t->flags = th->flags;
	/* The spec may place a thread on a CPU this machine does not have (the platform's
	 * maximum is checked by m6-capdl; -smp can be smaller) or that did not come up: the
	 * system still runs, everything on the CPUs it has (docs/kernel.md). */
	if (th->cpu >= cpu_count || !cpus[th->cpu].online) {
		printk("m6: %s: placed on CPU %u, which is not online; it runs on CPU 0\n",
		       th->name, th->cpu);
		t->cpu = 0;
	} else {
		t->cpu = (uint8_t)th->cpu;
	}
	struct cap cspace = {.type = M6_OBJ_CNODE,
	                     .rights = M6_RIGHTS_ALL,
	                     .size_bits = (uint8_t)cn->size_bits,
	                     .guard_size = (uint8_t)(64 - cn->size_bits),
	                     .object = tables->object_state[th->cspace].addr};
	insert_cap(th->cspace, &t->cspace_root, &cspace);
	struct cap vspace = {.type = M6_OBJ_VSPACE,
	                     .rights = M6_RIGHTS_ALL,
	                     .asid = (uint32_t)tables->object_state[th->vspace].asid,
	                     .object = root};
	insert_cap(th->vspace, &t->vspace_root, &vspace);
	struct cap frame = {.type = M6_OBJ_FRAME,
	                    .rights = M6_RIGHT_READ | M6_RIGHT_WRITE,
	                    .size_bits = PAGE_BITS,
	                    .object = ipc};
	insert_cap(th->ipc_buffer_frame, &t->ipc_buffer_frame, &frame);
	if (th->fault_ep != M6_BT_NO_OBJECT) {
		struct cap ep = {.type = M6_OBJ_ENDPOINT,
		                 .rights = M6_RIGHT_WRITE | M6_RIGHT_GRANT_REPLY,
		                 .object = object_addr(th->fault_ep, M6_OBJ_ENDPOINT),
		                 .word = th->fault_badge};
		insert_cap(th->fault_ep, &t->fault_endpoint, &ep);
	}
	t->ipc_buffer_va = th->ipc_buffer_vaddr;
	arch_context_init(&t->context, th->entry, th->stack_pointer, th->ipc_buffer_vaddr, th->arg);
	if (th->start)
		scheduler_make_runnable(t);
}

static void start_threads(void)
{
	for (uint32_t c = 0; c < tables->component_count; c++) {
		const struct m6_bt_component *comp = &tables->components[c];
		if (comp->first_thread > tables->thread_count ||
		    comp->thread_count > tables->thread_count - comp->first_thread)
			panic("boot tables: component %s: bad thread range", comp->name);
		for (uint32_t i = 0; i < comp->thread_count; i++)
			setup_thread(comp->first_thread + i);
		printk("m6: started component %s (%u thread%s)\n", comp->name, comp->thread_count,
		       comp->thread_count == 1 ? "" : "s");
	}
}

void boot_install_tables(const struct m6_boot_tables *bt)
{
	if (bt->magic != M6_BOOT_TABLES_MAGIC || bt->version != M6_BOOT_TABLES_VERSION)
		panic("boot tables: bad magic or version %u (kernel expects %u)", bt->version,
		      M6_BOOT_TABLES_VERSION);
	/* In-place frames are pages of this image: it must be page aligned and inside the
	 * kernel's rodata (read-only in every kernel mapping), never its text or data. */
	if (!IS_ALIGNED((uintptr_t)bt->image, PAGE_BITS) || (const char *)bt->image < _rodata ||
	    bt->image_pages > (uintptr_t)(_erodata - (const char *)bt->image) / PAGE_SIZE)
		panic("boot tables: the boot image (%u pages at %p) is not page-aligned rodata",
		      bt->image_pages, bt->image);
	tables = bt;
	printk("m6: system '%s': %u components, %u objects, %u caps, %u image pages\n",
	       bt->system_name, bt->component_count, bt->object_count, bt->cap_count,
	       bt->image_pages);
	create_objects();
	install_mappings();
	install_caps();
	untyped_report();
	start_threads();
	boot_finished_at = arch_timer_now();
}
