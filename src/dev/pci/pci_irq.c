/*
 * PCI interrupts: MSI-X (PCI 3.0 section 6.8.2), MSI (6.8.1) and, as the fallback, INTx through
 * the IOAPIC. INTx lines are level-triggered and shared: one IOAPIC route per line, whose
 * handler calls the handler of every function on the line (each checks its own device).
 */
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/mutex.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>
#include <nautilus/thread.h>

#include "pci_priv.h"

/* MSI capability (PCI 3.0 section 6.8.1). */
#define MSI_CTRL	  0x02
#define MSI_CTRL_ENABLE	  0x0001
#define MSI_CTRL_MME	  0x0070 /* multiple message enable: 2^n vectors; we use one */
#define MSI_CTRL_64BIT	  0x0080
#define MSI_CTRL_MASKABLE 0x0100 /* per-vector mask bits present */
#define MSI_ADDR_LO	  0x04
#define MSI_ADDR_HI	  0x08 /* 64-bit capability only */
#define MSI_DATA_32	  0x08
#define MSI_DATA_64	  0x0c
#define MSI_MASK_32	  0x0c
#define MSI_MASK_64	  0x10

/* MSI-X capability (PCI 3.0 section 6.8.2) and its table entries (6.8.2.6-9). */
#define MSIX_CTRL	   0x02
#define MSIX_CTRL_SIZE	   0x07ff /* table size minus one */
#define MSIX_CTRL_MASKALL  0x4000 /* function mask */
#define MSIX_CTRL_ENABLE   0x8000
#define MSIX_TABLE	   0x04 /* BIR in bits 2:0, offset in 31:3 */
#define MSIX_PBA	   0x08
#define MSIX_BIR_MASK	   0x7
#define MSIX_ENTRY_SIZE	   16
#define MSIX_ENTRY_ADDR_LO 0 /* in 32-bit words */
#define MSIX_ENTRY_ADDR_HI 1
#define MSIX_ENTRY_DATA	   2
#define MSIX_ENTRY_CTRL	   3
#define MSIX_ENTRY_MASKED  0x1

#define NO_LINE 0xff

/*
 * A level-triggered line that no handler quiets fires again as soon as it is acknowledged, and
 * the CPU would do nothing else. A function whose INTx is still asserted (Status bit 3) after
 * its handler ran, this many interrupts in a row, is stuck: its INTx is disabled and it is
 * marked failed. Far more than a busy device that re-asserts while its handler runs.
 */
#define STUCK_IN_A_ROW 100000

struct intx_line {
	int vector; /* the IOAPIC route's, 0: not routed */
	struct nk_pci_dev *head;
};

static struct intx_line lines[256];
static struct nk_spinlock intx_lock = NK_SPINLOCK_INIT; /* the chains: taken by the handler */
static struct nk_mutex setup_lock;			/* one set-up or release at a time */
static unsigned next_cpu;

void pci_irq_init(void)
{
	nk_mutex_init(&setup_lock);
}

/* The CPU for a vector: the one asked for, or the next online one round-robin. */
static int pick_cpu(int cpu)
{
	int n = nk_cpu_count();

	if (cpu != NK_CPU_ANY)
		return nk_cpu_get(cpu) && nk_cpu_get(cpu)->state == NK_CPU_ONLINE ? cpu : -EINVAL;
	for (int i = 0; i < n; i++) {
		int c = (int)(next_cpu++ % (unsigned)n);

		if (nk_cpu_get(c)->state == NK_CPU_ONLINE)
			return c;
	}
	return 0;
}

static void command_set(struct nk_pci_dev *p, uint16_t set, uint16_t clear)
{
	uint16_t cmd = nk_pci_read16(p, NK_PCI_COMMAND);

	nk_pci_write16(p, NK_PCI_COMMAND, (cmd & ~clear) | set);
}

/* A vector for irq, and the MSI message that reaches it. */
static int vector_msg(const struct nk_pci_irq *irq, uint64_t *addr, uint32_t *data)
{
	int cpu = pick_cpu(irq->cpu), vec, err;

	if (cpu < 0)
		return cpu;
	vec = nk_vector_alloc(irq->fn, irq->arg);
	if (vec < 0)
		return vec;
	err = nk_arch_msi_message(cpu, vec, addr, data);
	if (err) {
		nk_vector_free(vec);
		return err;
	}
	return vec;
}

/* --- MSI-X --- */

