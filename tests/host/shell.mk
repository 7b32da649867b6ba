# Host unit tests of the root shell's line editor and tokenizer.
HOST_TESTS += shell
shell_SRCS := src/nautilus/shell/editor.c src/nautilus/shell/tokenize.c tests/host/test_shell.c
shell_CFLAGS := -Isrc/nautilus/shell
