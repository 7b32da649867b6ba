# Kernel command line parsing: random lines of good and bad flags, plus the in-kernel suite.
HOST_TESTS += cmdline
cmdline_SRCS := src/nautilus/lib/cmdline.c src/nautilus/lib/format.c \
	src/nautilus/lib/strutil.c tests/host/test_cmdline.c tests/host/test_kcases.c
$(HOST_OUT)/test_cmdline: src/test/test_cmdline.c
