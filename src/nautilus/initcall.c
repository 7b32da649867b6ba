/* Run the registered init calls in level order; a failure is logged, fatal only if required. */
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>

extern const struct nk_initcall __nk_initcalls_start[], __nk_initcalls_end[];

int nk_initcalls_run_list(const struct nk_initcall *calls, size_t n)
{
	int failures = 0;

	for (const struct nk_initcall *c = calls; c < calls + n; c++) {
		int err = c->fn();

		if (!err)
			continue;
		if (c->required)
			panic("required init call %s failed: %s", c->name, nk_strerror(err));
		nk_err("init call %s failed: %s; continuing without it", c->name, nk_strerror(err));
		failures++;
	}
	return failures;
}

const struct nk_initcall *nk_initcalls_table(size_t *n)
{
	*n = __nk_initcalls_end - __nk_initcalls_start;
	return __nk_initcalls_start;
}

void nk_initcalls_run(void)
{
	size_t n;
	const struct nk_initcall *calls = nk_initcalls_table(&n);

	nk_initcalls_run_list(calls, n);
}
