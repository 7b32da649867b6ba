/*
 * nk_vsnprintf: printf-style formatting into a buffer, no floating point, no allocation.
 * For every conversion it supports, the output and return value equal glibc's snprintf.
 */
#include <nautilus/errno.h>
#include <nautilus/printk.h>
#include <nautilus/string.h>

/*
 * Supported: %d %i %u %x %X %o %c %s %p %%, flags "-0+ #", width and precision (numbers or
 * '*'), lengths hh h l ll z t j. Choices where C leaves it open follow glibc:
 *   %s of NULL prints "(null)", or nothing if the precision is below 6;
 *   %p prints like %#lx (flags, width and precision apply), NULL prints "(nil)";
 *   the '0' flag pads %s, %c and "(nil)" with spaces; %5% prints just "%".
 * Not supported, printed literally from '%' to the conversion character so the mistake shows:
 *   floating point (%f %e %g %a: the kernel is built without SSE), %n (never writes memory),
 *   wide %lc and %ls, positional "%1$d", the ' and I flags, L and q lengths.
 * %n, %lc and %ls still consume their argument so the ones after them print correctly; other
 * unknown conversions consume nothing (the argument type is unknown).
 * A result longer than INT_MAX bytes returns -ERANGE (glibc: -1 with EOVERFLOW).
 */

#define F_LEFT	0x01 /* '-': pad on the right */
#define F_ZERO	0x02 /* '0': pad numbers with zeros after the sign or prefix */
#define F_PLUS	0x04 /* '+': sign on non-negative signed numbers */
#define F_SPACE 0x08 /* ' ': space on non-negative signed numbers unless '+' */
#define F_ALT	0x10 /* '#': 0x/0X prefix, octal leading zero */

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

struct spec {
	unsigned int flags;
	int width; /* 0 when not given */
	int prec;  /* -1 when not given */
	enum length len;
	char conv; /* conversion character, '\0' if the format ended inside the spec */
};

/* The output buffer: bytes past size-1 are counted but not stored. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

/* How many of the next n bytes still fit before the terminating NUL's place. */
static size_t out_room(const struct out *o, size_t n)
{
	size_t room = o->len + 1 < o->size ? o->size - 1 - o->len : 0;

	return n < room ? n : room;
}

static void out_mem(struct out *o, const char *s, size_t n)
{
	size_t fit = out_room(o, n);

	if (fit)
		memcpy(o->buf + o->len, s, fit);
	o->len += n;
}

/* Padding past the end of the buffer is only counted, so a huge width stays cheap. */
static void out_pad(struct out *o, char c, size_t n)
{
	size_t fit = out_room(o, n);

	if (fit)
		memset(o->buf + o->len, c, fit);
	o->len += n;
}

/* Parse a decimal field, saturating at INT_MAX. */
static int parse_num(const char **p)
{
	long v = 0;

	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		if (v > __INT_MAX__)
			v = __INT_MAX__;
		(*p)++;
	}
	return (int)v;
}

/* The flag characters, in the bit order of F_LEFT..F_ALT. */
static unsigned int parse_flags(const char **p)
{
	static const char chars[] = "-0+ #";
	unsigned int flags = 0;
	const char *c;

	while (**p && (c = strchr(chars, **p))) {
		flags |= 1u << (c - chars);
		(*p)++;
	}
	return flags;
}

static enum length parse_length(const char **p)
{
	const char *s = *p;

	switch (*s) {
	case 'h':
		*p += s[1] == 'h' ? 2 : 1;
		return s[1] == 'h' ? LEN_HH : LEN_H;
	case 'l':
		*p += s[1] == 'l' ? 2 : 1;
		return s[1] == 'l' ? LEN_LL : LEN_L;
	case 'z':
		(*p)++;
		return LEN_Z;
	case 't':
		(*p)++;
		return LEN_T;
	case 'j':
		(*p)++;
		return LEN_J;
	default:
		return LEN_NONE;
	}
}

/* Parse the spec after '%'; *p ends after the conversion character. */
static void parse_spec(const char **p, va_list *ap, struct spec *sp)
{
	sp->flags = parse_flags(p);
	sp->width = 0;
	if (**p == '*') {
		int w = va_arg(*ap, int);

		(*p)++;
		if (w < 0) {
			sp->flags |= F_LEFT;
			w = w == -__INT_MAX__ - 1 ? __INT_MAX__ : -w;
		}
		sp->width = w;
	} else {
		sp->width = parse_num(p);
	}
	sp->prec = -1;
	if (**p == '.') {
		(*p)++;
		if (**p == '*') {
			int pr = va_arg(*ap, int);

			(*p)++;
			sp->prec = pr < 0 ? -1 : pr; /* negative: as if not given */
		} else {
			sp->prec = parse_num(p);
		}
	}
	sp->len = parse_length(p);
	sp->conv = **p;
	if (**p)
		(*p)++;
}

static uintmax_t fetch_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T:
		return (size_t)va_arg(*ap, ptrdiff_t); /* %tu: ptrdiff_t as unsigned */
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static intmax_t fetch_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
		return (ptrdiff_t)va_arg(*ap, size_t); /* %zd: the signed type of size_t */
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	default:
		return va_arg(*ap, int);
	}
}

/* Pad a field of n bytes to the width: before it (unless '-'); after it is out_pad_right. */
static void out_pad_left(struct out *o, const struct spec *sp, size_t n)
{
	if (!(sp->flags & F_LEFT) && (size_t)sp->width > n)
		out_pad(o, ' ', sp->width - n);
}

static void out_pad_right(struct out *o, const struct spec *sp, size_t n)
{
	if ((sp->flags & F_LEFT) && (size_t)sp->width > n)
		out_pad(o, ' ', sp->width - n);
}

