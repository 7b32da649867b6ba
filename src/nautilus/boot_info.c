/* Names for what the boot information holds. */
#include <nautilus/boot_info.h>

const char *nk_mem_type_name(uint32_t type)
{
	switch (type) {
	case NK_MEM_USABLE:
		return "usable";
	case NK_MEM_RESERVED:
		return "reserved";
	case NK_MEM_ACPI_RECLAIMABLE:
		return "ACPI reclaimable";
	case NK_MEM_ACPI_NVS:
		return "ACPI NVS";
	case NK_MEM_BAD:
		return "bad";
	default:
		return "unknown";
	}
}
