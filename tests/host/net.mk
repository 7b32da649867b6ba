# The net-device class (queue, callbacks, length checks, blocking paths) over a fake driver,
# and the ARP frame helpers.
HOST_TESTS += net
net_SRCS := src/nautilus/dev/netdev.c src/nautilus/dev/dev.c src/nautilus/dev/arp.c \
	src/nautilus/lib/format.c tests/host/test_net.c
