/*
 * Kernel command line: loglevel=N, test=<glob>[,<glob>], shell=0|1, quiet.
 * Unknown or malformed flags produce a warning naming the flag and the accepted ones; parsing
 * goes on with the rest.
 */
#ifndef NK_NAUTILUS_CMDLINE_H
#define NK_NAUTILUS_CMDLINE_H

#include <nautilus/types.h>

#define NK_CMDLINE_TEST_MAX 256

struct nk_cmdline {
	int loglevel;			 /* console threshold, 0..7; default NK_LOG_INFO */
	bool quiet;			 /* only warnings and worse on the console */
	bool shell;			 /* start the root shell (default true) */
	bool run_tests;			 /* test= was given */
	char tests[NK_CMDLINE_TEST_MAX]; /* comma-separated globs */
	int nr_warnings;		 /* flags that were rejected */
};

/* The options of this boot. */
extern struct nk_cmdline nk_cmdline;

/*
 * Parse a command line into opts (defaults first). Each problem is reported through warn
 * (one call per problem, a full message). Returns the number of problems.
 */
int nk_cmdline_parse(const char *line, struct nk_cmdline *opts, void (*warn)(const char *msg));

#endif
