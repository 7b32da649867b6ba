/* Compiler attributes and small helpers shared by kernel and host builds. */
#ifndef NK_NAUTILUS_COMPILER_H
#define NK_NAUTILUS_COMPILER_H

#define __nk_used	  __attribute__((used))
#define __nk_section(s)	  __attribute__((section(s)))
#define __nk_aligned(n)	  __attribute__((aligned(n)))
#define __nk_packed	  __attribute__((packed))
#define __nk_noreturn	  __attribute__((noreturn))
#define __nk_printf(f, a) __attribute__((format(printf, f, a)))
#define __nk_unused	  __attribute__((unused))
#define __nk_noinline	  __attribute__((noinline))

#define NK_ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define NK_ALIGN_UP(x, a)   (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define NK_ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define NK_IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define NK_MIN(a, b)	    ((a) < (b) ? (a) : (b))
#define NK_MAX(a, b)	    ((a) > (b) ? (a) : (b))
#define NK_STRINGIFY_(x)    #x
#define NK_STRINGIFY(x)	    NK_STRINGIFY_(x)
#define NK_CONTAINER_OF(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* IS_ENABLED(CONFIG_X): 1 if CONFIG_X is defined to 1 in autoconf.h, else 0. */
#define NK_ARG_PLACEHOLDER_1		  0,
#define NK_TAKE_SECOND(ignored, val, ...) val
#define NK_IS_ENABLED3(arg)		  NK_TAKE_SECOND(arg 1, 0, 0)
#define NK_IS_ENABLED2(val)		  NK_IS_ENABLED3(NK_ARG_PLACEHOLDER_##val)
#define IS_ENABLED(option)		  NK_IS_ENABLED2(option)

#endif
