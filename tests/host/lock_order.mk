# The lock checker's bookkeeping: held-lock stacks, the table of lock orders and its eviction.
HOST_TESTS += lock_order
lock_order_SRCS := src/nautilus/sync/lock_order.c tests/host/test_lock_order.c