static void format_str(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	out_pad_left(o, sp, n);
	out_mem(o, s, n);
	out_pad_right(o, sp, n);
}

/* Digits of v in base, most significant first, at the end of buf; returns their count. */
static size_t to_digits(uintmax_t v, unsigned int base, bool upper, char *end)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t n = 0;

	do {
		*--end = digits[v % base];
		v /= base;
		n++;
	} while (v);
	return n;
}

static unsigned int conv_base(char conv)
{
	if (conv == 'o')
		return 8;
	return (conv == 'x' || conv == 'X' || conv == 'p') ? 16 : 10;
}

/*
 * Lay out [pad][prefix][zeros][digits][pad]: the precision is the minimum digit count (zero
 * digits for 0 with precision 0), '0' turns the left padding into zeros unless a precision is
 * given, and "#o" guarantees a leading zero digit.
 */
static void format_int(struct out *o, const struct spec *sp, uintmax_t v, const char *prefix)
{
	char buf[24]; /* 22 octal digits of a 64-bit value */
	size_t nd = 0, np = strlen(prefix), zeros = 0, n;

	if (v != 0 || sp->prec != 0)
		nd = to_digits(v, conv_base(sp->conv), sp->conv == 'X', buf + sizeof(buf));
	if (sp->prec > 0 && (size_t)sp->prec > nd)
		zeros = sp->prec - nd;
	if (sp->conv == 'o' && (sp->flags & F_ALT) && zeros == 0 && (nd == 0 || v != 0))
		zeros = 1;
	n = np + zeros + nd;
	if ((sp->flags & (F_ZERO | F_LEFT)) == F_ZERO && sp->prec < 0 && (size_t)sp->width > n) {
		zeros += sp->width - n;
		n = sp->width;
	}
	out_pad_left(o, sp, n);
	out_mem(o, prefix, np);
	out_pad(o, '0', zeros);
	out_mem(o, buf + sizeof(buf) - nd, nd);
	out_pad_right(o, sp, n);
}

static const char *sign_prefix(const struct spec *sp, bool negative)
{
	if (negative)
		return "-";
	if (sp->flags & F_PLUS)
		return "+";
	return (sp->flags & F_SPACE) ? " " : "";
}

static void convert_signed(struct out *o, const struct spec *sp, va_list *ap)
{
	intmax_t v = fetch_signed(ap, sp->len);
	uintmax_t mag = v < 0 ? -(uintmax_t)v : (uintmax_t)v;

	format_int(o, sp, mag, sign_prefix(sp, v < 0));
}

static void convert_unsigned(struct out *o, const struct spec *sp, va_list *ap)
{
	uintmax_t v = fetch_unsigned(ap, sp->len);
	const char *prefix = "";

	if ((sp->flags & F_ALT) && v != 0 && sp->conv != 'o' && sp->conv != 'u')
		prefix = sp->conv == 'X' ? "0X" : "0x";
	format_int(o, sp, v, prefix);
}

static void convert_pointer(struct out *o, const struct spec *sp, va_list *ap)
{
	const void *p = va_arg(*ap, const void *);
	const char *prefix = "0x";

	if (!p) {
		format_str(o, sp, "(nil)", 5);
		return;
	}
	if (sp->flags & (F_PLUS | F_SPACE))
		prefix = (sp->flags & F_PLUS) ? "+0x" : " 0x";
	format_int(o, sp, (uintptr_t)p, prefix);
}

static void convert_string(struct out *o, const struct spec *sp, va_list *ap)
{
	const char *s = va_arg(*ap, const char *);
	size_t n;

	if (!s)
		s = sp->prec < 0 || sp->prec >= 6 ? "(null)" : "";
	n = sp->prec < 0 ? strlen(s) : strnlen(s, sp->prec);
	format_str(o, sp, s, n);
}

/* An unsupported spec [start, end) is copied as text; see the top of the file. */
static void convert_unknown(struct out *o, const struct spec *sp, va_list *ap, const char *start,
			    const char *end)
{
	if (sp->conv == 'n')
		(void)va_arg(*ap, void *);
	else if (sp->len == LEN_L && sp->conv == 's')
		(void)va_arg(*ap, void *);
	else if (sp->len == LEN_L && sp->conv == 'c')
		(void)va_arg(*ap, unsigned int); /* wint_t */
	out_mem(o, start, end - start);
}

static void convert(struct out *o, const struct spec *sp, va_list *ap, const char *start,
		    const char *end)
{
	bool wide = sp->len == LEN_L;
	char c;

	switch (sp->conv) {
	case 'd':
	case 'i':
		convert_signed(o, sp, ap);
		return;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		convert_unsigned(o, sp, ap);
		return;
	case 'p':
		convert_pointer(o, sp, ap);
		return;
	case 's':
		if (!wide) {
			convert_string(o, sp, ap);
			return;
		}
		break;
	case 'c':
		if (!wide) {
			c = (char)va_arg(*ap, int);
			format_str(o, sp, &c, 1);
			return;
		}
		break;
	case '%':
		out_mem(o, "%", 1);
		return;
	}
	convert_unknown(o, sp, ap, start, end);
}

int nk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		const char *start = fmt;
		struct spec sp;

		if (*fmt != '%') {
			while (*fmt && *fmt != '%')
				fmt++;
			out_mem(&o, start, fmt - start);
			continue;
		}
		fmt++;
		parse_spec(&fmt, &args, &sp);
		convert(&o, &sp, &args, start, fmt);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > __INT_MAX__ ? -ERANGE : (int)o.len;
}

int nk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = nk_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
