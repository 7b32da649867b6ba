/* Integer parsing for command lines and shell arguments: strict, whole-string, -errno. */
#include <nautilus/errno.h>
#include <nautilus/string.h>

/* Value of digit c, or 36 (larger than any base) if c is not a digit or letter. */
static unsigned int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 36;
}

/* Resolve base 0 from the prefix and skip a "0x" prefix in base 16; returns the base. */
static int take_prefix(const char **s, int base)
{
	bool hex = (*s)[0] == '0' && ((*s)[1] == 'x' || (*s)[1] == 'X');

	if ((base == 0 || base == 16) && hex) {
		*s += 2;
		return 16;
	}
	if (base == 0)
		return (*s)[0] == '0' ? 8 : 10;
	return base;
}

/*
 * No sign, no spaces, at least one digit, nothing after the digits: "0x" alone, "12k" and ""
 * are -EINVAL. A value that does not fit is -ERANGE unless the string also has junk (-EINVAL
 * wins: it was not a number at all). Bases 2..36 or 0; *out is written only on success.
 */
int nk_parse_u64(const char *s, int base, uint64_t *out)
{
	uint64_t v = 0;
	bool overflow = false;

	if (!s || base < 0 || base == 1 || base > 36)
		return -EINVAL;
	base = take_prefix(&s, base);
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = digit_value(*s);

		if (d >= (unsigned int)base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		v = v * base + d;
	}
	if (overflow)
		return -ERANGE;
	*out = v;
	return 0;
}

/* An optional '+' or '-', then nk_parse_u64 with base 0; range LONG_MIN..LONG_MAX. */
int nk_parse_long(const char *s, long *out)
{
	bool neg;
	uint64_t mag;
	int err;

	if (!s)
		return -EINVAL;
	neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	err = nk_parse_u64(s, 0, &mag);
	if (err)
		return err;
	if (mag > (uint64_t)__LONG_MAX__ + neg)
		return -ERANGE;
	*out = neg ? (long)(0 - mag) : (long)mag;
	return 0;
}
