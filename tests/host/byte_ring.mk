# The serial driver's RX/TX byte ring (src/dev/byte_ring.h) against a model FIFO.
HOST_TESTS += byte_ring
byte_ring_SRCS := tests/host/test_byte_ring.c
$(HOST_OUT)/test_byte_ring: src/dev/byte_ring.h
