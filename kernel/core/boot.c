/* Boot installer: turns the compiler's boot tables into live kernel objects. All memory
 * comes from the kernel-held untyped caps; read-only program pages are used in place from
 * the kernel image. The installer holds no policy: it does exactly what the tables say
 * and refuses tables that do not make sense. */
#include <kernel/arch.h>
#include <kernel/boot.h>
#include <kernel/cnode.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/string.h>
#include <kernel/tcb.h>
#include <kernel/untyped.h>
#include <kernel/vspace.h>
#include <m6/abi/errors.h>

static const struct m6_boot_tables *tables;

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

static void create_objects(void)
{
	for (uint32_t i = 0; i < tables->object_count; i++) {
		const struct m6_bt_object *o = &tables->objects[i];
		if (o->type == M6_OBJ_FRAME && o->source == M6_BT_FRAME_IN_PLACE) {
			if (o->source_page >= tables->image_pages)
				panic("boot tables: %s: image page out of range", o->name);
			tables->object_state[i].addr =
			    (uintptr_t)(tables->image + (uint64_t)o->source_page * PAGE_SIZE);
			continue;
		}
		struct cap cap;
		struct cte *parent;
		if (untyped_boot_retype(o->type, o->size_bits, &cap, &parent) != M6_OK)
			panic("boot: out of memory creating %s", o->name);
		tables->object_state[i].addr = cap.object;
		if (o->type == M6_OBJ_FRAME && o->source == M6_BT_FRAME_COPY) {
			if (o->source_page >= tables->image_pages)
				panic("boot tables: %s: image page out of range", o->name);
			memcpy((void *)cap.object,
			       tables->image + (uint64_t)o->source_page * PAGE_SIZE, PAGE_SIZE);
		}
		if (o->type == M6_OBJ_VSPACE &&
		    asid_assign(kernel_to_paddr((void *)cap.object)) == 0)
			panic("boot: out of ASIDs at %s", o->name);
	}
}

static void install_mappings(void)
{
	for (uint32_t i = 0; i < tables->mapping_count; i++) {
		const struct m6_bt_mapping *m = &tables->mappings[i];
		paddr_t root = kernel_to_paddr((void *)object_addr(m->vspace, M6_OBJ_VSPACE));
		if (m->object >= tables->object_count)
			panic("boot tables: mapping %u: bad object", i);
		unsigned type = tables->objects[m->object].type;
		paddr_t pa = kernel_to_paddr((void *)tables->object_state[m->object].addr);
		int err;
		if (type == M6_OBJ_PAGE_TABLE)
			err = vspace_install_table(root, m->level, m->vaddr, pa);
		else if (type == M6_OBJ_FRAME && m->level == 3)
			err = vspace_map_frame(root, m->vaddr, pa, m->rights);
		else
			err = M6_ERR_INVALID_ARGUMENT;
		if (err != M6_OK)
			panic("boot tables: mapping %s at %lx failed (error %d)",
			      tables->objects[m->object].name, m->vaddr, err);
	}
}

static struct cap make_cap(const struct m6_bt_cap *c, uintptr_t *untyped_parent_addr)
{
	struct cap cap = {.type = (uint8_t)c->type, .rights = (uint8_t)c->rights};
	*untyped_parent_addr = 0;
	if (c->type == M6_OBJ_DEBUG_CONSOLE || c->type == M6_OBJ_POWER) {
		if (c->object != M6_BT_NO_OBJECT)
			panic("boot tables: kernel singleton cap with an object");
		return cap;
	}
	const struct m6_bt_object *o = object(c->object, c->type);
	cap.object = tables->object_state[c->object].addr;
	*untyped_parent_addr = cap.object;
	switch (c->type) {
	case M6_OBJ_ENDPOINT:
		cap.word = c->badge;
		break;
	case M6_OBJ_CNODE:
		cap.size_bits = (uint8_t)o->size_bits;
		cap.guard_size = (uint8_t)c->guard_size;
		if (c->guard_size + o->size_bits > 64)
			panic("boot tables: CNode cap with guard %u too large", c->guard_size);
		break;
	case M6_OBJ_VSPACE:
		cap.asid = asid_of(kernel_to_paddr((void *)cap.object));
		break;
	case M6_OBJ_FRAME:
		cap.size_bits = PAGE_BITS;
		if (o->source == M6_BT_FRAME_IN_PLACE)
			*untyped_parent_addr = 0; /* part of the kernel image, not untyped */
		break;
	case M6_OBJ_TCB:
	case M6_OBJ_PAGE_TABLE:
		break;
	default:
		panic("boot tables: cap of unsupported type %u", c->type);
	}
	return cap;
}

