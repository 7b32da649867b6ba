/*
 * IOAPICs (82093AA datasheet; ACPI MADT types 1 and 2): every redirection entry starts masked;
 * nk_irq_register_on routes a line to a vector on a chosen CPU. ISA IRQs 0-15 go through the
 * MADT's interrupt source overrides (default: GSI = IRQ, edge, active high); other numbers are
 * GSIs, which PCI wires level-triggered, active low. nk_irq_register_pci routes a PCI INTx line,
 * level-triggered even on an ISA number.
 */
#include <arch/x64/apic.h>
#include <arch/x64/arch.h>
#include <nautilus/acpi.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/irq.h>
#include <nautilus/printk.h>
#include <nautilus/spinlock.h>

#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPIC_VER	0x01 /* bits 23:16: highest redirection entry */
#define IOAPIC_REDIR(n) (0x10 + 2 * (n))

#define REDIR_MASKED	 (1ULL << 16)
#define REDIR_LEVEL	 (1ULL << 15)
#define REDIR_ACTIVE_LOW (1ULL << 13)
#define REDIR_DEST_SHIFT 56

/* MADT override flags (ACPI 6.5 table 5.26): polarity bits 1:0, trigger mode bits 3:2. */
#define MPS_POLARITY(f) ((f)&3)
#define MPS_TRIGGER(f)	(((f) >> 2) & 3)
#define MPS_ACTIVE_LOW	3
#define MPS_LEVEL	3
#define MPS_EDGE	1

struct ioapic {
	volatile uint32_t *base;
	uint32_t gsi_base;
	unsigned nr_entries;
	uint8_t vector[256]; /* per pin, 0: not routed */
};

static struct ioapic ioapics[NK_ACPI_MAX_IOAPICS];
static int nr_ioapics;
static struct nk_spinlock lock = NK_SPINLOCK_INIT;

static uint32_t ioapic_read(const struct ioapic *io, uint32_t reg)
{
	io->base[IOREGSEL / 4] = reg;
	return io->base[IOWIN / 4];
}

static void ioapic_write(const struct ioapic *io, uint32_t reg, uint32_t v)
{
	io->base[IOREGSEL / 4] = reg;
	io->base[IOWIN / 4] = v;
}

static void write_redir(const struct ioapic *io, unsigned pin, uint64_t e)
{
	ioapic_write(io, IOAPIC_REDIR(pin), REDIR_MASKED); /* never half-written and live */
	ioapic_write(io, IOAPIC_REDIR(pin) + 1, e >> 32);
	ioapic_write(io, IOAPIC_REDIR(pin), (uint32_t)e);
}

static uint64_t read_redir(const struct ioapic *io, unsigned pin)
{
	return ((uint64_t)ioapic_read(io, IOAPIC_REDIR(pin) + 1) << 32) |
	       ioapic_read(io, IOAPIC_REDIR(pin));
}

/* The IOAPIC serving gsi and the pin on it, or NULL. */
static struct ioapic *find(uint32_t gsi, unsigned *pin)
{
	for (int i = 0; i < nr_ioapics; i++)
		if (gsi >= ioapics[i].gsi_base &&
		    gsi - ioapics[i].gsi_base < ioapics[i].nr_entries) {
			*pin = gsi - ioapics[i].gsi_base;
			return &ioapics[i];
		}
	return NULL;
}

/*
 * GSI, trigger and polarity of an IRQ number (ISA through the overrides). A PCI INTx line is
 * level-triggered whatever the ISA default says: an ISA number with no override or a
 * "conforms to the bus" trigger gets level, active high (how PCI interrupt routers drive the
 * ISA inputs, and what QEMU's overrides for its PCI lines say).
 */
static uint32_t irq_to_gsi(int irq, bool pci, uint64_t *mode)
{
	const struct nk_acpi_madt *m = &nk_acpi_get_info()->madt;

	*mode = irq < 16 ? (pci ? REDIR_LEVEL : 0) : REDIR_LEVEL | REDIR_ACTIVE_LOW;
	if (irq >= 16)
		return irq;
	for (size_t i = 0; i < m->nr_overrides; i++) {
		if (m->overrides[i].bus != 0 || m->overrides[i].source != irq)
			continue;
		if (MPS_TRIGGER(m->overrides[i].flags) == MPS_LEVEL)
			*mode |= REDIR_LEVEL;
		else if (MPS_TRIGGER(m->overrides[i].flags) == MPS_EDGE)
			*mode &= ~REDIR_LEVEL;
		if (MPS_POLARITY(m->overrides[i].flags) == MPS_ACTIVE_LOW)
			*mode |= REDIR_ACTIVE_LOW;
		return m->overrides[i].gsi;
	}
	return irq;
}

