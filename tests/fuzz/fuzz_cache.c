/*
 * fuzz_cache.c - the cache reader over a damaged cache file.  The input is
 * a list of patches laid over a small valid cache (16 slots of 256 bytes,
 * key 0 live): [offset: 2 bytes][length: 1 byte][bytes], repeated.  With
 * the first input byte odd, every slot's tag and hash are then made to
 * match the bytes it stores, so that lookups reach the slot, key, claim
 * and option checks with whatever the patches wrote there.  Each slot's
 * own bytes, and a plain token, are looked up under three option sets.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shared/cache.h"

#define FC_SLOTS 16
#define FC_SLOT  256
#define FC_NOW   1800000000.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fc_layout(uint8_t *f, size_t cap)
{
	struct cache_header *h = (struct cache_header *)f;
	size_t tags = (sizeof *h + 63) / 64 * 64;
	size_t head = (tags + FC_SLOTS * 8 + 4095) / 4096 * 4096;
	size_t size = head + FC_SLOTS * FC_SLOT;

	if (size > cap)
		return 0;
	memset(f, 0, size);
	memcpy(h->magic, CACHE_MAGIC, sizeof h->magic);
	h->version = CACHE_VERSION;
	h->header_size = (uint32_t)head;
	h->tags_off = tags;
	h->file_size = size;
	h->slot_size = FC_SLOT;
	h->ways = CACHE_WAYS;
	h->nslots = FC_SLOTS;
	h->instance = 1;
	h->state = CACHE_LIVE;
	h->heartbeat_ms = (int64_t)(FC_NOW * 1000);
	h->keys[0].gen = 2;
	memcpy(h->keys[0].kid, "k0", 3);
	return size;
}

/* Tags and hashes that agree with the bytes each slot holds. */
static void fc_repair(uint8_t *f)
{
	struct cache_header *h = (struct cache_header *)f;
	uint64_t *tags = (uint64_t *)(f + h->tags_off);
	struct cache_slot *s;
	size_t i, n;

	for (i = 0; i < FC_SLOTS; i++) {
		s = (struct cache_slot *)(f + h->header_size + i * FC_SLOT);
		n = s->len <= FC_SLOT - CACHE_SLOT_HEAD ? s->len : 0;
		s->hash = cache_hash(h, s->token, n);
		tags[i] = s->hash;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(4096) uint8_t file[8192 + FC_SLOTS * FC_SLOT];
	static const char *const opts[] = {
		NULL, "{\"algorithms\":[\"HS256\"],\"clockTolerance\":5}",
		"{\"audience\":\"a\",\"maxAge\":\"1h\",\"complete\":true}",
	};
	static struct vopts o[3];
	static int ready;
	static const char plain[] = "eyJhbGciOiJIUzI1NiJ9.e30.x";
	struct cache_header *h = (struct cache_header *)file;
	struct cache_map m;
	struct cache_hit hit;
	struct ag_error e;
	size_t fsize = fc_layout(file, sizeof file), p = 1, off, n, i, k;
	const struct cache_slot *s;
	int fd;

	for (k = 0; !ready && k < 3; k++)
		vopts_parse(&o[k], opts[k], opts[k] ? strlen(opts[k]) : 0, &e);
	ready = 1;
	while (p + 3 <= size) {
		off = ((size_t)data[p] << 8 | data[p + 1]) % fsize;
		n = data[p + 2];
		p += 3;
		if (n > size - p)
			n = size - p;
		if (n > fsize - off)
			n = fsize - off;
		memcpy(file + off, data + p, n);
		p += n;
	}
	if (size > 0 && (data[0] & 1) && h->header_size == fsize -
	    FC_SLOTS * FC_SLOT && h->tags_off % 64 == 0 &&
	    h->tags_off >= sizeof *h &&
	    h->tags_off <= h->header_size - FC_SLOTS * 8)
		fc_repair(file);
	fd = memfd_create("fuzz-cache", MFD_CLOEXEC);
	if (fd < 0 || write(fd, file, fsize) != (ssize_t)fsize) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (cache_map(&m, fd, &e) == 0) {
		for (k = 0; k < 3; k++) {
			(void)cache_lookup(&m, plain, sizeof plain - 1, &o[k],
					   FC_NOW, &hit, &e);
			for (i = 0; i < FC_SLOTS; i++) {
				s = (const struct cache_slot *)(m.base +
					m.h->header_size + i * m.h->slot_size);
				n = s->len <= m.h->slot_size - CACHE_SLOT_HEAD ?
				    s->len : 0;
				(void)cache_lookup(&m, s->token, n, &o[k],
						   FC_NOW, &hit, &e);
			}
		}
		cache_unmap(&m);
	}
	close(fd);
	return 0;
}
