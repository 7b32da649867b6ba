/* Bounded string helpers that the C library lacks (nk_strlcpy). */
#include <nautilus/string.h>

/*
 * Copies at most size-1 bytes and terminates whenever size > 0; the return value is
 * strlen(src), so truncation is detected with ret >= size (as BSD's strlcpy).
 */
size_t nk_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
