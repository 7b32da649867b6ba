/*
 * Threads and the scheduler from the shell: threads (the thread table), sched (per-CPU
 * statistics), sleep (the shell's thread sleeps) and burn (spinning threads to watch
 * preemption and stealing with the other two).
 *
 * Durations are a whole number with a unit, ns, us, ms or s ("10ms", "2s"); a bare number is
 * milliseconds, as in "burn 4 500".
 */
#include <nautilus/cpu.h>
#include <nautilus/errno.h>
#include <nautilus/kernel.h>
#include <nautilus/printk.h>
#include <nautilus/sched.h>
#include <nautilus/shell.h>
#include <nautilus/string.h>
#include <nautilus/thread.h>
#include <nautilus/time.h>
#include <nautilus/timer.h>

#include "shell_internal.h"

#define US		 1000ULL
#define MS		 1000000ULL
#define SEC		 1000000000ULL
#define SLEEP_MAX_NS	 (3600 * SEC) /* an hour: a typo should not take the shell for longer */
#define BURN_MAX_THREADS 64
#define BURN_DEFAULT_NS	 (1 * SEC)
#define BURN_MAX_NS	 (60 * SEC)

/* --- durations --- */

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = { { "ns", 1 }, { "us", US }, { "ms", MS }, { "s", SEC }, { "", MS } };

/* "<digits><unit>" of at most max_ns into *ns: 0, -EINVAL (not a duration) or -ERANGE. */
static int parse_duration(const char *s, uint64_t max_ns, uint64_t *ns)
{
	char digits[24];
	size_t n = 0;
	uint64_t v;
	int err;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (!n)
		return -EINVAL;
	if (n >= sizeof(digits))
		return -ERANGE;
	memcpy(digits, s, n);
	digits[n] = '\0';
	err = nk_parse_u64(digits, 10, &v);
	if (err)
		return err;
	for (size_t i = 0; i < NK_ARRAY_SIZE(units); i++) {
		if (strcmp(s + n, units[i].suffix))
			continue;
		if (v > max_ns / units[i].ns)
			return -ERANGE;
		*ns = v * units[i].ns;
		return 0;
	}
	return -EINVAL;
}

/* Parse a duration argument, explaining a refusal; -EINVAL (the dispatcher adds the usage). */
static int duration_arg(const char *cmd, const char *s, uint64_t max_ns, uint64_t *ns)
{
	int err = parse_duration(s, max_ns, ns);

	if (err == -ERANGE)
		nk_shell_printf("%s: duration \"%s\" is too long: at most %llu s\n", cmd, s,
				(unsigned long long)(max_ns / SEC));
	else if (err)
		nk_shell_printf(
			"%s: bad duration \"%s\": a whole number with ns, us, ms or s (a bare number is ms)\n",
			cmd, s);
	return err ? -EINVAL : 0;
}

/* --- threads --- */

/* Milliseconds with three decimals, e.g. "12.345". */
static void format_ms(char *buf, size_t size, uint64_t ns)
{
	nk_snprintf(buf, size, "%llu.%03llu", (unsigned long long)(ns / MS),
		    (unsigned long long)(ns / US % 1000));
}

/* One row; runs under the thread list's lock (nk_thread_for_each), so it only prints. */
static void thread_row(const struct nk_thread_info *ti, void *arg)
{
	char run[24], flags[4];
	int *count = arg, f = 0;

	format_ms(run, sizeof(run), ti->run_ns);
	if (ti->bound)
		flags[f++] = 'b';
	if (ti->detached)
		flags[f++] = 'd';
	if (ti->idle)
		flags[f++] = 'i';
	flags[f] = '\0';
	nk_shell_printf("%5llu %-20s %3d %-8s %4d %12s %8llu  %s\n", (unsigned long long)ti->number,
			ti->name[0] ? ti->name : "-", ti->cpu, nk_thread_state_name(ti->state),
			ti->prio, run, (unsigned long long)ti->switches_in, f ? flags : "-");
	(*count)++;
}

static int cmd_threads(int argc, char **argv __nk_unused)
{
	int count = 0;

	if (argc != 1)
		return -EINVAL;
	nk_shell_printf("%5s %-20s %3s %-8s %4s %12s %8s  %s\n", "id", "name", "cpu", "state",
			"prio", "run-ms", "switches", "flags");
	nk_thread_for_each(thread_row, &count);
	nk_shell_printf("%d threads (flags: b bound, d detached, i idle)\n", count);
	return 0;
}
NK_SHELL_CMD(threads, ": list the threads: id, name, CPU, state, priority, run time, switches",
	     cmd_threads);

