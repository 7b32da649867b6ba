/* What tests/host/host_stubs.c captures, for host tests to inspect. */
#ifndef NK_TESTS_HOST_STUBS_H
#define NK_TESTS_HOST_STUBS_H
#include <stddef.h>
extern char nk_host_last_log[512];
extern int nk_host_log_count;
extern char nk_host_console[65536];
extern size_t nk_host_console_len;
/* What nk_mm_this_cpu answers: the CPU id (< NK_MAX_CPUS) and its node (a listed one). */
extern int nk_host_cpu_id;
extern int nk_host_cpu_node;
/* Run the in-kernel cases the host test #included (tests/host/test_kcases.c). */
int nk_host_run_kcases(const char *group);
#endif
