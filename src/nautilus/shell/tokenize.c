/* Splitting a shell line into words, in place. Pure code, also built for host unit tests. */
#include <nautilus/errno.h>
#include <nautilus/shell.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Words are separated by spaces or tabs. A double-quoted part belongs to the word around it
 * (a"b c"d is the one word "ab cd") and "" is an empty word. Words are written in place, each
 * NUL-terminated; argv gets at most max_args of them.
 * Returns argc, -E2BIG for more than max_args words, -EINVAL for a quote that is not closed.
 */
int nk_shell_tokenize(char *line, char **argv, int max_args)
{
	char *src = line, *dst;
	int argc = 0;
	bool quoted;
	char sep;

	for (;;) {
		while (is_space(*src))
			src++;
		if (!*src)
			return argc;
		if (argc == max_args)
			return -E2BIG;
		argv[argc++] = dst = src;
		for (quoted = false; *src && (quoted || !is_space(*src)); src++) {
			if (*src == '"')
				quoted = !quoted;
			else
				*dst++ = *src;
		}
		if (quoted)
			return -EINVAL;
		sep = *src; /* read before the terminator below may overwrite it */
		*dst = '\0';
		if (sep)
			src++;
	}
}
