/*
 * fuzz_cache.c - the cache reader over a damaged cache file.  The input is
 * a list of patches laid over a small valid cache (16 slots of 256 bytes
 * and 8 large ones of 512, key 0 live): [offset: 2 bytes][length: 1
 * byte][bytes], repeated.  With the first input byte odd, every slot's
 * tag, hash and signature digest are then made to match what it stores
 * (the signature being "x"), so that lookups reach the slot, key, claim
 * and option checks with whatever the patches wrote there.  Each slot's
 * own signing input with that signature, and a plain token, are looked
 * up under three option sets.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shared/cache.h"

#define FC_SLOTS 16
#define FC_SLOT  256
#define FC_BIG_SLOTS 8
#define FC_BIG_SLOT  512
#define FC_BYTES (FC_SLOTS * FC_SLOT + FC_BIG_SLOTS * FC_BIG_SLOT)
#define FC_NOW   1800000000.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fc_layout(uint8_t *f, size_t cap)
{
	struct cache_header *h = (struct cache_header *)f;
	size_t tags = (sizeof *h + 63) / 64 * 64;
	size_t head = (tags + (FC_SLOTS + FC_BIG_SLOTS) * 8 + 4095) / 4096 *
		      4096;
	size_t size = head + FC_BYTES;

	if (size > cap)
		return 0;
	memset(f, 0, size);
	memcpy(h->magic, CACHE_MAGIC, sizeof h->magic);
	h->version = CACHE_VERSION;
	h->header_size = (uint32_t)head;
	h->file_size = size;
	h->ways = CACHE_WAYS;
	h->cls[0].tags_off = tags;
	h->cls[0].slots_off = head;
	h->cls[0].nslots = FC_SLOTS;
	h->cls[0].slot_size = FC_SLOT;
	h->cls[1].tags_off = tags + FC_SLOTS * 8;
	h->cls[1].slots_off = head + FC_SLOTS * FC_SLOT;
	h->cls[1].nslots = FC_BIG_SLOTS;
	h->cls[1].slot_size = FC_BIG_SLOT;
	h->instance = 1;
	h->state = CACHE_LIVE;
	h->heartbeat_ms = (int64_t)(FC_NOW * 1000);
	h->keys[0].gen = 2;
	memcpy(h->keys[0].kid, "k0", 3);
	return size;
}

/* The slot i of the laid-out (not the patched) geometry. */
static struct cache_slot *fc_slot(uint8_t *f, size_t i, size_t *room)
{
	size_t head = ((struct cache_header *)f)->header_size;

	if (i < FC_SLOTS) {
		*room = FC_SLOT - CACHE_SLOT_HEAD;
		return (struct cache_slot *)(f + head + i * FC_SLOT);
	}
	*room = FC_BIG_SLOT - CACHE_SLOT_HEAD;
	return (struct cache_slot *)(f + head + FC_SLOTS * FC_SLOT +
				     (i - FC_SLOTS) * FC_BIG_SLOT);
}

/* Tags, hashes and digests that agree with the bytes each slot holds. */
static void fc_repair(uint8_t *f)
{
	struct cache_header *h = (struct cache_header *)f;
	uint64_t *tags = (uint64_t *)(f + h->cls[0].tags_off);
	struct cache_slot *s;
	size_t i, n, room;

	for (i = 0; i < FC_SLOTS + FC_BIG_SLOTS; i++) {
		s = fc_slot(f, i, &room);
		n = s->len <= room ? s->len : 0;
		s->hash = cache_hash(h, s->input, n);
		cache_digest("x", 1, s->sig);
		tags[i] = s->hash;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static _Alignas(4096) uint8_t file[8192 + FC_BYTES];
	static char tok[FC_BIG_SLOT + 2];
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
	size_t fsize = fc_layout(file, sizeof file), p = 1, off, n, i, k, room;
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
	/* the repair writes where the layout put the tags, so only while
	 * the header still says so (compared, never added: no wrap) */
	if (size > 0 && (data[0] & 1) &&
	    h->header_size == fsize - FC_BYTES &&
	    h->cls[0].tags_off == (sizeof *h + 63) / 64 * 64)
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
			/* each slot's input as the mapped file has it */
			for (i = 0; i < FC_SLOTS + FC_BIG_SLOTS; i++) {
				s = fc_slot((uint8_t *)(uintptr_t)m.base, i,
					    &room);
				n = s->len <= room ? s->len : 0;
				memcpy(tok, s->input, n);
				memcpy(tok + n, ".x", 2);
				(void)cache_lookup(&m, tok, n + 2, &o[k],
						   FC_NOW, &hit, &e);
			}
		}
		cache_unmap(&m);
	}
	close(fd);
	return 0;
}
