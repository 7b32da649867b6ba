# nk_strlcpy, nk_parse_u64/nk_parse_long (against strtoull/strtoll) and nk_glob_match
# (against fnmatch).
HOST_TESTS += strutil
strutil_SRCS := src/nautilus/lib/strutil.c src/nautilus/lib/parse.c src/nautilus/lib/glob.c \
	src/nautilus/lib/errno.c tests/host/test_strutil.c
