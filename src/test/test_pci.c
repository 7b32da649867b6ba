/*
 * KTAP suite `pci`: the functions QEMU was given are found at the slots the runner uses, with
 * the right ids and classes (skipped when absent); ECAM is used iff the MCFG lists it and
 * agrees with the ports; BARs are mapped (device registers read through bar.virt make sense);
 * the capability walk finds MSI-X on virtio; MSI messages reach each CPU; MSI-X and shared INTx
 * set-up deliver interrupts on functions no driver is using; configuration writes read back.
 */
#include <arch/x64/boot.h>
#include <arch/x64/cpu.h>
#include <nautilus/acpi.h>
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/mm.h>
#include <nautilus/pci.h>
#include <nautilus/test.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>

#include "../dev/pci/pci_priv.h"

#define WAIT_NS	      1000000000ULL /* an interrupt not seen within 1 s did not come */
#define VIRTIO_VENDOR 0x1af4

#define PTE_ADDR 0x000ffffffffff000ULL /* SDM vol. 3A 4.5: address bits of an entry */

/* Virtio PCI capability (virtio 1.1 section 4.1.4) and structures it points to. */
#define VIRTIO_CAP_TYPE	  3 /* cfg_type */
#define VIRTIO_CAP_BAR	  4
#define VIRTIO_CAP_OFFSET 8
#define VIRTIO_PCI_COMMON 1
#define VIRTIO_PCI_DEVICE 4
#define VIRTIO_NUM_QUEUES 0x12 /* common configuration: le16 num_queues (4.1.4.3) */
#define VIRTIO_ID_NET	  1    /* subsystem id of a transitional device (4.1.2.3) */
#define VIRTIO_ID_BLK	  2

/* 82540EM registers (Intel 8254x Software Developer's Manual, section 13.4). */
#define E1000_ICR      0x00c0 /* interrupt cause read, cleared by the read */
#define E1000_ICS      0x00c8 /* interrupt cause set */
#define E1000_IMS      0x00d0 /* interrupt mask set */
#define E1000_IMC      0x00d8 /* interrupt mask clear */
#define E1000_RAL0     0x5400 /* receive address low: MAC bytes 0-3 */
#define E1000_RAH0     0x5404 /* receive address high: bytes 4-5, bit 31 address valid */
#define E1000_ICR_TXDW 0x1

static struct nk_pci_dev *at(uint8_t slot)
{
	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p))
		if (p->segment == 0 && p->bus == 0 && p->slot == slot && p->func == 0)
			return p;
	return NULL;
}

static bool is_virtio(const struct nk_pci_dev *p)
{
	return p->vendor == VIRTIO_VENDOR && p->device >= 0x1000 && p->device <= 0x107f;
}

static bool is_e1000(const struct nk_pci_dev *p)
{
	return p->vendor == 0x8086 && p->device == 0x100e;
}

NK_TEST(pci, host_bridge)
{
	struct nk_pci_dev *p = at(0);

	NK_ASSERT_NOT_NULL(p);
	NK_EXPECT_EQ(p->vendor, 0x8086);
	NK_EXPECT(p->device == 0x1237 || p->device == 0x29c0);
	if (p->device == 0x29c0)
		NK_EXPECT(nk_pci_uses_ecam()); /* q35 has an MCFG */
	NK_EXPECT_EQ(p->class, 0x06);
	NK_EXPECT_EQ(p->subclass, 0x00);
	NK_EXPECT_STREQ(nk_pci_class_name(p->class), "bridge");
	NK_EXPECT_PTR_EQ(nk_dev_find_class("pci0000:00:00.0", NK_DEV_PCI), &p->dev);
	NK_EXPECT_PTR_EQ(nk_pci_find(p->vendor, p->device, 0), p);
}

/*
 * Two drivers of the test kernel: one binds the host bridge (class 06.00), one matches the ISA
 * bridge (class 06.01) and fails its probe. The core binds at boot, before the tests run.
 */
