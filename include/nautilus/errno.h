/* Error numbers, with Linux's values so host builds that also see <errno.h> agree. */
#ifndef NK_NAUTILUS_ERRNO_H
#define NK_NAUTILUS_ERRNO_H

#define EPERM	     1
#define ENOENT	     2
#define EIO	     5
#define E2BIG	     7
#define ENOEXEC	     8
#define EBADF	     9
#define EAGAIN	     11
#define ENOMEM	     12
#define EFAULT	     14
#define EBUSY	     16
#define EEXIST	     17
#define ENODEV	     19
#define EINVAL	     22
#define ENOSPC	     28
#define ERANGE	     34
#define EDEADLK	     35
#define ENOSYS	     38
#define ENAMETOOLONG 36
#define EMSGSIZE     90
#define ENOTSUP	     95
#define ENETDOWN     100
#define ETIMEDOUT    110
#define ECANCELED    125

/* Pointer returns that carry an error: NULL-free, like Linux's ERR_PTR. */
#define NK_MAX_ERRNO  4095
#define NK_ERR_PTR(e) ((void *)(long)(e))
#define NK_PTR_ERR(p) ((long)(p))
#define NK_IS_ERR(p)  ((unsigned long)(p) >= (unsigned long)-NK_MAX_ERRNO)

/* A short name for an error code ("ENOMEM"), for messages. */
const char *nk_strerror(int err);

#endif