static void install_caps(void)
{
	for (uint32_t i = 0; i < tables->cap_count; i++) {
		const struct m6_bt_cap *c = &tables->caps[i];
		const struct m6_bt_object *cn = object(c->cnode, M6_OBJ_CNODE);
		if (c->slot >= BIT(cn->size_bits))
			panic("boot tables: slot %u outside %s", c->slot, cn->name);
		struct cte *slot = (struct cte *)tables->object_state[c->cnode].addr + c->slot;
		if (!cap_is_null(&slot->cap))
			panic("boot tables: slot %u of %s filled twice", c->slot, cn->name);
		uintptr_t parent_addr;
		struct cap cap = make_cap(c, &parent_addr);
		struct cte *parent = parent_addr ? untyped_boot_parent(parent_addr) : NULL;
		struct cte *sibling =
		    c->object == M6_BT_NO_OBJECT ? NULL : tables->object_state[c->object].last_cap;
		/* All caps to one object are siblings and adjacent in the derivation tree,
		 * so "is this the last cap to the object" is a look at the neighbours. */
		if (sibling)
			cdt_insert_sibling(sibling, slot, &cap);
		else if (parent)
			cdt_insert_child(parent, slot, &cap);
		else
			cdt_insert_root(slot, &cap);
		if (c->object != M6_BT_NO_OBJECT)
			tables->object_state[c->object].last_cap = slot;
	}
}

static void start_threads(void)
{
	for (uint32_t c = 0; c < tables->component_count; c++) {
		const struct m6_bt_component *comp = &tables->components[c];
		if (comp->first_thread + comp->thread_count > tables->thread_count)
			panic("boot tables: component %s: bad thread range", comp->name);
		for (uint32_t i = comp->first_thread; i < comp->first_thread + comp->thread_count;
		     i++) {
			const struct m6_bt_thread *th = &tables->threads[i];
			struct tcb *t = (struct tcb *)object_addr(th->tcb, M6_OBJ_TCB);
			const struct m6_bt_object *cn = object(th->cspace, M6_OBJ_CNODE);
			uintptr_t root = object_addr(th->vspace, M6_OBJ_VSPACE);
			uintptr_t ipc = object_addr(th->ipc_buffer_frame, M6_OBJ_FRAME);
			if (th->priority >= PRIORITY_COUNT)
				panic("boot tables: %s: priority %u", th->name, th->priority);
			tcb_set_name(t, th->name);
			t->priority = (uint8_t)th->priority;
			t->max_priority = (uint8_t)th->priority;
			t->cspace_root.cap = (struct cap){
			    .type = M6_OBJ_CNODE,
			    .rights = M6_RIGHTS_ALL,
			    .size_bits = (uint8_t)cn->size_bits,
			    .guard_size = (uint8_t)(64 - cn->size_bits),
			    .object = tables->object_state[th->cspace].addr,
			};
			t->vspace_root.cap = (struct cap){
			    .type = M6_OBJ_VSPACE,
			    .rights = M6_RIGHTS_ALL,
			    .asid = asid_of(kernel_to_paddr((void *)root)),
			    .object = root,
			};
			t->ipc_buffer = (struct m6_ipc_buffer *)ipc;
			t->ipc_buffer_va = th->ipc_buffer_vaddr;
			arch_context_init(&t->context, th->entry, th->stack_pointer,
			                  th->ipc_buffer_vaddr, th->arg);
			scheduler_make_runnable(t);
		}
		printk("m6: started component %s (%u thread%s)\n", comp->name, comp->thread_count,
		       comp->thread_count == 1 ? "" : "s");
	}
}

void boot_install_tables(const struct m6_boot_tables *bt)
{
	if (bt->magic != M6_BOOT_TABLES_MAGIC || bt->version != M6_BOOT_TABLES_VERSION)
		panic("boot tables: bad magic or version %u (kernel expects %u)", bt->version,
		      M6_BOOT_TABLES_VERSION);
	tables = bt;
	printk("m6: system '%s': %u components, %u objects, %u caps, %u image pages\n",
	       bt->system_name, bt->component_count, bt->object_count, bt->cap_count,
	       bt->image_pages);
	create_objects();
	install_mappings();
	install_caps();
	untyped_report();
	start_threads();
}
