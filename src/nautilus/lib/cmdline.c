/*
 * The kernel command line: whitespace-separated flags parsed into struct nk_cmdline.
 * A bad flag is reported and skipped; it never stops the boot or the rest of the line.
 */
#include <nautilus/cmdline.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

/*
 * Besides the flags of cmdline.h, two forms are accepted and ignored without a warning:
 * BOOT_IMAGE=<path>, which GRUB's linux loader and some other boot loaders prepend, and "--",
 * which ends the kernel's flags (what follows is not the kernel's: it is kept free for a program
 * linked into the image, and nothing reads it yet).
 * Quotes are not interpreted. The last of repeated flags wins.
 */
#define ACCEPTED "loglevel=0..7 test=<glob>[,<glob>] shell=0|1 quiet"

/* A flag longer than this is quoted cut, followed by "...", in warnings. */
#define QUOTE_MAX 64

struct nk_cmdline nk_cmdline = { .loglevel = NK_LOG_INFO, .shell = true };

struct flag {
	const char *name;
	bool has_value;	    /* written name=value; otherwise a bare name */
	const char *expect; /* the accepted values, for the warning */
	/* Store the value [val, val+len); false if it is not acceptable. */
	bool (*set)(struct nk_cmdline *o, const char *val, size_t len);
};

static bool set_loglevel(struct nk_cmdline *o, const char *val, size_t len)
{
	if (len != 1 || val[0] < '0' || val[0] > '7')
		return false;
	o->loglevel = val[0] - '0';
	return true;
}

static bool set_shell(struct nk_cmdline *o, const char *val, size_t len)
{
	if (len != 1 || (val[0] != '0' && val[0] != '1'))
		return false;
	o->shell = val[0] == '1';
	return true;
}

/* A non-empty list of non-empty globs that fits in o->tests with its terminator. */
static bool set_tests(struct nk_cmdline *o, const char *val, size_t len)
{
	if (len == 0 || len >= sizeof(o->tests) || val[0] == ',' || val[len - 1] == ',')
		return false;
	for (size_t i = 1; i < len; i++)
		if (val[i] == ',' && val[i - 1] == ',')
			return false;
	memcpy(o->tests, val, len);
	o->tests[len] = '\0';
	o->run_tests = true;
	return true;
}

static bool set_quiet(struct nk_cmdline *o, const char *val __nk_unused, size_t len __nk_unused)
{
	o->quiet = true;
	return true;
}

static bool ignore(struct nk_cmdline *o __nk_unused, const char *val __nk_unused,
		   size_t len __nk_unused)
{
	return true;
}

/* The test= message below says 255. */
_Static_assert(NK_CMDLINE_TEST_MAX == 256, "update the test= message");

static const struct flag flags[] = {
	{ "loglevel", true, "0..7", set_loglevel },
	{ "test", true, "<glob>[,<glob>] with no empty glob, at most 255 bytes", set_tests },
	{ "shell", true, "0 or 1", set_shell },
	{ "quiet", false, "no value", set_quiet },
	{ "BOOT_IMAGE", true, "a path", ignore },
};

static const struct flag *find_flag(const char *name, size_t len)
{
	for (size_t i = 0; i < NK_ARRAY_SIZE(flags); i++)
		if (strlen(flags[i].name) == len && !strncmp(flags[i].name, name, len))
			return &flags[i];
	return NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Apply one flag [tok, tok+len); on a problem, format the warning into msg and return false. */
static bool apply(struct nk_cmdline *o, const char *tok, size_t len, char *msg, size_t size)
{
	size_t name_len = 0;
	bool has_eq;
	const struct flag *f;
	int quoted = len > QUOTE_MAX ? QUOTE_MAX : (int)len;
	const char *more = len > QUOTE_MAX ? "..." : "";

	while (name_len < len && tok[name_len] != '=')
		name_len++;
	has_eq = name_len < len;
	f = find_flag(tok, name_len);
	if (!f) {
		nk_snprintf(msg, size, "cmdline: unknown flag \"%.*s%s\" ignored (accepted: %s)",
			    quoted, tok, more, ACCEPTED);
		return false;
	}
	if (f->has_value == has_eq && f->set(o, tok + name_len + has_eq, len - name_len - has_eq))
		return true;
	nk_snprintf(msg, size, "cmdline: bad value in \"%.*s%s\" (expected %s)", quoted, tok, more,
		    f->expect);
	return false;
}

static void set_defaults(struct nk_cmdline *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->loglevel = NK_LOG_INFO;
	opts->shell = true;
}

int nk_cmdline_parse(const char *line, struct nk_cmdline *opts, void (*warn)(const char *msg))
{
	char msg[256];

	set_defaults(opts);
	while (line && *line) {
		const char *tok;
		size_t len;

		while (is_space(*line))
			line++;
		tok = line;
		while (*line && !is_space(*line))
			line++;
		len = line - tok;
		if (len == 2 && tok[0] == '-' && tok[1] == '-')
			break;
		if (len == 0 || apply(opts, tok, len, msg, sizeof(msg)))
			continue;
		opts->nr_warnings++;
		if (warn)
			warn(msg);
	}
	return opts->nr_warnings;
}
