/*
 * KTAP suite `smp`: every CPU online, cross-calls reach each CPU and report its id, an IPI
 * storm (10k IPIs round-robin over the other CPUs) loses none, vectors allocate and free.
 */
#include <nautilus/acpi.h>
#include <nautilus/cmdline.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/test.h>
#include <nautilus/time.h>

#define STORM_IPIS  10000
#define IPI_WAIT_NS 1000000000ULL /* an IPI not taken within 1 s is lost */

NK_TEST(smp, all_online)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();

	NK_EXPECT_EQ(nk_cpu_online_count(), nk_cpu_count());
	if (nk_cmdline.expect_cpus) /* what the runner told QEMU (-smp) */
		NK_EXPECT_EQ(nk_cpu_online_count(), nk_cmdline.expect_cpus);
	if (a->has_madt)
		NK_EXPECT_EQ(nk_cpu_count(), a->madt.nr_enabled_cpus);
	for (int i = 0; i < nk_cpu_count(); i++) {
		NK_EXPECT_EQ(nk_cpu_get(i)->state, NK_CPU_ONLINE);
		NK_EXPECT_EQ(nk_cpu_get(i)->id, i);
	}
	NK_EXPECT_EQ(nk_cpu_id(), 0); /* the tests run on the boot CPU */
	NK_EXPECT_NULL(nk_cpu_get(nk_cpu_count()));
	NK_EXPECT_NULL(nk_cpu_get(-1));
}

NK_TEST(smp, apic_ids_distinct)
{
	for (int i = 0; i < nk_cpu_count(); i++)
		for (int j = i + 1; j < nk_cpu_count(); j++)
			NK_EXPECT_NE(nk_cpu_get(i)->apic_id, nk_cpu_get(j)->apic_id);
}

struct whoami {
	int id;
	struct nk_cpu *self;
	int nesting;
};

static void record_whoami(void *arg)
{
	struct whoami *w = arg;

	w->id = nk_cpu_id();
	w->self = nk_this_cpu();
	w->nesting = NK_PER_CPU(irq_nesting);
}

NK_TEST(smp, xcall_each_cpu)
{
	for (int i = 0; i < nk_cpu_count(); i++) {
		struct whoami w = { -1, NULL, -1 };

		NK_EXPECT_EQ(nk_xcall(i, record_whoami, &w, true), 0);
		NK_EXPECT_EQ(w.id, i);
		NK_EXPECT_PTR_EQ(w.self, nk_cpu_get(i));
		if (i != nk_cpu_id())
			NK_EXPECT_EQ(w.nesting, 1); /* ran in the xcall interrupt */
	}
}

static void count_call(void *arg)
{
	__atomic_fetch_add((int *)arg, 1, __ATOMIC_RELAXED);
}

/*
 * Counters of calls are static, not on the stack: under a loaded host a call may run after the
 * test stopped waiting for it, and must not then write into a stack frame that replaced the
 * test's.
 */
static int all_calls, nowait_calls;

NK_TEST(smp, xcall_all)
{
	all_calls = 0;
	NK_EXPECT_EQ(nk_xcall_all(count_call, &all_calls, true), 0);
	NK_EXPECT_EQ(all_calls, nk_cpu_online_count());
}

NK_TEST(smp, xcall_nowait_in_order)
{
	int last = nk_cpu_count() - 1;

	nowait_calls = 0;
	for (int i = 0; i < nk_cpu_count(); i++)
		for (int k = 0; k < 100; k++)
			NK_EXPECT_EQ(nk_xcall(i, count_call, &nowait_calls, false), 0);
	NK_EXPECT(nk_test_wait_ge(&nowait_calls, 100 * nk_cpu_count(), nk_time_ns() + IPI_WAIT_NS));
	NK_EXPECT_EQ(nowait_calls, 100 * nk_cpu_count());
	/* the queues are FIFO: a waited call after 100 unwaited ones sees them all done */
	nowait_calls = 0;
	for (int k = 0; k < 100; k++)
		nk_xcall(last, count_call, &nowait_calls, false);
	NK_EXPECT_EQ(nk_xcall(last, count_call, &nowait_calls, true), 0);
	NK_EXPECT_EQ(nowait_calls, 101);
}

NK_TEST(smp, xcall_bad_cpu)
{
	int calls = 0;

	NK_EXPECT_EQ(nk_xcall(-1, count_call, &calls, true), -EINVAL);
	NK_EXPECT_EQ(nk_xcall(nk_cpu_count(), count_call, &calls, true), -EINVAL);
	NK_EXPECT_EQ(nk_xcall(0, NULL, NULL, true), -EINVAL);
	NK_EXPECT_EQ(calls, 0);
}