static int host_probes, isa_probes;
static struct nk_pci_dev *host_probed;

static int host_probe(struct nk_pci_dev *pdev, const struct nk_pci_id *id)
{
	host_probes++;
	host_probed = pdev;
	pdev->drvdata = (void *)id->data;
	return 0;
}

static int isa_probe(struct nk_pci_dev *pdev, const struct nk_pci_id *id)
{
	isa_probes++;
	pdev->drvdata = pdev;
	return -ENODEV;
}

static const struct nk_pci_id host_ids[] = {
	{ NK_PCI_ANY_ID, NK_PCI_ANY_ID, 0x060000, 0xffff00, "host" }, { 0 }
};
static const struct nk_pci_id isa_ids[] = { { 0x8086, NK_PCI_ANY_ID, 0x060100, 0xffff00, NULL },
					    { 0 } };
static const struct nk_pci_driver host_driver = { "pci-test-host", host_ids, host_probe, NULL };
static const struct nk_pci_driver isa_driver = { "pci-test-isa", isa_ids, isa_probe, NULL };
NK_PCI_DRIVER(host_driver);
NK_PCI_DRIVER(isa_driver);

NK_TEST(pci, drivers_bound_by_class)
{
	struct nk_pci_dev *host = at(0), *isa = NULL;

	NK_ASSERT_NOT_NULL(host);
	NK_EXPECT_EQ(host_probes, 1);
	NK_EXPECT_PTR_EQ(host_probed, host);
	NK_EXPECT_PTR_EQ(host->driver, &host_driver);
	NK_EXPECT_STREQ(host->dev.driver, "pci-test-host");
	NK_EXPECT_STREQ(host->drvdata, "host");
	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p))
		if (p->class == 0x06 && p->subclass == 0x01 && p->vendor == 0x8086)
			isa = p;
	if (!isa)
		NK_SKIP("no Intel ISA bridge");
	NK_EXPECT_GE(isa_probes, 1);
	NK_EXPECT_NULL(isa->driver); /* a failed probe leaves it unbound */
	NK_EXPECT_NULL(isa->dev.driver);
	NK_EXPECT_NULL(isa->drvdata);
}

NK_TEST(pci, ecam_iff_mcfg)
{
	const struct nk_acpi_info *a = nk_acpi_get_info();
	unsigned n = 0;

	NK_EXPECT_EQ(nk_pci_uses_ecam(), a->has_mcfg && a->mcfg.nr > 0);
	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p), n++) {
		NK_EXPECT_EQ(p->ecam != NULL, nk_pci_uses_ecam());
		/* the same function through the ports (QEMU's q35 keeps them too) */
		if (p->segment == 0)
			NK_EXPECT_UEQ(nk_pci_read32(p, NK_PCI_VENDOR_ID),
				      pci_cfg_legacy_read32(p->bus, p->slot, p->func, 0));
	}
	NK_EXPECT_GT(n, 1);
}

struct expect {
	uint8_t slot;
	uint16_t device[2]; /* transitional, modern (or the one id twice) */
	uint8_t class, subclass;
};

/* The runner's devices (notes/common.md): class 01.00 is what QEMU gives virtio-blk. */
static const struct expect blk[] = { { 4, { 0x1001, 0x1042 }, 0x01, 0x00 },
				     { 5, { 0x1001, 0x1042 }, 0x01, 0x00 } };
static const struct expect vnet[] = { { 6, { 0x1000, 0x1041 }, 0x02, 0x00 },
				      { 8, { 0x1000, 0x1041 }, 0x02, 0x00 } };
static const struct expect e1k[] = { { 7, { 0x100e, 0x100e }, 0x02, 0x00 },
				     { 9, { 0x100e, 0x100e }, 0x02, 0x00 } };

