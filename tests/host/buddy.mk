# The buddy allocator alone, over host memory.
HOST_TESTS += buddy
buddy_SRCS := src/nautilus/mm/buddy.c tests/host/test_buddy.c
$(HOST_OUT)/test_buddy: src/nautilus/mm/buddy.h