static int storm_seen[NK_MAX_CPUS];

static void storm_ipi(int vector, void *arg)
{
	(void)vector;
	(void)arg;
	__atomic_fetch_add(&storm_seen[nk_cpu_id()], 1, __ATOMIC_RELEASE);
}

/*
 * Fixed IPIs of one vector coalesce when a second arrives before the first is taken (the
 * IRR holds one bit per vector), so the sender keeps at most one in flight per target and
 * moves round-robin: a target that never takes one within IPI_WAIT_NS lost it.
 */
static int storm(int *sent, int ncpu, int vec)
{
	int self = nk_cpu_id(), lost = 0, target = 0;

	for (int i = 0; i < STORM_IPIS && lost < 10; i++) {
		do
			target = (target + 1) % ncpu;
		while (target == self);
		if (!nk_test_wait_ge(&storm_seen[target], sent[target], nk_time_ns() + IPI_WAIT_NS))
			lost++;
		if (nk_ipi_send(target, vec) == 0)
			sent[target]++;
	}
	return lost;
}

NK_TEST(smp, ipi_storm)
{
	int sent[NK_MAX_CPUS] = { 0 }, ncpu = nk_cpu_count(), total = 0, vec;

	if (nk_cpu_online_count() < 2)
		NK_SKIP("needs two CPUs online");
	vec = nk_vector_alloc(storm_ipi, NULL);
	NK_ASSERT_GE(vec, NK_VEC_FIRST_DYNAMIC);
	for (int i = 0; i < ncpu; i++)
		storm_seen[i] = 0;
	NK_EXPECT_EQ(storm(sent, ncpu, vec), 0);
	for (int i = 0; i < ncpu; i++) {
		NK_EXPECT(nk_test_wait_ge(&storm_seen[i], sent[i], nk_time_ns() + IPI_WAIT_NS));
		NK_EXPECT_EQ(storm_seen[i], sent[i]);
		total += storm_seen[i];
	}
	NK_EXPECT_EQ(total, STORM_IPIS);
	NK_EXPECT_EQ(storm_seen[nk_cpu_id()], 0);
	nk_vector_free(vec);
}

NK_TEST(smp, ipi_self_and_bad)
{
	int vec = nk_vector_alloc(storm_ipi, NULL), before;

	NK_ASSERT_GE(vec, NK_VEC_FIRST_DYNAMIC);
	before = storm_seen[nk_cpu_id()];
	nk_ipi_self(vec);
	NK_EXPECT(
		nk_test_wait_ge(&storm_seen[nk_cpu_id()], before + 1, nk_time_ns() + IPI_WAIT_NS));
	NK_EXPECT_EQ(storm_seen[nk_cpu_id()], before + 1);
	NK_EXPECT_EQ(nk_ipi_send(0, 5), -EINVAL); /* an exception vector */
	NK_EXPECT_EQ(nk_ipi_send(0, 256), -EINVAL);
	NK_EXPECT_EQ(nk_ipi_send(nk_cpu_count(), vec), -EINVAL);
	nk_vector_free(vec);
}

NK_TEST(smp, vector_alloc_exhaust)
{
	static int got[256];
	int n = 0, v;

	while ((v = nk_vector_alloc(storm_ipi, NULL)) >= 0) {
		NK_EXPECT_GE(v, NK_VEC_FIRST_DYNAMIC);
		NK_EXPECT_LE(v, NK_VEC_LAST_DYNAMIC);
		got[n++] = v;
		if (n == 256)
			break;
	}
	NK_EXPECT_EQ(v, -ENOSPC);
	NK_EXPECT_GT(n, 0);
	NK_EXPECT_LE(n, NK_VEC_LAST_DYNAMIC - NK_VEC_FIRST_DYNAMIC + 1);
	for (int i = 0; i < n; i++)
		nk_vector_free(got[i]);
	v = nk_vector_alloc(storm_ipi, NULL);
	NK_EXPECT_EQ(v, got[0]); /* the lowest free one again */
	nk_vector_free(v);
	NK_EXPECT_EQ(nk_vector_set(NK_VEC_XCALL, storm_ipi, NULL), -EBUSY);
	NK_EXPECT_EQ(nk_vector_alloc(NULL, NULL), -EINVAL);
}
