# The whole mm stack over host memory (boot allocator, zones, kmem, meminfo), then the in-kernel
# suites src/test/test_buddy.c and src/test/test_kmem.c, which tests/host/test_kmem.c includes.
HOST_TESTS += kmem
kmem_SRCS := src/nautilus/mm/buddy.c src/nautilus/mm/zone.c src/nautilus/mm/kmem.c \
	src/nautilus/mm/kmem_cache.c src/nautilus/mm/bootmem.c src/nautilus/mm/meminfo.c \
	src/nautilus/numa.c tests/host/test_kmem.c tests/host/test_kcases.c src/nautilus/boot_info.c
$(HOST_OUT)/test_kmem: src/test/test_buddy.c src/test/test_kmem.c $(wildcard src/nautilus/mm/*.h)