/*
 * The function's MSI-X table, mapped by the core, and its size; NULL (reported) when the
 * table or the pending-bit array lies outside a mapped memory BAR.
 */
static volatile uint32_t *msix_table(struct nk_pci_dev *p, unsigned *size)
{
	unsigned cap = p->msix_cap;
	uint32_t table = nk_pci_read32(p, cap + MSIX_TABLE), pba = nk_pci_read32(p, cap + MSIX_PBA);
	const struct nk_pci_bar *tb = &p->bar[table & MSIX_BIR_MASK];
	const struct nk_pci_bar *pb = &p->bar[pba & MSIX_BIR_MASK];
	uint64_t toff = table & ~MSIX_BIR_MASK, poff = pba & ~MSIX_BIR_MASK;

	*size = (nk_pci_read16(p, cap + MSIX_CTRL) & MSIX_CTRL_SIZE) + 1;
	if ((table & MSIX_BIR_MASK) > 5 || (pba & MSIX_BIR_MASK) > 5 || !tb->virt || !pb->virt ||
	    toff + *size * MSIX_ENTRY_SIZE > tb->size || poff + (*size + 63) / 64 * 8 > pb->size) {
		nk_dev_log(
			&p->dev, NK_LOG_ERR,
			"MSI-X table (0x%08x) or pending bits (0x%08x) outside a mapped BAR: MSI-X not used",
			table, pba);
		return NULL;
	}
	return (volatile uint32_t *)((uint8_t *)tb->virt + toff);
}

static void msix_entry_mask(volatile uint32_t *table, unsigned i, bool masked)
{
	volatile uint32_t *ctrl = &table[i * 4 + MSIX_ENTRY_CTRL];

	*ctrl = masked ? *ctrl | MSIX_ENTRY_MASKED : *ctrl & ~MSIX_ENTRY_MASKED;
	(void)*ctrl; /* the read flushes the posted write */
}

static void msix_disable(struct nk_pci_dev *p, volatile uint32_t *table, unsigned size)
{
	uint16_t ctrl = nk_pci_read16(p, p->msix_cap + MSIX_CTRL);

	nk_pci_write16(p, p->msix_cap + MSIX_CTRL, ctrl | MSIX_CTRL_MASKALL);
	for (unsigned i = 0; table && i < size; i++)
		msix_entry_mask(table, i, true);
	nk_pci_write16(p, p->msix_cap + MSIX_CTRL, ctrl & ~(MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL));
}

static void free_vectors(struct nk_pci_dev *p)
{
	for (unsigned i = 0; i < p->nr_vectors; i++)
		nk_vector_free(p->vectors[i]);
	p->nr_vectors = 0;
}

