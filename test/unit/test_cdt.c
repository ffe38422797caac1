/* Host tests for the derivation tree (kernel/core/cdt.c): every verb keeps the descendant
 * relation of a reference tree with explicit parents, under long random sequences of
 * inserts, removals and revokes; and removal and revoke cost O(1) list steps per cap, so
 * revoking or tearing down a chain of 100,000 copies is linear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/cap.h>

extern uint64_t cdt_steps;

/* ---- the reference model: a forest with parent links -------------------------------- */

#define MODEL_MAX 64
#define NONE      (-1)

struct model {
	int parent[MODEL_MAX];
	bool alive[MODEL_MAX];
	struct cte slot[MODEL_MAX];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static bool model_is_ancestor(const struct model *m, int a, int x)
{
	for (int p = m->parent[x]; p != NONE; p = m->parent[p])
		if (p == a)
			return true;
	return false;
}

static int pick_alive(const struct model *m)
{
	int n = 0;
	for (int i = 0; i < MODEL_MAX; i++)
		n += m->alive[i];
	if (n == 0)
		return NONE;
	int k = (int)(rnd() % (uint64_t)n);
	for (int i = 0; i < MODEL_MAX; i++)
		if (m->alive[i] && k-- == 0)
			return i;
	return NONE;
}

static int pick_free(const struct model *m)
{
	for (int tries = 0; tries < 4 * MODEL_MAX; tries++) {
		int i = (int)(rnd() % MODEL_MAX);
		if (!m->alive[i])
			return i;
	}
	return NONE;
}

static const struct cap some_cap = {.type = M6_OBJ_ENDPOINT, .rights = M6_RIGHTS_ALL};

static void model_remove(struct model *m, int x)
{
	for (int i = 0; i < MODEL_MAX; i++)
		if (m->alive[i] && m->parent[i] == x)
			m->parent[i] = m->parent[x];
	m->alive[x] = false;
	cdt_remove(&m->slot[x]);
}

/* Every live entry's subtree in the list is exactly its descendants in the model, and
 * adjacent entries keep the invariant the insert relies on. */
static void model_check(const struct model *m)
{
	static bool anc[MODEL_MAX][MODEL_MAX];
	memset(anc, 0, sizeof(anc));
	for (int y = 0; y < MODEL_MAX; y++)
		if (m->alive[y])
			for (int p = m->parent[y]; p != NONE; p = m->parent[p])
				anc[p][y] = true;
	for (int x = 0; x < MODEL_MAX; x++) {
		if (!m->alive[x])
			continue;
		const struct cte *s = &m->slot[x];
		assert_true(s->cdt_key <= s->cdt_depth);
		if (s->cdt_next)
			assert_true(s->cdt_next->cdt_key <= s->cdt_depth + 1);
		bool in_subtree[MODEL_MAX] = {false};
		for (const struct cte *c = s->cdt_next; c && c->cdt_key > s->cdt_depth;
		     c = c->cdt_next)
			in_subtree[c - m->slot] = true;
		for (int y = 0; y < MODEL_MAX; y++)
			if (m->alive[y])
				assert_int_equal(in_subtree[y], anc[x][y]);
			else
				assert_false(in_subtree[y]);
		bool any_child = false;
		for (int y = 0; y < MODEL_MAX; y++)
			any_child |= m->alive[y] && m->parent[y] == x;
		assert_int_equal(cdt_has_children(s), any_child);
	}
}

static void test_cdt_random_against_model(void **state)
{
	(void)state;
	static struct model m;
	for (int round = 0; round < 20; round++) {
		memset(&m, 0, sizeof(m));
		for (int i = 0; i < MODEL_MAX; i++)
			m.parent[i] = NONE;
		/* One root that is never removed (the untyped every object comes from). */
		cdt_insert_root(&m.slot[0], &some_cap);
		m.alive[0] = true;
		for (int step = 0; step < 1500; step++) {
			int op = (int)(rnd() % 16);
			int x = pick_alive(&m);
			if (op < 8) { /* copy or mint: a child of any live entry */
				int c = pick_free(&m);
				if (c == NONE)
					continue;
				cdt_insert_child(&m.slot[x], &m.slot[c], &some_cap);
				m.parent[c] = x;
				m.alive[c] = true;
			} else if (op < 9 && x != 0) { /* boot: a copy of equal standing */
				int c = pick_free(&m);
				if (c == NONE)
					continue;
				cdt_insert_sibling(&m.slot[x], &m.slot[c], &some_cap);
				m.parent[c] = m.parent[x];
				m.alive[c] = true;
			} else if (op < 14 && x != 0) { /* delete: children go to the parent */
				model_remove(&m, x);
			} else if (op < 15) { /* revoke */
				while (cdt_has_children(&m.slot[x]))
					model_remove(&m, (int)(m.slot[x].cdt_next - m.slot));
				for (int y = 0; y < MODEL_MAX; y++)
					assert_false(m.alive[y] && model_is_ancestor(&m, x, y));
			} else if (x != 0) { /* move to a free slot: same place in the tree */
				int c = pick_free(&m);
				if (c == NONE)
					continue;
				cdt_move(&m.slot[x], &m.slot[c], &m.slot[x].cap);
				for (int y = 0; y < MODEL_MAX; y++)
					if (m.alive[y] && m.parent[y] == x)
						m.parent[y] = c;
				m.parent[c] = m.parent[x];
				m.alive[c] = true;
				m.alive[x] = false;
			}
			model_check(&m);
		}
	}
}

/* ---- linearity ----------------------------------------------------------------------- */

#define CHAIN 100000

static struct cte *chain_of_copies(void)
{
	/* slot 0 is the original; slot i + 1 is a copy of slot i */
	struct cte *s = calloc(CHAIN + 1, sizeof(*s));
	assert_non_null(s);
	cdt_insert_root(&s[0], &some_cap);
	for (int i = 1; i <= CHAIN; i++)
		cdt_insert_child(&s[i - 1], &s[i], &some_cap);
	return s;
}

static void test_cdt_revoke_chain_linear(void **state)
{
	(void)state;
	struct cte *s = chain_of_copies();
	cdt_steps = 0;
	unsigned removed = 0;
	while (cdt_has_children(&s[0])) {
		cdt_remove(s[0].cdt_next);
		removed++;
	}
	assert_int_equal(removed, CHAIN);
	/* One list step per cap removed (the old kernel renumbered every descendant of each
	 * removed cap: 5 * 10^9 steps for this chain). */
	assert_true(cdt_steps <= CHAIN);
	assert_null(s[0].cdt_next);
	free(s);
}

static void test_cdt_delete_chain_random_order_linear(void **state)
{
	(void)state;
	struct cte *s = chain_of_copies();
	/* A random order of the copies, as deleting a CNode that holds them in random slots
	 * visits them. */
	int *order = malloc(CHAIN * sizeof(*order));
	assert_non_null(order);
	for (int i = 0; i < CHAIN; i++)
		order[i] = i + 1;
	for (int i = CHAIN - 1; i > 0; i--) {
		int j = (int)(rnd() % (uint64_t)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	cdt_steps = 0;
	for (int i = 0; i < CHAIN; i++) {
		struct cte *x = &s[order[i]];
		/* What is left of the chain stays a chain under the original. */
		if (i % 9973 == 0) {
			unsigned n = 0;
			for (struct cte *c = s[0].cdt_next; c && c->cdt_key > s[0].cdt_depth;
			     c = c->cdt_next)
				n++;
			assert_int_equal(n, CHAIN - i);
		}
		cdt_remove(x);
	}
	assert_true(cdt_steps <= CHAIN);
	assert_false(cdt_has_children(&s[0]));
	free(order);
	free(s);
}

static void test_cdt_sibling_keeps_key(void **state)
{
	(void)state;
	/* A sibling inserted after an entry whose parent went away sees the world as that
	 * entry does: it belongs to the grandparent, not to the entry before it. */
	struct cte s[5];
	memset(s, 0, sizeof(s));
	cdt_insert_root(&s[0], &some_cap);
	cdt_insert_child(&s[0], &s[1], &some_cap);
	cdt_insert_child(&s[1], &s[2], &some_cap);
	cdt_insert_child(&s[2], &s[3], &some_cap);
	cdt_remove(&s[2]); /* 3 now belongs to 1 */
	cdt_insert_sibling(&s[3], &s[4], &some_cap);
	assert_ptr_equal(s[3].cdt_next, &s[4]);
	assert_false(cdt_has_children(&s[3]));
	assert_true(cdt_has_children(&s[1]));
	cdt_remove(&s[3]);
	assert_true(cdt_has_children(&s[1]));
	assert_ptr_equal(s[1].cdt_next, &s[4]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cdt_random_against_model),
	    cmocka_unit_test(test_cdt_revoke_chain_linear),
	    cmocka_unit_test(test_cdt_delete_chain_random_order_linear),
	    cmocka_unit_test(test_cdt_sibling_keeps_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
