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
#define ACCEPTED                                                           \
	"loglevel=0..7 test=<glob>[,<glob>] bench=<glob> shell=0|1 quiet " \
	"expect_cpus=N expect_nodes=N expect_dist=d,d,..."

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

/*
 * One non-empty glob that fits in o->bench with its terminator. Benchmark names have no comma,
 * and the Linux side of "make bench" takes a single glob: a comma is refused rather than
 * silently matching nothing.
 */
static bool set_bench(struct nk_cmdline *o, const char *val, size_t len)
{
	if (len == 0 || len >= sizeof(o->bench))
		return false;
	for (size_t i = 0; i < len; i++)
		if (val[i] == ',')
			return false;
	memcpy(o->bench, val, len);
	o->bench[len] = '\0';
	o->run_bench = true;
	return true;
}

/*
 * A decimal number [val, val+len) in min..max: digits only (no sign, no space, no 0x).
 * max is small (see the callers), so v * 10 + 9 cannot overflow.
 */
static bool parse_dec(const char *val, size_t len, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	unsigned int v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (val[i] < '0' || val[i] > '9')
			return false;
		v = v * 10 + (unsigned int)(val[i] - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

static bool set_expect_cpus(struct nk_cmdline *o, const char *val, size_t len)
{
	unsigned int n;

	if (!parse_dec(val, len, 1, NK_CMDLINE_MAX_CPUS, &n))
		return false;
	o->expect_cpus = (int)n;
	return true;
}

static bool set_expect_nodes(struct nk_cmdline *o, const char *val, size_t len)
{
	unsigned int n;

	if (!parse_dec(val, len, 1, NK_CMDLINE_MAX_NODES, &n))
		return false;
	o->expect_nodes = (int)n;
	return true;
}

static bool is_square(int n)
{
	for (int k = 1; k * k <= n; k++)
		if (k * k == n)
			return true;
	return false;
}

/* N * N comma-separated distances 0..255 (no empty one), at most NK_CMDLINE_DIST_MAX. */
static bool set_expect_dist(struct nk_cmdline *o, const char *val, size_t len)
{
	uint8_t dist[NK_CMDLINE_DIST_MAX];
	size_t start = 0;
	int n = 0;

	for (size_t i = 0; i <= len; i++) {
		unsigned int d;

		if (i < len && val[i] != ',')
			continue;
		if (n == NK_CMDLINE_DIST_MAX || !parse_dec(val + start, i - start, 0, 255, &d))
			return false;
		dist[n++] = (uint8_t)d;
		start = i + 1;
	}
	if (!is_square(n))
		return false;
	memcpy(o->expect_dist, dist, (size_t)n);
	o->nr_expect_dist = n;
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

/* The messages below say 255, 63, 1024, 64 and 8. */
_Static_assert(NK_CMDLINE_TEST_MAX == 256, "update the test= message");
_Static_assert(NK_CMDLINE_BENCH_MAX == 64, "update the bench= message");
_Static_assert(NK_CMDLINE_MAX_CPUS == 1024, "update the expect_cpus= message");
_Static_assert(NK_CMDLINE_MAX_NODES == 64, "update the expect_nodes= message");
_Static_assert(NK_CMDLINE_DIST_MAX == 8 * 8, "update the expect_dist= message");

static const struct flag flags[] = {
	{ "loglevel", true, "0..7", set_loglevel },
	{ "test", true, "<glob>[,<glob>] with no empty glob, at most 255 bytes", set_tests },
	{ "bench", true, "one <glob> of benchmark names, no comma, at most 63 bytes", set_bench },
	{ "shell", true, "0 or 1", set_shell },
	{ "quiet", false, "no value", set_quiet },
	{ "expect_cpus", true, "a number of CPUs, 1..1024", set_expect_cpus },
	{ "expect_nodes", true, "a number of NUMA nodes, 1..64", set_expect_nodes },
	{ "expect_dist", true,
	  "N*N comma-separated distances 0..255, row-major, for N = 1..8 nodes", set_expect_dist },
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