/* Each slot holds the expected function or nothing; how many held it. */
static int check_slots(struct nk_test_ctx *nk_t, const struct expect *e, size_t n, uint16_t vendor)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		struct nk_pci_dev *p = at(e[i].slot);

		if (!p)
			continue;
		found++;
		NK_EXPECT_EQ(p->vendor, vendor);
		NK_EXPECT(p->device == e[i].device[0] || p->device == e[i].device[1]);
		NK_EXPECT_EQ(p->class, e[i].class);
		NK_EXPECT_EQ(p->subclass, e[i].subclass);
		NK_EXPECT(p->irq_pin >= 1 && p->irq_pin <= 4);
	}
	return found;
}

NK_TEST(pci, virtio_blk_found)
{
	if (!check_slots(nk_t, blk, NK_ARRAY_SIZE(blk), VIRTIO_VENDOR))
		NK_SKIP("no virtio-blk at slots 4-5");
}

NK_TEST(pci, virtio_net_found)
{
	if (!check_slots(nk_t, vnet, NK_ARRAY_SIZE(vnet), VIRTIO_VENDOR))
		NK_SKIP("no virtio-net at slots 6 and 8");
}

NK_TEST(pci, e1000_found)
{
	if (!check_slots(nk_t, e1k, NK_ARRAY_SIZE(e1k), 0x8086))
		NK_SKIP("no e1000 at slots 7 and 9");
}

/* Each e1000's MAC registers hold what QEMU was given (52:54:00:...), address valid. */
NK_TEST(pci, e1000_bar_mapped)
{
	int seen = 0;

	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p)) {
		volatile uint32_t *regs = p->bar[0].virt;

		if (!is_e1000(p))
			continue;
		seen++;
		NK_EXPECT(!p->bar[0].io);
		NK_EXPECT_UEQ(p->bar[0].size, 0x20000);
		NK_ASSERT_NOT_NULL(regs);
		NK_EXPECT_UEQ(regs[E1000_RAL0 / 4] & 0xffffff, 0x005452);
		NK_EXPECT(regs[E1000_RAH0 / 4] & 0x80000000u);
		NK_EXPECT(p->bar[1].io);
	}
	if (!seen)
		NK_SKIP("no e1000");
}

/* The structure of virtio type `type` through its BAR's mapping, or NULL (legacy device). */
static volatile uint8_t *virtio_struct(struct nk_pci_dev *p, uint8_t type)
{
	for (unsigned c = 0; (c = nk_pci_find_cap(p, NK_PCI_CAP_VENDOR, c));) {
		uint8_t bar = nk_pci_read8(p, c + VIRTIO_CAP_BAR);

		if (nk_pci_read8(p, c + VIRTIO_CAP_TYPE) != type || bar > 5 || !p->bar[bar].virt)
			continue;
		return (volatile uint8_t *)p->bar[bar].virt +
		       nk_pci_read32(p, c + VIRTIO_CAP_OFFSET);
	}
	return NULL;
}

/* Modern virtio: queues in the common configuration, the MAC or the capacity in the device's. */
NK_TEST(pci, virtio_bar_mapped)
{
	int seen = 0;

	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p)) {
		volatile uint8_t *common, *dev;
		uint64_t cap;

		if (!is_virtio(p) || !(common = virtio_struct(p, VIRTIO_PCI_COMMON)))
			continue;
		dev = virtio_struct(p, VIRTIO_PCI_DEVICE);
		NK_ASSERT_NOT_NULL(dev);
		seen++;
		NK_EXPECT_GE(*(volatile uint16_t *)(common + VIRTIO_NUM_QUEUES), 1);
		if (p->class == 0x02) {
			NK_EXPECT_EQ(dev[0], 0x52);
			NK_EXPECT_EQ(dev[1], 0x54);
			NK_EXPECT_EQ(dev[2], 0x00);
		} else if (p->class == 0x01) {
			cap = *(volatile uint64_t *)dev; /* capacity in 512-byte sectors */
			NK_EXPECT(cap == 16 * 2048 || cap == 2048);
		}
	}
	if (!seen)
		NK_SKIP("no virtio function with the modern interface");
}