/* Program entries 0..n-1 while every entry is masked, then unmask those. */
static int msix_setup(struct nk_pci_dev *p, const struct nk_pci_irq *irqs, unsigned n)
{
	unsigned cap = p->msix_cap, size;
	volatile uint32_t *table = cap ? msix_table(p, &size) : NULL;
	uint16_t ctrl;

	if (!table || n > size)
		return -ENODEV;
	command_set(p, NK_PCI_CMD_MEMORY | NK_PCI_CMD_MASTER | NK_PCI_CMD_INTX_DISABLE, 0);
	ctrl = nk_pci_read16(p, cap + MSIX_CTRL);
	nk_pci_write16(p, cap + MSIX_CTRL, ctrl | MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	for (unsigned i = 0; i < size; i++)
		msix_entry_mask(table, i, true);
	for (p->nr_vectors = 0; p->nr_vectors < n; p->nr_vectors++) {
		volatile uint32_t *e = &table[p->nr_vectors * 4];
		uint64_t addr;
		uint32_t data;
		int vec = vector_msg(&irqs[p->nr_vectors], &addr, &data);

		if (vec < 0) {
			free_vectors(p);
			msix_disable(p, table, size);
			return vec;
		}
		p->vectors[p->nr_vectors] = vec;
		e[MSIX_ENTRY_ADDR_LO] = (uint32_t)addr;
		e[MSIX_ENTRY_ADDR_HI] = (uint32_t)(addr >> 32);
		e[MSIX_ENTRY_DATA] = data;
	}
	for (unsigned i = 0; i < n; i++)
		msix_entry_mask(table, i, false);
	nk_pci_write16(p, cap + MSIX_CTRL, (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_MASKALL);
	return NK_PCI_IRQ_MSIX;
}

int nk_pci_msix_mask(struct nk_pci_dev *pdev, unsigned entry, bool masked)
{
	volatile uint32_t *table;
	unsigned size;

	if (pdev->irq_type != NK_PCI_IRQ_MSIX || entry >= pdev->nr_vectors)
		return -EINVAL;
	table = msix_table(pdev, &size);
	if (!table)
		return -EINVAL;
	msix_entry_mask(table, entry, masked);
	return 0;
}

/* --- MSI --- */

static int msi_setup(struct nk_pci_dev *p, const struct nk_pci_irq *irq)
{
	unsigned cap = p->msi_cap;
	uint16_t ctrl = cap ? nk_pci_read16(p, cap + MSI_CTRL) : 0;
	bool is64 = ctrl & MSI_CTRL_64BIT;
	uint64_t addr;
	uint32_t data;
	int vec;

	if (!cap)
		return -ENODEV;
	vec = vector_msg(irq, &addr, &data);
	if (vec < 0)
		return vec;
	if (!is64 && (addr >> 32)) {
		nk_vector_free(vec);
		return -ENODEV;
	}
	nk_pci_write32(p, cap + MSI_ADDR_LO, (uint32_t)addr);
	if (is64)
		nk_pci_write32(p, cap + MSI_ADDR_HI, (uint32_t)(addr >> 32));
	nk_pci_write16(p, cap + (is64 ? MSI_DATA_64 : MSI_DATA_32), (uint16_t)data);
	if (ctrl & MSI_CTRL_MASKABLE)
		nk_pci_write32(p, cap + (is64 ? MSI_MASK_64 : MSI_MASK_32), 0);
	command_set(p, NK_PCI_CMD_MASTER | NK_PCI_CMD_INTX_DISABLE, 0);
	nk_pci_write16(p, cap + MSI_CTRL, (ctrl & ~MSI_CTRL_MME) | MSI_CTRL_ENABLE);
	p->vectors[0] = vec;
	p->nr_vectors = 1;
	return NK_PCI_IRQ_MSI;
}

static void msi_disable(struct nk_pci_dev *p)
{
	uint16_t ctrl = nk_pci_read16(p, p->msi_cap + MSI_CTRL);

	nk_pci_write16(p, p->msi_cap + MSI_CTRL, ctrl & ~MSI_CTRL_ENABLE);
}

/* --- INTx --- */

/* After p's handler: count p stuck if it still asserts INTx, and stop it when it stays so. */
static void stuck_check(struct nk_pci_dev *p)
{
	if (!(nk_pci_read16(p, NK_PCI_STATUS) & NK_PCI_STATUS_INTX)) {
		p->intx_stuck = 0;
		return;
	}
	if (++p->intx_stuck != STUCK_IN_A_ROW)
		return;
	command_set(p, NK_PCI_CMD_INTX_DISABLE, 0);
	nk_dev_fail(&p->dev, -EIO,
		    "INTx still asserted after its handler %u times in a row: INTx disabled",
		    p->intx_stuck);
}

/* The IOAPIC route of a line: every function on it, each handler checks its own device. */
static void intx_dispatch(int vector, void *arg)
{
	struct intx_line *l = arg;

	nk_spin_lock(&intx_lock);
	for (struct nk_pci_dev *p = l->head; p; p = p->intx_next) {
		p->intx_handler->fn(vector, p->intx_handler->arg);
		stuck_check(p);
	}
	nk_spin_unlock(&intx_lock);
}

static int intx_setup(struct nk_pci_dev *p, const struct nk_pci_irq *irq)
{
	struct intx_line *l = &lines[p->irq_line];
	unsigned long flags;
	int cpu = pick_cpu(irq->cpu);

	if (!p->irq_pin || p->irq_line == NO_LINE)
		return -ENODEV;
	if (cpu < 0)
		return cpu;
	if (!l->vector) {
		int vec = nk_irq_register_pci(p->irq_line, cpu, intx_dispatch, l);

		if (vec < 0)
			return vec == -ENOSPC ? vec : -ENODEV;
		l->vector = vec;
	}
	flags = nk_spin_lock_irqsave(&intx_lock);
	p->intx_handler = irq;
	p->intx_next = l->head;
	l->head = p;
	nk_spin_unlock_irqrestore(&intx_lock, flags);
	command_set(p, 0, NK_PCI_CMD_INTX_DISABLE);
	p->vectors[0] = l->vector;
	p->nr_vectors = 1;
	return NK_PCI_IRQ_INTX;
}

static void intx_release(struct nk_pci_dev *p)
{
	struct intx_line *l = &lines[p->irq_line];
	unsigned long flags;

	command_set(p, NK_PCI_CMD_INTX_DISABLE, 0);
	flags = nk_spin_lock_irqsave(&intx_lock);
	for (struct nk_pci_dev **q = &l->head; *q; q = &(*q)->intx_next) {
		if (*q == p) {
			*q = p->intx_next;
			break;
		}
	}
	nk_spin_unlock_irqrestore(&intx_lock, flags);
	p->intx_next = NULL;
	p->intx_handler = NULL;
	if (!l->head) {
		nk_irq_unregister(p->irq_line);
		l->vector = 0;
	}
	p->intx_stuck = 0;
	p->nr_vectors = 0; /* the line's vector is the IOAPIC route's, freed with it */
}

/* --- set-up --- */

static void describe(struct nk_pci_dev *p)
{
	char *s = p->dev.irq;
	unsigned n = p->nr_vectors;
	bool runs = true;

	for (unsigned i = 1; i < n; i++)
		runs = runs && p->vectors[i] == p->vectors[i - 1] + 1;
	if (p->irq_type == NK_PCI_IRQ_INTX)
		nk_snprintf(s, NK_DEV_IRQ_MAX, "ioapic %u (INT%c)", p->irq_line,
			    'A' + p->irq_pin - 1);
	else if (n == 1)
		nk_snprintf(s, NK_DEV_IRQ_MAX, "%s 0x%x",
			    p->irq_type == NK_PCI_IRQ_MSI ? "msi" : "msix", p->vectors[0]);
	else if (runs)
		nk_snprintf(s, NK_DEV_IRQ_MAX, "msix 0x%x-0x%x", p->vectors[0], p->vectors[n - 1]);
	else
		nk_snprintf(s, NK_DEV_IRQ_MAX, "msix %u vectors from 0x%x", n, p->vectors[0]);
}

static int try_types(struct nk_pci_dev *p, const struct nk_pci_irq *irqs, unsigned n,
		     unsigned types)
{
	int ret = -ENODEV, r;

	if (types & NK_PCI_IRQ_MSIX) {
		r = msix_setup(p, irqs, n);
		if (r > 0)
			return r;
		ret = r == -ENOSPC ? r : ret;
	}
	if ((types & NK_PCI_IRQ_MSI) && n == 1) {
		r = msi_setup(p, irqs);
		if (r > 0)
			return r;
		ret = r == -ENOSPC ? r : ret;
	}
	if ((types & NK_PCI_IRQ_INTX) && n == 1) {
		r = intx_setup(p, irqs);
		if (r > 0)
			return r;
		ret = r == -ENOSPC ? r : ret;
	}
	return ret;
}

int nk_pci_irq_setup(struct nk_pci_dev *pdev, const struct nk_pci_irq *irqs, unsigned n,
		     unsigned types)
{
	const unsigned all = NK_PCI_IRQ_INTX | NK_PCI_IRQ_MSI | NK_PCI_IRQ_MSIX;
	int ret;

	if (!pdev || !irqs || !n || n > NK_ARRAY_SIZE(pdev->vectors) || !types || (types & ~all))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (!irqs[i].fn || (irqs[i].cpu != NK_CPU_ANY && pick_cpu(irqs[i].cpu) < 0))
			return -EINVAL;
	nk_mutex_lock(&setup_lock);
	if (pdev->irq_type) {
		ret = -EINVAL; /* already set up: release first */
		goto out;
	}
	ret = try_types(pdev, irqs, n, types);
	if (ret > 0) {
		pdev->irq_type = ret;
		describe(pdev);
	}
out:
	nk_mutex_unlock(&setup_lock);
	return ret;
}

void nk_pci_irq_release(struct nk_pci_dev *pdev)
{
	volatile uint32_t *table;
	unsigned size = 0;

	nk_mutex_lock(&setup_lock);
	switch (pdev->irq_type) {
	case NK_PCI_IRQ_MSIX:
		table = msix_table(pdev, &size);
		msix_disable(pdev, table, size);
		free_vectors(pdev);
		break;
	case NK_PCI_IRQ_MSI:
		msi_disable(pdev);
		free_vectors(pdev);
		break;
	case NK_PCI_IRQ_INTX:
		intx_release(pdev);
		break;
	}
	pdev->irq_type = 0;
	pdev->dev.irq[0] = '\0';
	nk_mutex_unlock(&setup_lock);
}
