# The kernel log ring: random appends of random sizes checked against the appended history.
HOST_TESTS += logring
logring_SRCS := src/nautilus/lib/logring.c tests/host/test_logring.c