/* The page-table entry that maps addr (walked from CR3, SDM vol. 3A 4.5), 0 if none. */
static uint64_t pte_of(uint64_t addr)
{
	uint64_t *table = (uint64_t *)(read_cr3() & PTE_ADDR);

	for (int level = 3; level >= 0; level--) {
		uint64_t e = table[(addr >> (12 + 9 * level)) & 511];

		if (!(e & PTE_P) || level == 0 || (level <= 2 && (e & PTE_PS)))
			return e & PTE_P ? e : 0;
		table = (uint64_t *)(e & PTE_ADDR);
	}
	return 0;
}

static bool uncached(uint64_t addr)
{
	return (pte_of(addr) & (PTE_PCD | PTE_PWT)) == (PTE_PCD | PTE_PWT);
}

static void read_first(void *p)
{
	(void)*(volatile uint32_t *)p;
}

/* Every mapped memory BAR: present and uncached from its first to its last byte, readable. */
NK_TEST(pci, bars_mapped_uncached)
{
	int seen = 0;

	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p)) {
		for (unsigned i = 0; i < NK_ARRAY_SIZE(p->bar); i++) {
			struct nk_pci_bar *b = &p->bar[i];
			struct nk_trap_info info;
			uint64_t v = (uint64_t)(uintptr_t)b->virt;

			if (b->io || !b->size)
				continue;
			NK_EXPECT(b->virt || !b->base);
			if (!b->virt)
				continue;
			seen++;
			NK_EXPECT_UEQ(v, b->base);
			NK_EXPECT(uncached(v));
			NK_EXPECT(uncached(v + b->size - 1));
			NK_EXPECT_GT(nk_arch_page_size(b->virt), 0);
			NK_EXPECT_EQ(nk_arch_trap_catch(read_first, b->virt, &info), 0);
		}
	}
	if (!seen)
		NK_SKIP("no memory BAR");
}

NK_TEST(pci, mmio_map_refuses_ram)
{
	void *buf = nk_malloc(64);
	struct nk_pci_dev *p;

	NK_ASSERT_NOT_NULL(buf);
	NK_EXPECT(!uncached((uint64_t)(uintptr_t)buf)); /* RAM stays cacheable */
	NK_EXPECT_NULL(nk_arch_mmio_map((uint64_t)(uintptr_t)buf, 64));
	NK_EXPECT_NULL(nk_arch_mmio_map(0x100000, 4096)); /* the kernel's RAM */
	NK_EXPECT_NULL(nk_arch_mmio_map(0, 4096));	  /* page 0 */
	NK_EXPECT_NULL(nk_arch_mmio_map(0xfe000000, 0));
	NK_EXPECT_NULL(nk_arch_mmio_map(1ULL << 52, 4096));   /* beyond any physical width */
	NK_EXPECT_NULL(nk_arch_mmio_map(~0ULL - 4095, 8192)); /* wraps */
	nk_free(buf);
	/* mapping a BAR again changes nothing and needs no table */
	for (p = nk_pci_first(); p; p = nk_pci_next(p))
		if (p->bar[0].virt)
			break;
	if (!p)
		NK_SKIP("no function with a mapped BAR 0");
	NK_EXPECT_PTR_EQ(nk_arch_mmio_map(p->bar[0].base, p->bar[0].size), p->bar[0].virt);
}

static uint8_t test_rd8(const void *ctx, unsigned off)
{
	return nk_pci_read8(ctx, off);
}

/*
 * QEMU's virtio functions have MSI-X unless given vectors=0, and then no MSI-X BAR either:
 * the walk must agree with the BARs, and with a walk done here by hand.
 */
