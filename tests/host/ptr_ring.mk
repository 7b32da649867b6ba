# The message queue's pointer ring (src/nautilus/sync/ptr_ring.h) against a model FIFO.
HOST_TESTS += ptr_ring
ptr_ring_SRCS := tests/host/test_ptr_ring.c
$(HOST_OUT)/test_ptr_ring: src/nautilus/sync/ptr_ring.h
