# nk_snprintf against glibc (table and random formats), plus the in-kernel "format" suite.
HOST_TESTS += format
format_SRCS := src/nautilus/lib/format.c src/nautilus/lib/logring.c tests/host/test_format.c \
	tests/host/test_kcases.c
$(HOST_OUT)/test_format: src/test/test_format.c