NK_TEST(pci, virtio_msix_cap)
{
	int seen = 0, with = 0;

	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p)) {
		unsigned off, by_hand = 0, steps = 0;

		if (!is_virtio(p))
			continue;
		seen++;
		for (off = nk_pci_read8(p, NK_PCI_CAP_PTR) & ~3u; off && steps < 48; steps++) {
			if (!by_hand && nk_pci_read8(p, off) == NK_PCI_CAP_MSIX)
				by_hand = off;
			off = nk_pci_read8(p, off + 1) & ~3u;
		}
		NK_EXPECT_EQ(p->msix_cap, by_hand);
		NK_EXPECT_EQ(nk_pci_find_cap(p, NK_PCI_CAP_MSIX, 0), by_hand);
		NK_EXPECT_EQ(pci_cap_walk(test_rd8, p, NK_PCI_CAP_MSIX, 0, NULL), by_hand);
		NK_EXPECT_EQ(p->msix_cap != 0, p->bar[1].size != 0 && !p->bar[1].io);
		if (p->msix_cap) {
			with++;
			NK_EXPECT_EQ(nk_pci_read32(p, p->msix_cap + 4) & 7, 1); /* table in BAR 1 */
			NK_EXPECT_NOT_NULL(p->bar[1].virt);
		}
	}
	if (!seen)
		NK_SKIP("no virtio function");
	nk_test_diag("%d of %d virtio functions offer MSI-X", with, seen);
}

static volatile int hits[NK_MAX_CPUS];
static volatile int hit_cpu[4];

static void count_hit(int vector, void *arg)
{
	int i = (int)(uintptr_t)arg;

	hit_cpu[i] = nk_cpu_id();
	__atomic_fetch_add(&hits[i], 1, __ATOMIC_RELEASE);
}

/* Send an MSI as a device would: the data written at the address (QEMU's APIC takes it). */
static void send_msi(uint64_t addr, uint32_t data)
{
	*(volatile uint32_t *)(uintptr_t)addr = data;
}

NK_TEST(pci, msi_message_reaches_each_cpu)
{
	for (int cpu = 0; cpu < nk_cpu_count(); cpu++) {
		int vec = nk_vector_alloc(count_hit, (void *)0);
		uint64_t addr;
		uint32_t data;

		NK_ASSERT_GE(vec, NK_VEC_FIRST_DYNAMIC);
		hits[0] = 0;
		hit_cpu[0] = -1;
		NK_EXPECT_EQ(nk_arch_msi_message(cpu, vec, &addr, &data), 0);
		NK_EXPECT_UEQ(addr & 0xfff00000u, 0xfee00000u);
		NK_EXPECT_UEQ(data & 0xff, vec);
		send_msi(addr, data);
		NK_EXPECT(nk_test_wait_ge(&hits[0], 1, nk_time_ns() + WAIT_NS));
		NK_EXPECT_EQ(hit_cpu[0], cpu);
		nk_vector_free(vec);
	}
	NK_EXPECT_EQ(nk_arch_msi_message(nk_cpu_count(), 0x40, &(uint64_t){ 0 }, &(uint32_t){ 0 }),
		     -EINVAL);
	NK_EXPECT_EQ(nk_arch_msi_message(0, 8, &(uint64_t){ 0 }, &(uint32_t){ 0 }), -EINVAL);
}

static void check_msix_table(struct nk_test_ctx *nk_t, struct nk_pci_dev *p)
{
	uint32_t tbl = nk_pci_read32(p, p->msix_cap + 4);
	uint16_t ctrl = nk_pci_read16(p, p->msix_cap + 2);
	volatile uint32_t *table;

	NK_ASSERT_NOT_NULL(p->bar[tbl & 7].virt);
	table = (volatile uint32_t *)((uint8_t *)p->bar[tbl & 7].virt + (tbl & ~7u));
	NK_EXPECT(ctrl & 0x8000);    /* enabled */
	NK_EXPECT(!(ctrl & 0x4000)); /* not function-masked */
	for (unsigned i = 0; i <= (ctrl & 0x7ffu); i++) {
		volatile uint32_t *e = &table[4 * i];

		if (i >= p->nr_vectors) {
			NK_EXPECT_EQ(e[3] & 1, 1); /* unused entries stay masked */
			continue;
		}
		NK_EXPECT_UEQ(e[0] & 0xfff00000u, 0xfee00000u);
		NK_EXPECT_UEQ(e[2] & 0xff, p->vectors[i]);
		NK_EXPECT_NOT_NULL(nk_vector_handler(p->vectors[i], NULL));
	}
}

