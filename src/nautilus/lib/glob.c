/* Shell-style glob matching of names, used to select tests ("kmem.*", "buddy.split*"). */
#include <nautilus/string.h>

/*
 * Match c against the class that starts after '['; *end is set after the closing ']'.
 * Returns 1 on a match, 0 on none, -1 when the class has no ']' (the '[' is then an ordinary
 * character, as in POSIX). '!' or '^' first negates; ']' first and '-' first or last are
 * literal; a range whose ends are reversed matches nothing.
 */
static int match_class(const char *p, char c, const char **end)
{
	bool negate = *p == '!' || *p == '^';
	bool found = false;
	const char *q = p + negate;

	do {
		if (!*q)
			return -1;
		if (q[1] == '-' && q[2] && q[2] != ']') {
			found |= (unsigned char)c >= (unsigned char)q[0] &&
				 (unsigned char)c <= (unsigned char)q[2];
			q += 3;
		} else {
			found |= c == *q;
			q++;
		}
	} while (*q != ']');
	*end = q + 1;
	return found != negate;
}

/* Match one pattern element (not '*') against c; on success *p moves past the element. */
static bool match_one(const char **p, char c)
{
	const char *end;
	int r;

	switch (**p) {
	case '\0':
		return false;
	case '?':
		(*p)++;
		return true;
	case '[':
		r = match_class(*p + 1, c, &end);
		if (r >= 0) {
			if (r)
				*p = end;
			return r;
		}
		break;
	}
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/*
 * '*' matches any run of characters ('.' and '/' included), '?' any one character, [...] one
 * character of a class. There is no escape character. Linear backtracking: only the last '*'
 * is ever retried, which is enough because every other element matches exactly one character.
 */
bool nk_glob_match(const char *pattern, const char *str)
{
	const char *p = pattern, *s = str;
	const char *star_p = NULL, *star_s = NULL;

	while (*s) {
		if (*p == '*') {
			star_p = ++p;
			star_s = s;
		} else if (match_one(&p, *s)) {
			s++;
		} else if (star_p) {
			p = star_p;
			s = ++star_s;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}
