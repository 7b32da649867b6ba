# The kernel's own mem*/str* functions, renamed so they do not replace libc's in the test.
HOST_TESTS += string
string_funcs := memcpy memmove memset memcmp strlen strnlen strcmp strncmp strchr strrchr strstr
string_SRCS := src/nautilus/lib/string.c tests/host/test_string.c
string_CFLAGS := -fno-builtin $(foreach f,$(string_funcs),-D$(f)=nk_kstr_$(f))