/*
 * Functions whose driver set interrupts up: MSI-X tables programmed with the function's
 * vectors, the others masked; INTx enabled in the command register with a routed line.
 */
NK_TEST(pci, bound_irqs_consistent)
{
	int seen = 0;

	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p)) {
		uint16_t cmd = nk_pci_read16(p, NK_PCI_COMMAND);

		if (!p->irq_type)
			continue;
		seen++;
		NK_EXPECT(p->dev.irq[0]);
		NK_EXPECT(p->nr_vectors >= 1);
		if (p->irq_type == NK_PCI_IRQ_MSIX)
			check_msix_table(nk_t, p);
		if (p->irq_type == NK_PCI_IRQ_INTX)
			NK_EXPECT(!(cmd & NK_PCI_CMD_INTX_DISABLE));
		else
			NK_EXPECT(cmd & NK_PCI_CMD_MASTER);
		NK_EXPECT_NOT_NULL(nk_vector_handler(p->vectors[0], NULL));
	}
	if (!seen)
		NK_SKIP("no driver has set interrupts up");
}

/* A virtio function with MSI-X that no driver has set interrupts up on, or NULL. */
static struct nk_pci_dev *free_msix_function(void)
{
	for (struct nk_pci_dev *p = nk_pci_first(); p; p = nk_pci_next(p))
		if (p->msix_cap && !p->irq_type && p->bar[1].virt)
			return p;
	return NULL;
}

NK_TEST(pci, msix_setup_delivers)
{
	struct nk_pci_dev *p = free_msix_function();
	int last = nk_cpu_count() - 1;
	struct nk_pci_irq irqs[2] = { { count_hit, (void *)0, 0 }, { count_hit, (void *)1, last } };
	volatile uint32_t *table;
	int vec[2];

	if (!p)
		NK_SKIP("every function with MSI-X has its interrupts set up by a driver");
	table = (volatile uint32_t *)((uint8_t *)p->bar[1].virt +
				      (nk_pci_read32(p, p->msix_cap + 4) & ~7u));
	NK_ASSERT_EQ(nk_pci_irq_setup(p, irqs, 2, NK_PCI_IRQ_MSIX), NK_PCI_IRQ_MSIX);
	NK_EXPECT_EQ(nk_pci_irq_setup(p, irqs, 2, NK_PCI_IRQ_MSIX), -EINVAL); /* set up already */
	NK_EXPECT_EQ(p->irq_type, NK_PCI_IRQ_MSIX);
	NK_EXPECT_EQ(p->nr_vectors, 2);
	NK_EXPECT(nk_pci_read16(p, p->msix_cap + 2) & 0x8000);	  /* enabled */
	NK_EXPECT(!(nk_pci_read16(p, p->msix_cap + 2) & 0x4000)); /* not function-masked */
	NK_EXPECT(nk_pci_read16(p, NK_PCI_COMMAND) & NK_PCI_CMD_MASTER);
	check_msix_table(nk_t, p);
	for (int i = 0; i < 2; i++) {
		volatile uint32_t *e = &table[4 * i];

		vec[i] = p->vectors[i];
		hits[i] = 0;
		hit_cpu[i] = -1;
		NK_EXPECT_EQ(e[3] & 1, 0); /* unmasked */
		NK_EXPECT_UEQ(e[2] & 0xff, vec[i]);
		send_msi(((uint64_t)e[1] << 32) | e[0], e[2]); /* the entry's message */
		NK_EXPECT(nk_test_wait_ge(&hits[i], 1, nk_time_ns() + WAIT_NS));
		NK_EXPECT_EQ(hit_cpu[i], irqs[i].cpu);
	}
	NK_EXPECT_EQ(nk_pci_msix_mask(p, 1, true), 0);
	NK_EXPECT_EQ(table[4 + 3] & 1, 1);
	NK_EXPECT_EQ(nk_pci_msix_mask(p, 1, false), 0);
	NK_EXPECT_EQ(table[4 + 3] & 1, 0);
	NK_EXPECT_EQ(nk_pci_msix_mask(p, 2, true), -EINVAL);
	NK_EXPECT_STREQ(p->dev.irq[0] ? "set" : "", "set");
	nk_pci_irq_release(p);
	NK_EXPECT_EQ(p->irq_type, 0);
	NK_EXPECT(!(nk_pci_read16(p, p->msix_cap + 2) & 0x8000));
	NK_EXPECT_EQ(table[3] & 1, 1); /* masked again */
	NK_EXPECT_NULL(nk_vector_handler(vec[0], NULL));
	NK_EXPECT_NULL(nk_vector_handler(vec[1], NULL));
}

