/* The list of consoles: output goes to every one, input comes from any that has it. */
#include <nautilus/arch.h>
#include <nautilus/console.h>
#include <nautilus/spinlock.h>

static struct nk_console *consoles;
static struct nk_spinlock lock = NK_SPINLOCK_INIT;

void nk_console_register(struct nk_console *con)
{
	unsigned long flags = nk_spin_lock_irqsave(&lock);
	struct nk_console **tail = &consoles;

	while (*tail)
		tail = &(*tail)->next;
	con->next = NULL;
	*tail = con;
	nk_spin_unlock_irqrestore(&lock, flags);
}

/* Callers serialize whole lines (printk's lock); this only walks the list. */
void nk_console_write(const char *buf, size_t len)
{
	for (struct nk_console *c = consoles; c; c = c->next)
		c->write(buf, len);
}

int nk_console_trygetc(void)
{
	for (struct nk_console *c = consoles; c; c = c->next) {
		int ch = c->getc ? c->getc() : -1;

		if (ch >= 0)
			return ch;
	}
	return -1;
}

int nk_console_getc(void)
{
	int ch;

	while ((ch = nk_console_trygetc()) < 0)
		__builtin_ia32_pause();
	return ch;
}
