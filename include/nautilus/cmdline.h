/*
 * Kernel command line: loglevel=N, test=<glob>[,<glob>], bench=<glob>, shell=0|1, quiet, and
 * the machine the test runner expects (expect_cpus=N, expect_nodes=N, expect_dist=d,d,...),
 * which the tests compare with what the firmware reports.
 * Unknown or malformed flags produce a warning naming the flag and the accepted ones; parsing
 * goes on with the rest.
 */
#ifndef NK_NAUTILUS_CMDLINE_H
#define NK_NAUTILUS_CMDLINE_H

#include <nautilus/types.h>

#define NK_CMDLINE_TEST_MAX  256
#define NK_CMDLINE_BENCH_MAX 64
/* expect_cpus and expect_nodes: 1..these (bounds on what QEMU builds, not the kernel's). */
#define NK_CMDLINE_MAX_CPUS  1024
#define NK_CMDLINE_MAX_NODES 64
/* expect_dist: an N x N matrix with N <= 8. */
#define NK_CMDLINE_DIST_MAX 64

struct nk_cmdline {
	int loglevel;			  /* console threshold, 0..7; default NK_LOG_INFO */
	bool quiet;			  /* only warnings and worse on the console */
	bool shell;			  /* start the root shell (default true) */
	bool run_tests;			  /* test= was given */
	char tests[NK_CMDLINE_TEST_MAX];  /* comma-separated globs */
	bool run_bench;			  /* bench= was given */
	char bench[NK_CMDLINE_BENCH_MAX]; /* one glob of benchmark names */
	int nr_warnings;		  /* flags that were rejected */
	/* The machine the runner asked QEMU for; 0 / none: not given. */
	int expect_cpus;			  /* enabled CPUs */
	int expect_nodes;			  /* NUMA nodes */
	int nr_expect_dist;			  /* values in expect_dist: N * N for N nodes */
	uint8_t expect_dist[NK_CMDLINE_DIST_MAX]; /* SLIT distances, row-major */
};

/* The options of this boot. */
extern struct nk_cmdline nk_cmdline;

/*
 * Parse a command line into opts (defaults first). Each problem is reported through warn
 * (one call per problem, a full message). Returns the number of problems.
 */
int nk_cmdline_parse(const char *line, struct nk_cmdline *opts, void (*warn)(const char *msg));

#endif