static volatile uint32_t *e1000_regs(struct nk_pci_dev *p)
{
	return p->bar[0].virt;
}

/* The e1000's handler on a shared line: only its own cause counts (and is cleared). */
static void e1000_intx(int vector, void *arg)
{
	struct nk_pci_dev *p = arg;
	int i = p->slot == e1k[0].slot ? 0 : 1;

	if (e1000_regs(p)[E1000_ICR / 4])
		__atomic_fetch_add(&hits[i], 1, __ATOMIC_RELEASE);
}

NK_TEST(pci, intx_shared_line)
{
	struct nk_pci_dev *p[2] = { at(e1k[0].slot), at(e1k[1].slot) };
	struct nk_pci_irq irqs[2] = { { e1000_intx, p[0], NK_CPU_ANY },
				      { e1000_intx, p[1], NK_CPU_ANY } };
	int n = 0;

	for (int i = 0; i < 2; i++) {
		if (!p[i] || !is_e1000(p[i]) || p[i]->irq_type || !e1000_regs(p[i]))
			continue;
		e1000_regs(p[i])[E1000_IMC / 4] = ~0u;
		(void)e1000_regs(p[i])[E1000_ICR / 4];
		NK_ASSERT_EQ(nk_pci_irq_setup(p[i], &irqs[i], 1, NK_PCI_IRQ_INTX), NK_PCI_IRQ_INTX);
		NK_EXPECT(!(nk_pci_read16(p[i], NK_PCI_COMMAND) & NK_PCI_CMD_INTX_DISABLE));
		n++;
	}
	if (!n)
		NK_SKIP("no e1000 without a driver's interrupts at slots 7 and 9");
	for (int i = 0; i < 2; i++) {
		if (!p[i] || p[i]->irq_type != NK_PCI_IRQ_INTX)
			continue;
		hits[0] = hits[1] = 0;
		e1000_regs(p[i])[E1000_IMS / 4] = E1000_ICR_TXDW;
		e1000_regs(p[i])[E1000_ICS / 4] = E1000_ICR_TXDW;
		NK_EXPECT(nk_test_wait_ge(&hits[i], 1, nk_time_ns() + WAIT_NS));
		NK_EXPECT_EQ(hits[1 - i], 0);
		e1000_regs(p[i])[E1000_IMC / 4] = ~0u;
	}
	if (n == 2 && p[0]->irq_line == p[1]->irq_line)
		NK_EXPECT_EQ(p[0]->vectors[0], p[1]->vectors[0]); /* one route for the line */
	for (int i = 0; i < 2; i++)
		if (p[i] && p[i]->irq_type == NK_PCI_IRQ_INTX)
			nk_pci_irq_release(p[i]);
}

static void e1000_no_ack(int vector, void *arg)
{
	__atomic_fetch_add(&hits[0], 1, __ATOMIC_RELAXED);
}

/*
 * A cause that no handler clears keeps the level line asserted: the core disables that
 * function's INTx and marks it failed, and the line goes quiet.
 */