/* --- sched --- */

/* Idle share of the CPU's accounted time, in tenths of a percent. */
static unsigned idle_permille(const struct nk_sched_stats *st)
{
	uint64_t total = st->idle_ns + st->busy_ns;

	return total ? (unsigned)(st->idle_ns * 1000 / total) : 1000;
}

static void sched_row(const struct nk_sched_stats *st)
{
	unsigned idle = idle_permille(st);

	nk_shell_printf("%3d %7d %8d %10llu %10llu %8llu %10llu %8llu %4u.%u%% %8s\n", st->cpu,
			st->threads, st->runnable, (unsigned long long)st->switches,
			(unsigned long long)st->preemptions, (unsigned long long)st->steals,
			(unsigned long long)st->timer_arms, (unsigned long long)st->wakeup_ipis,
			idle / 10, idle % 10, st->tickless ? "yes" : "no");
}

static int cmd_sched(int argc, char **argv __nk_unused)
{
	struct nk_sched_stats st;

	if (argc != 1)
		return -EINVAL;
	nk_shell_printf("%3s %7s %8s %10s %10s %8s %10s %8s %7s %8s\n", "cpu", "threads",
			"runnable", "switches", "preempts", "steals", "timer-arms", "ipis", "idle",
			"tickless");
	for (int cpu = 0; cpu < nk_cpu_count(); cpu++)
		if (nk_cpu_get(cpu)->state == NK_CPU_ONLINE && !nk_sched_get_stats(cpu, &st))
			sched_row(&st);
	return 0;
}
NK_SHELL_CMD(sched, ": per CPU: threads, queue, switches, preemptions, steals, timers, idle",
	     cmd_sched);

/* --- sleep --- */

static int cmd_sleep(int argc, char **argv)
{
	uint64_t ns;

	if (argc != 2 || duration_arg("sleep", argv[1], SLEEP_MAX_NS, &ns))
		return -EINVAL;
	nk_sleep(ns);
	return 0;
}
NK_SHELL_CMD(sleep, "<duration>: sleep the shell (10ms, 2s; a bare number is ms; up to 3600 s)",
	     cmd_sleep);

/* --- burn --- */

/* Spin, with PAUSE, until the time passed as input (nk_time_ns). */
static void burn(void *in, void **out)
{
	uint64_t end = (uintptr_t)in;

	while (nk_time_ns() < end)
		__builtin_ia32_pause();
}

/* n detached free threads named burn-<i> that spin until end; how many started, or -errno. */
static int start_burners(int n, uint64_t end)
{
	char name[NK_THREAD_NAME_LEN];
	nk_thread_id_t t;
	int i, err = 0;

	for (i = 0; i < n; i++) {
		err = nk_thread_create(burn, (void *)(uintptr_t)end, NULL, NK_THREAD_DETACHED, 0,
				       &t, NK_CPU_ANY);
		if (err)
			break;
		nk_snprintf(name, sizeof(name), "burn-%d", i);
		nk_thread_set_name(t, name);
		err = nk_thread_run(t);
		if (err)
			break;
	}
	return i ? i : err;
}

static int cmd_burn(int argc, char **argv)
{
	uint64_t n, ns = BURN_DEFAULT_NS;
	int started;

	if (argc < 2 || argc > 3)
		return -EINVAL;
	if (nk_parse_u64(argv[1], 10, &n) || n < 1 || n > BURN_MAX_THREADS) {
		nk_shell_printf("burn: bad thread count \"%s\": 1 to %d\n", argv[1],
				BURN_MAX_THREADS);
		return -EINVAL;
	}
	if (argc == 3 && duration_arg("burn", argv[2], BURN_MAX_NS, &ns))
		return -EINVAL;
	started = start_burners((int)n, nk_time_ns() + ns);
	if (started < 0)
		return started;
	nk_shell_printf("burn: %d thread%s spinning for %llu ms\n", started,
			started == 1 ? "" : "s", (unsigned long long)(ns / MS));
	if (started < (int)n)
		nk_shell_printf("burn: only %d of %llu threads could be created\n", started,
				(unsigned long long)n);
	return 0;
}
NK_SHELL_CMD(burn, "<threads> [duration]: start spinning threads (1-64, default 1 s, up to 60 s)",
	     cmd_burn);
