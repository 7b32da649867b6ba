/* Facts about the kernel image, from the linker script and the build. */
#ifndef NK_NAUTILUS_KERNEL_H
#define NK_NAUTILUS_KERNEL_H

extern char _kernel_start[], _kernel_end[]; /* whole image, including bss and symbols */
extern char _text_end[]; /* end of code: [_kernel_start, _text_end) holds .boot and .text */

/* "nautilus 0.1.0 (git abc1234) built ..." */
extern const char nk_version_string[];

#endif
