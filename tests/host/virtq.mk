# The split virtqueue (src/dev/virtio/virtq.c) against a fake device: chains, exhaustion,
# 16-bit index wrap-around, and a device that writes impossible used entries.
HOST_TESTS += virtq
virtq_SRCS := src/dev/virtio/virtq.c tests/host/test_virtq.c
