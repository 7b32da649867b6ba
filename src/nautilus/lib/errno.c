/* nk_strerror: the symbolic name of an error code, for messages. */
#include <nautilus/compiler.h>
#include <nautilus/errno.h>

static const char *const names[] = {
	[EPERM] = "EPERM",
	[ENOENT] = "ENOENT",
	[EIO] = "EIO",
	[E2BIG] = "E2BIG",
	[ENOEXEC] = "ENOEXEC",
	[EBADF] = "EBADF",
	[EAGAIN] = "EAGAIN",
	[ENOMEM] = "ENOMEM",
	[EFAULT] = "EFAULT",
	[EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST",
	[ENODEV] = "ENODEV",
	[EINVAL] = "EINVAL",
	[ENOSPC] = "ENOSPC",
	[ERANGE] = "ERANGE",
	[EDEADLK] = "EDEADLK",
	[ENOSYS] = "ENOSYS",
	[ENAMETOOLONG] = "ENAMETOOLONG",
	[EMSGSIZE] = "EMSGSIZE",
	[ENOTSUP] = "ENOTSUP",
	[ENETDOWN] = "ENETDOWN",
	[ETIMEDOUT] = "ETIMEDOUT",
	[ECANCELED] = "ECANCELED",
};

/*
 * Accepts err or -err. Codes without a name give the constant "unknown error" rather than a
 * number formatted into a static buffer, which would race between CPUs: callers that may see
 * such codes print the number beside the name.
 */
const char *nk_strerror(int err)
{
	unsigned int e = err < 0 ? -(unsigned int)err : (unsigned int)err;

	if (e == 0)
		return "OK";
	if (e < NK_ARRAY_SIZE(names) && names[e])
		return names[e];
	return "unknown error";
}