static int route(int irq, bool pci, int cpu, nk_irq_handler_t handler, void *arg)
{
	struct nk_cpu *c = nk_cpu_get(cpu);
	struct ioapic *io;
	unsigned long flags;
	unsigned pin;
	uint64_t mode;
	bool free;
	int vec;

	if (irq < 0 || !c)
		return -EINVAL;
	io = find(irq_to_gsi(irq, pci, &mode), &pin);
	if (!io)
		return -ENODEV;
	vec = nk_vector_alloc(handler, arg);
	if (vec < 0)
		return vec;
	flags = nk_spin_lock_irqsave(&lock);
	free = !io->vector[pin]; /* a routed line keeps its one handler */
	if (free) {
		io->vector[pin] = vec;
		write_redir(io, pin, mode | vec | ((uint64_t)c->apic_id << REDIR_DEST_SHIFT));
	}
	nk_spin_unlock_irqrestore(&lock, flags);
	if (free)
		return vec;
	nk_vector_free(vec);
	return -EBUSY;
}

int nk_irq_register_on(int irq, int cpu, nk_irq_handler_t handler, void *arg)
{
	return route(irq, false, cpu, handler, arg);
}

int nk_irq_register_pci(int irq, int cpu, nk_irq_handler_t handler, void *arg)
{
	return route(irq, true, cpu, handler, arg);
}

int nk_irq_unregister(int irq)
{
	unsigned long flags;
	struct ioapic *io;
	unsigned pin;
	uint64_t mode;
	int vec;

	if (irq < 0)
		return -EINVAL;
	io = find(irq_to_gsi(irq, false, &mode), &pin);
	if (!io)
		return -ENODEV;
	flags = nk_spin_lock_irqsave(&lock);
	vec = io->vector[pin];
	io->vector[pin] = 0;
	write_redir(io, pin, REDIR_MASKED);
	nk_spin_unlock_irqrestore(&lock, flags);
	if (!vec)
		return -ENOENT;
	nk_vector_free(vec);
	return 0;
}

int nk_irq_register(int irq, nk_irq_handler_t handler, void *arg)
{
	return nk_irq_register_on(irq, 0, handler, arg);
}

static int set_mask(int irq, bool masked)
{
	unsigned long flags;
	struct ioapic *io;
	unsigned pin;
	uint64_t mode, e;

	if (irq < 0)
		return -EINVAL;
	io = find(irq_to_gsi(irq, false, &mode), &pin);
	if (!io)
		return -ENODEV;
	if (!io->vector[pin])
		return -ENOENT; /* an unrouted line stays masked */
	flags = nk_spin_lock_irqsave(&lock);
	e = read_redir(io, pin);
	e = masked ? e | REDIR_MASKED : e & ~REDIR_MASKED;
	write_redir(io, pin, e);
	nk_spin_unlock_irqrestore(&lock, flags);
	return 0;
}

int nk_irq_mask(int irq)
{
	return set_mask(irq, true);
}

int nk_irq_unmask(int irq)
{
	return set_mask(irq, false);
}

/* Every IOAPIC of the MADT, all entries masked. */
void nk_ioapic_init(void)
{
	const struct nk_acpi_madt *m = &nk_acpi_get_info()->madt;

	for (size_t i = 0; i < m->nr_ioapics; i++) {
		struct ioapic *io = &ioapics[nr_ioapics];

		io->base = (volatile uint32_t *)(uintptr_t)m->ioapics[i].address;
		io->gsi_base = m->ioapics[i].gsi_base;
		io->nr_entries = ((ioapic_read(io, IOAPIC_VER) >> 16) & 0xff) + 1;
		for (unsigned pin = 0; pin < io->nr_entries; pin++)
			write_redir(io, pin, REDIR_MASKED);
		nr_ioapics++;
		nk_info("IOAPIC %u at 0x%x: GSIs %u-%u", m->ioapics[i].id, m->ioapics[i].address,
			io->gsi_base, io->gsi_base + io->nr_entries - 1);
	}
	if (!nr_ioapics)
		nk_warn("no IOAPIC in the MADT: device interrupts cannot be routed");
}