NK_TEST(pci, intx_stuck_function_stopped)
{
	struct nk_pci_dev *p = at(e1k[0].slot);
	struct nk_pci_irq irq = { e1000_no_ack, NULL, NK_CPU_ANY };
	int before;

	if (!p || !is_e1000(p) || p->irq_type || !e1000_regs(p))
		NK_SKIP("no e1000 without a driver's interrupts at slot 7");
	e1000_regs(p)[E1000_IMC / 4] = ~0u;
	(void)e1000_regs(p)[E1000_ICR / 4];
	NK_ASSERT_EQ(nk_pci_irq_setup(p, &irq, 1, NK_PCI_IRQ_INTX), NK_PCI_IRQ_INTX);
	hits[0] = 0;
	e1000_regs(p)[E1000_IMS / 4] = E1000_ICR_TXDW;
	e1000_regs(p)[E1000_ICS / 4] = E1000_ICR_TXDW;
	NK_EXPECT(nk_test_wait_ge(&hits[0], 100000, nk_time_ns() + 30 * WAIT_NS));
	nk_sleep(20000000);
	before = hits[0];
	nk_sleep(50000000);
	NK_EXPECT_EQ(hits[0], before); /* quiet although the cause is still set */
	NK_EXPECT_EQ(p->dev.state, NK_DEV_FAILED);
	NK_EXPECT(nk_pci_read16(p, NK_PCI_COMMAND) & NK_PCI_CMD_INTX_DISABLE);
	nk_test_diag("INTx of %s stopped after %d interrupts", p->dev.name, before);
	e1000_regs(p)[E1000_IMC / 4] = ~0u;
	(void)e1000_regs(p)[E1000_ICR / 4];
	nk_pci_irq_release(p);
	p->dev.state = NK_DEV_OK; /* the device is fine: the test made it look stuck */
	p->dev.error = 0;
}

/* The interrupt line register is read/write on every function (PCI 3.0 section 6.2.4). */
NK_TEST(pci, config_write_reads_back)
{
	struct nk_pci_dev *p = at(0);
	uint8_t line;
	uint16_t cmd;
	uint32_t dw;

	NK_ASSERT_NOT_NULL(p);
	line = nk_pci_read8(p, NK_PCI_INTERRUPT_LINE);
	nk_pci_write8(p, NK_PCI_INTERRUPT_LINE, 0x5a);
	NK_EXPECT_EQ(nk_pci_read8(p, NK_PCI_INTERRUPT_LINE), 0x5a);
	dw = nk_pci_read32(p, NK_PCI_INTERRUPT_LINE);
	nk_pci_write32(p, NK_PCI_INTERRUPT_LINE, (dw & ~0xffu) | 0xa5);
	NK_EXPECT_UEQ(nk_pci_read32(p, NK_PCI_INTERRUPT_LINE), (dw & ~0xffu) | 0xa5);
	nk_pci_write8(p, NK_PCI_INTERRUPT_LINE, line);
	NK_EXPECT_EQ(nk_pci_read8(p, NK_PCI_INTERRUPT_LINE), line);
	cmd = nk_pci_read16(p, NK_PCI_COMMAND);
	nk_pci_write16(p, NK_PCI_COMMAND, cmd ^ NK_PCI_CMD_INTX_DISABLE);
	NK_EXPECT_EQ(nk_pci_read16(p, NK_PCI_COMMAND), cmd ^ NK_PCI_CMD_INTX_DISABLE);
	nk_pci_write16(p, NK_PCI_COMMAND, cmd);
	NK_EXPECT_EQ(nk_pci_read16(p, NK_PCI_COMMAND), cmd);
	/* out of range or misaligned: all ones, nothing written */
	NK_EXPECT_UEQ(nk_pci_read32(p, 4096), 0xffffffffu);
	NK_EXPECT_UEQ(nk_pci_read16(p, 1), 0xffff);
	if (!p->ecam)
		NK_EXPECT_UEQ(nk_pci_read32(p, 256), 0xffffffffu);
}
