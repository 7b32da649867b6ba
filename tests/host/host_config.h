/* Configuration seen by kernel sources built for host unit tests (instead of autoconf.h). */
#define NK_HOST_TEST	  1
#define CONFIG_DEBUG_KMEM 1
