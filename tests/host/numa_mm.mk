# The mm stack on a four-node machine over host memory, then the in-kernel suites numa, buddy
# and kmem on it (tests/host/test_numa_mm.c includes them).
HOST_TESTS += numa_mm
numa_mm_SRCS := src/nautilus/mm/buddy.c src/nautilus/mm/zone.c src/nautilus/mm/kmem.c \
	src/nautilus/mm/kmem_cache.c src/nautilus/mm/bootmem.c src/nautilus/mm/meminfo.c \
	src/nautilus/numa.c src/nautilus/boot_info.c tests/host/test_numa_mm.c \
	tests/host/test_kcases.c
$(HOST_OUT)/test_numa_mm: src/test/test_numa.c src/test/test_buddy.c src/test/test_kmem.c \
	$(wildcard src/nautilus/mm/*.h)
