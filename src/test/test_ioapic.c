/*
 * KTAP suite `ioapic`: ISA IRQ 0 (the PIT, wired to GSI 2 through QEMU's MADT override) routed
 * to each CPU in turn arrives on that CPU and only there; a masked line delivers nothing;
 * registration errors. PIT channel 0 in mode 0 raises its output once at terminal count
 * (8254 datasheet), one edge per programming.
 */
#include <arch/x64/cpu.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/test.h>
#include <nautilus/time.h>

#define PIT_IRQ	 0
#define PIT_CH0	 0x40
#define PIT_CMD	 0x43
#define PIT_1MS	 1193	       /* 1.193182 MHz input clock */
#define WAIT_NS	 1000000000ULL /* an interrupt not seen within 1 s did not come */
#define QUIET_NS 50000000ULL   /* a masked line stays quiet this long */

static volatile int pit_hits;
static volatile int pit_cpu;

static void pit_handler(int vector, void *arg)
{
	(void)vector;
	(void)arg;
	pit_cpu = nk_cpu_id();
	__atomic_fetch_add(&pit_hits, 1, __ATOMIC_RELEASE);
}

static void pit_fire_once(void)
{
	outb(PIT_CMD, 0x30); /* channel 0, lobyte/hibyte, mode 0 (interrupt on terminal count) */
	outb(PIT_CH0, PIT_1MS & 0xff);
	outb(PIT_CH0, PIT_1MS >> 8);
}

NK_TEST(ioapic, route_to_each_cpu)
{
	for (int cpu = 0; cpu < nk_cpu_count(); cpu++) {
		uint64_t before = nk_cpu_get(cpu)->irqs;
		int vec;

		pit_hits = 0;
		pit_cpu = -1;
		vec = nk_irq_register_on(PIT_IRQ, cpu, pit_handler, NULL);
		NK_ASSERT_GE(vec, NK_VEC_FIRST_DYNAMIC);
		pit_fire_once();
		NK_EXPECT(nk_test_wait_ge(&pit_hits, 1, nk_time_ns() + WAIT_NS));
		NK_EXPECT_EQ(pit_cpu, cpu);
		NK_EXPECT_GT(nk_cpu_get(cpu)->irq_count[vec], 0);
		NK_EXPECT_GT(nk_cpu_get(cpu)->irqs, before);
		NK_EXPECT_EQ(nk_irq_unregister(PIT_IRQ), 0);
	}
}

NK_TEST(ioapic, masked_line_is_quiet)
{
	int vec = nk_irq_register(PIT_IRQ, pit_handler, NULL);

	NK_ASSERT_GE(vec, NK_VEC_FIRST_DYNAMIC);
	NK_EXPECT_EQ(nk_irq_mask(PIT_IRQ), 0);
	pit_hits = 0;
	pit_fire_once();
	NK_EXPECT(!nk_test_wait_ge(&pit_hits, 1, nk_time_ns() + QUIET_NS));
	NK_EXPECT_EQ(nk_irq_unregister(PIT_IRQ), 0);
	/* a fresh route works again */
	vec = nk_irq_register(PIT_IRQ, pit_handler, NULL);
	NK_ASSERT_GE(vec, NK_VEC_FIRST_DYNAMIC);
	pit_hits = 0;
	pit_fire_once();
	NK_EXPECT(nk_test_wait_ge(&pit_hits, 1, nk_time_ns() + WAIT_NS));
	NK_EXPECT_EQ(nk_irq_unregister(PIT_IRQ), 0);
}

NK_TEST(ioapic, bad_registrations)
{
	int vec = nk_irq_register(PIT_IRQ, pit_handler, NULL);

	NK_ASSERT_GE(vec, NK_VEC_FIRST_DYNAMIC);
	NK_EXPECT_EQ(nk_irq_register(PIT_IRQ, pit_handler, NULL), -EBUSY);
	NK_EXPECT_EQ(nk_irq_unregister(PIT_IRQ), 0);
	NK_EXPECT_EQ(nk_irq_unregister(PIT_IRQ), -ENOENT);
	NK_EXPECT_EQ(nk_irq_register(-1, pit_handler, NULL), -EINVAL);
	NK_EXPECT_EQ(nk_irq_register_on(PIT_IRQ, nk_cpu_count(), pit_handler, NULL), -EINVAL);
	NK_EXPECT_EQ(nk_irq_register(100000, pit_handler, NULL), -ENODEV);
	NK_EXPECT_EQ(nk_irq_mask(5), -ENOENT); /* never routed */
}
