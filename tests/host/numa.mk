# The NUMA topology registry and the distance ordering of nodes (test_numa.c includes numa.c).
HOST_TESTS += numa
numa_SRCS := tests/host/test_numa.c
$(HOST_OUT)/test_numa: src/nautilus/numa.c
