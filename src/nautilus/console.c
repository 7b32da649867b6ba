/*
 * The list of consoles: output goes to every one, input comes from the input char device once
 * there is one (the thread sleeps until a byte arrives), before that from any console that has
 * input, polled.
 */
#include <nautilus/arch.h>
#include <nautilus/chardev.h>
#include <nautilus/console.h>
#include <nautilus/spinlock.h>

static struct nk_console *consoles;
static struct nk_spinlock lock = NK_SPINLOCK_INIT;
static struct nk_char_dev *input;

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

/* con->next is left as it is: a writer walking the list meanwhile still reaches the end. */
void nk_console_unregister(struct nk_console *con)
{
	unsigned long flags = nk_spin_lock_irqsave(&lock);

	for (struct nk_console **p = &consoles; *p; p = &(*p)->next) {
		if (*p == con) {
			*p = con->next;
			break;
		}
	}
	nk_spin_unlock_irqrestore(&lock, flags);
}

/* Callers serialize whole lines (printk's lock); this only walks the list. */
void nk_console_write(const char *buf, size_t len)
{
	for (struct nk_console *c = consoles; c; c = c->next)
		c->write(buf, len);
}

void nk_console_flush(void)
{
	for (struct nk_console *c = consoles; c; c = c->next)
		if (c->flush)
			c->flush();
}

void nk_console_set_input(struct nk_char_dev *cdev)
{
	__atomic_store_n(&input, cdev, __ATOMIC_RELEASE);
}

static int input_read(int flags)
{
	struct nk_char_dev *in = __atomic_load_n(&input, __ATOMIC_ACQUIRE);
	uint8_t c;

	if (!in)
		return -1;
	return nk_char_read(in, &c, 1, flags) == 1 ? c : -1;
}

int nk_console_trygetc(void)
{
	int ch = input_read(NK_CHAR_NONBLOCK);

	for (struct nk_console *c = consoles; c && ch < 0; c = c->next)
		ch = c->getc ? c->getc() : -1;
	return ch;
}

/* A failed input device (its read returns an error) leaves the polled consoles. */
int nk_console_getc(void)
{
	int ch = input_read(0);

	while (ch < 0 && (ch = nk_console_trygetc()) < 0)
		__builtin_ia32_pause();
	return ch;
}
