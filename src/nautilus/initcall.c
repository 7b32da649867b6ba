/* Run the registered init calls in level order; a failure is logged, fatal only if required. */
#include <nautilus/errno.h>
#include <nautilus/init.h>
#include <nautilus/panic.h>
#include <nautilus/printk.h>

extern const struct nk_initcall __nk_initcalls_start[], __nk_initcalls_end[];

void nk_initcalls_run(void)
{
	for (const struct nk_initcall *c = __nk_initcalls_start; c < __nk_initcalls_end; c++) {
		int err = c->fn();

		if (!err)
			continue;
		if (c->required)
			panic("required init call %s failed: %s", c->name, nk_strerror(err));
		nk_err("init call %s failed: %s; continuing without it", c->name, nk_strerror(err));
	}
}
