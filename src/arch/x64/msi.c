/*
 * MSI messages (Intel SDM vol. 3A 11.11): the address selects the destination APIC, the data the
 * vector and the delivery mode. PCI devices write them to raise an interrupt.
 */
#include <nautilus/arch.h>
#include <nautilus/cpu.h>
#include <nautilus/errno.h>

#define MSI_ADDR_BASE	    0xfee00000ULL /* 11.11.1: bits 31:20 are 0FEEH */
#define MSI_ADDR_DEST_SHIFT 12		  /* bits 19:12: destination APIC id */
#define MSI_ADDR_RH	    (1u << 3)	  /* redirection hint: 0, to the destination only */
#define MSI_ADDR_DM	    (1u << 2)	  /* destination mode: 0 physical */
#define MSI_DATA_FIXED	    (0u << 8)	  /* 11.11.2: bits 10:8 delivery mode, 000 fixed */
#define MSI_DATA_LEVEL	    (1u << 14)	  /* level for level-triggered only: 0 with edge */
#define MSI_DATA_TRIGGER    (1u << 15)	  /* trigger mode: 0 edge */

int nk_arch_msi_message(int cpu, int vector, uint64_t *addr, uint32_t *data)
{
	struct nk_cpu *c = nk_cpu_get(cpu);

	if (!c || vector < 32 || vector > 255)
		return -EINVAL;
	if (c->apic_id > 0xff)
		return -ERANGE;
	*addr = MSI_ADDR_BASE | ((uint64_t)c->apic_id << MSI_ADDR_DEST_SHIFT);
	*data = MSI_DATA_FIXED | (uint32_t)vector;
	return 0;
}
