/*
 * Kernel log ring: records {seq, timestamp, level, text} in a fixed byte buffer given by the
 * caller. When full, appending drops the oldest whole records; readers walk oldest to newest.
 */
#ifndef NK_NAUTILUS_LOGRING_H
#define NK_NAUTILUS_LOGRING_H

#include <nautilus/types.h>

/*
 * Not thread-safe: the owner serialises every call (printk holds its lock around append and
 * around a walk). All fields are private to logring.c.
 */
struct nk_logring {
	char *buf;	   /* 8-byte aligned start of the caller's buffer */
	size_t size;	   /* usable bytes, a multiple of 8 */
	size_t head;	   /* offset of the oldest record */
	size_t tail;	   /* offset where the next record goes */
	size_t wrap_end;   /* when wrapped: end of the records that precede the wrap */
	bool wrapped;	   /* records run [head, wrap_end) then [0, tail) */
	size_t count;	   /* records held */
	uint64_t next_seq; /* sequence number of the next record; the first is 0 */
	uint64_t dropped;  /* records dropped to make room, ever */
};

/* One record as a reader sees it; text is not NUL-terminated and lives in the ring. */
struct nk_logring_entry {
	uint64_t seq;
	uint64_t ts_ns;
	int level;
	bool truncated; /* the text was cut to fit the ring */
	const char *text;
	size_t len;
};

/* Smallest buffer accepted: room for one record header and some text. */
#define NK_LOGRING_MIN_SIZE 64

/* Use buf[0..size) (any alignment) as an empty ring. -EINVAL if it is too small. */
int nk_logring_init(struct nk_logring *ring, void *buf, size_t size);

/*
 * Append a record, dropping the oldest ones until it fits. Text longer than the ring can hold
 * is truncated (and flagged), never split or corrupted. Returns the record's sequence number.
 */
uint64_t nk_logring_append(struct nk_logring *ring, uint64_t ts_ns, int level, const char *text,
			   size_t len);

/*
 * Call fn on each record with seq >= from_seq, oldest first (from_seq 0: all of them; a
 * follower passes the last seq it saw + 1 and learns of drops from a gap in seq). The walk
 * stops at the first nonzero return of fn, which is returned; otherwise 0.
 */
typedef int (*nk_logring_fn)(const struct nk_logring_entry *e, void *arg);
int nk_logring_for_each(const struct nk_logring *ring, uint64_t from_seq, nk_logring_fn fn,
			void *arg);

/* Records held now, records dropped since init, sequence number the next record will get. */
size_t nk_logring_count(const struct nk_logring *ring);
uint64_t nk_logring_dropped(const struct nk_logring *ring);
uint64_t nk_logring_next_seq(const struct nk_logring *ring);

#endif
