/* String and memory functions (freestanding kernel versions; the host build uses libc's). */
#ifndef NK_NAUTILUS_STRING_H
#define NK_NAUTILUS_STRING_H

#include <nautilus/types.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *hay, const char *needle);

/* Copy at most size-1 bytes and always terminate; returns strlen(src). */
size_t nk_strlcpy(char *dst, const char *src, size_t size);

/*
 * Parse an unsigned integer: decimal, 0x hex, 0 octal, or with base given.
 * The whole string must be consumed; overflow gives -ERANGE, junk gives -EINVAL.
 */
int nk_parse_u64(const char *s, int base, uint64_t *out);
int nk_parse_long(const char *s, long *out);

/* Shell-style glob: '*', '?', '[abc]', '[a-z]', '[!x]'. */
bool nk_glob_match(const char *pattern, const char *str);

#endif
