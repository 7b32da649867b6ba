/*
 * Multiboot2 boot information (multiboot2 spec 3.6): copy memory map, command line, modules,
 * ACPI RSDP and loader name into nk_boot_info. Tags are bounds-checked; a bad one is skipped.
 */
#include <arch/x64/arch.h>
#include <nautilus/boot_info.h>
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

/* Tag types, multiboot2 spec 3.6.x. */
#define MB2_TAG_END	  0
#define MB2_TAG_CMDLINE	  1
#define MB2_TAG_LOADER	  2
#define MB2_TAG_MODULE	  3
#define MB2_TAG_MMAP	  6
#define MB2_TAG_ACPI_OLD  14
#define MB2_TAG_ACPI_NEW  15
#define MB2_MAX_INFO_SIZE (1 << 20)

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_module {
	struct mb2_tag tag;
	uint32_t start, end;
	char name[];
};

struct mb2_mmap {
	struct mb2_tag tag;
	uint32_t entry_size, entry_version;
	uint8_t entries[];
};

struct mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
};

/* Copy a string field that must end inside its tag. */
static void copy_tag_string(char *dst, size_t size, const char *src, size_t room)
{
	size_t len = strnlen(src, room);

	if (len == room)
		nk_warn("multiboot2: unterminated string in a tag, truncated");
	nk_strlcpy(dst, src, NK_MIN(size, len + 1));
	if (len >= size)
		nk_warn("multiboot2: string of %zu bytes truncated to %zu", len, size - 1);
}

static void take_mmap(const struct mb2_mmap *m)
{
	struct nk_boot_info *bi = &nk_boot_info;
	size_t n;

	if (m->tag.size < sizeof(*m) || m->entry_size < sizeof(struct mb2_mmap_entry)) {
		nk_warn("multiboot2: memory map tag with bad entry size %u ignored", m->entry_size);
		return;
	}
	n = (m->tag.size - sizeof(*m)) / m->entry_size;
	for (size_t i = 0; i < n; i++) {
		const struct mb2_mmap_entry *e = (const void *)(m->entries + i * m->entry_size);

		if (bi->nr_mmap == NK_BOOT_MAX_MMAP) {
			nk_warn("multiboot2: more than %d memory regions, rest ignored",
				NK_BOOT_MAX_MMAP);
			return;
		}
		bi->mmap[bi->nr_mmap].base = e->base;
		bi->mmap[bi->nr_mmap].len = e->len;
		bi->mmap[bi->nr_mmap].type = e->type <= NK_MEM_BAD ? e->type : NK_MEM_RESERVED;
		bi->nr_mmap++;
	}
}

static void take_module(const struct mb2_module *m)
{
	struct nk_boot_info *bi = &nk_boot_info;
	struct nk_boot_module *mod;

	if (m->tag.size < sizeof(*m) || m->end < m->start) {
		nk_warn("multiboot2: malformed module tag ignored");
		return;
	}
	if (bi->nr_modules == NK_BOOT_MAX_MODULES) {
		nk_warn("multiboot2: more than %d modules, rest ignored", NK_BOOT_MAX_MODULES);
		return;
	}
	mod = &bi->modules[bi->nr_modules++];
	mod->start = m->start;
	mod->end = m->end;
	copy_tag_string(mod->name, sizeof(mod->name), m->name, m->tag.size - sizeof(*m));
}

static void take_rsdp(const struct mb2_tag *t, size_t want)
{
	struct nk_boot_info *bi = &nk_boot_info;
	size_t have = t->size - sizeof(*t);

	if (have < want) {
		nk_warn("multiboot2: ACPI RSDP tag of %zu bytes, expected %zu; ignored", have,
			want);
		return;
	}
	if (want < bi->rsdp_copy_len)
		return; /* keep the ACPI 2.0 copy over the 1.0 one */
	memcpy(bi->rsdp_copy, t + 1, want);
	bi->rsdp_copy_len = want;
}

static void take_tag(const struct mb2_tag *t)
{
	const char *payload = (const char *)(t + 1);
	size_t room = t->size - sizeof(*t);

	switch (t->type) {
	case MB2_TAG_CMDLINE:
		copy_tag_string(nk_boot_info.cmdline, NK_BOOT_CMDLINE_MAX, payload, room);
		break;
	case MB2_TAG_LOADER:
		copy_tag_string(nk_boot_info.loader, NK_BOOT_NAME_MAX, payload, room);
		break;
	case MB2_TAG_MODULE:
		take_module((const void *)t);
		break;
	case MB2_TAG_MMAP:
		take_mmap((const void *)t);
		break;
	case MB2_TAG_ACPI_OLD:
		take_rsdp(t, 20);
		break;
	case MB2_TAG_ACPI_NEW:
		take_rsdp(t, 36);
		break;
	default:
		break; /* tags we do not use (framebuffer, ELF sections, ...) */
	}
}

int nk_mb2_parse(uint64_t info_paddr)
{
	const uint8_t *info = (const uint8_t *)info_paddr;
	uint32_t total = *(const uint32_t *)info;
	size_t off = 8;

	nk_boot_info.protocol = NK_BOOT_MULTIBOOT2;
	if (total < 16 || total > MB2_MAX_INFO_SIZE) {
		nk_err("multiboot2: boot information of %u bytes is not plausible", total);
		return -EINVAL;
	}
	while (off + sizeof(struct mb2_tag) <= total) {
		const struct mb2_tag *t = (const void *)(info + off);

		if (t->type == MB2_TAG_END)
			break;
		if (t->size < sizeof(*t) || t->size > total - off) {
			nk_err("multiboot2: tag %u at offset %zu has bad size %u", t->type, off,
			       t->size);
			return -EINVAL;
		}
		take_tag(t);
		off += NK_ALIGN_UP((size_t)t->size, 8);
	}
	if (!nk_boot_info.nr_mmap) {
		nk_err("multiboot2: no memory map tag");
		return -EINVAL;
	}
	return 0;
}
