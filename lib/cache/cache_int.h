/*
 * cache_int.h - what cache.c and cache_posture.c share; not for other files.
 *
 * The struct cache itself, the key preparation both use, the size estimate every
 * entry's byte accounting is built from, and the posture layer's node destructor.
 */
#ifndef POSTURE_CACHE_INT_H
#define POSTURE_CACHE_INT_H

#include "cache/cache.h"
#include "util/lru.h"

/*
 * Bytes the allocator spends on one block besides the payload (glibc: an 8-byte
 * header, 16-byte granularity): added per malloc() so the byte budget follows what
 * the process really holds, not just sizeof.
 */
#define CACHE_ALLOC_OVERHEAD 16

/* Longest key text: a DNS name as dns_msg.c writes it ("\DDD" escapes). */
#define CACHE_NAME_MAX 1280
/* Longest posture domain (RFC 1035 2.3.4 text form without the trailing dot). */
#define CACHE_DOMAIN_MAX 253

struct cache {
	struct cache_config cfg;	/* copy; hash_key cleared */
	struct lru_table layer[CACHE_LAYERS];
};

/*
 * Copy name into buf (cap bytes) case-folded (ASCII, RFC 4343) without one trailing
 * dot, NUL-terminated. Returns the length, or 0 when empty or longer than max.
 */
size_t cache_name_key(const char *name, char *buf, size_t cap, size_t max);
/* Destructor of the posture layer's entries (cache_posture.c). */
void cache_posture_free_node(struct lru_node *n);

#endif
