/*
 * cache_probe.c - what a client can do with the cache descriptor a real
 * agauthd hands over (cache.test.js runs it).  Speaks the protocol with
 * shared/proto: hello, then `cache`, received with recvmsg; then tries
 * every way to write or resize the cache through that descriptor and
 * prints one JSON object: each attempt's errno name ("ok" if it worked),
 * the seals, and the magic it reads.  Exits 0 if every write was
 * refused, 1 if one got through, 2 if it could not get the descriptor.
 * With DUMP, it also writes every byte of its read-only mapping there:
 * what any peer with the verify right can read.
 *
 *   cache_probe SOCKET [DUMP]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "shared/proto.h"

static int probe_fd = -1;

/* Reads one reply frame, keeping a descriptor that comes with it. */
static int probe_read(int s, uint8_t *body, size_t cap, size_t *n)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	uint8_t hdr[PROTO_HDR];
	size_t got = 0, want = PROTO_HDR;
	uint8_t *dst = hdr;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t k;

	for (;;) {
		memset(&mh, 0, sizeof mh);
		iov.iov_base = dst + got;
		iov.iov_len = want - got;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = u.b;
		mh.msg_controllen = sizeof u.b;
		k = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
		if (k <= 0)
			return -1;
		cm = CMSG_FIRSTHDR(&mh);
		if (cm != NULL && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&probe_fd, CMSG_DATA(cm), sizeof(int));
		got += (size_t)k;
		if (got < want)
			continue;
		if (dst == body) {
			*n = want;
			return 0;
		}
		want = proto_get_len(hdr);
		if (want == 0 || want > cap)
			return -1;
		dst = body;
		got = 0;
	}
}

/* Sends {id, op[, v]} and reads the reply: its ok, or -1. */
static int probe_call(int s, uint64_t id, const char *op)
{
	static uint8_t body[AG_FRAME_DEFAULT];
	struct proto_out o;
	struct proto_msg m;
	struct buf b;
	size_t n;
	int ok = -1;

	buf_init(&b, AG_FRAME_DEFAULT);
	proto_begin(&o, &b);
	msgpack_pack_map(&o.pk, strcmp(op, "hello") == 0 ? 3 : 2);
	proto_kv_uint(&o, "id", id);
	proto_kv_cstr(&o, "op", op);
	if (strcmp(op, "hello") == 0)
		proto_kv_uint(&o, "v", PROTO_VERSION);
	if (proto_end(&o) != 0 || write(s, b.p, b.len) != (ssize_t)b.len ||
	    probe_read(s, body, sizeof body, &n) != 0) {
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	if (proto_decode(&m, body, n, NULL) == 0 && proto_get(m.root, "ok") != NULL)
		ok = proto_get(m.root, "ok")->via.boolean;
	proto_msg_free(&m);
	return ok;
}

/* Prints "name":"ok" or the errno's name; counts what got through. */
static void probe_try(const char *name, int rc, int *through)
{
	printf("\"%s\":\"%s\",", name, rc == 0 ? "ok" : strerrorname_np(errno));
	if (rc == 0)
		(*through)++;
}

/* The mapping's bytes into a new file. */
static int probe_dump(const char *file, const void *p, size_t n)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t w = fd >= 0 ? write(fd, p, n) : -1;

	if (fd >= 0)
		close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	char path[64], magic[8] = "";
	void *p;
	int s, fd2, through = 0;

	if (argc < 2 || argc > 3 || strlen(argv[1]) >= sizeof sa.sun_path)
		return 2;
	strcpy(sa.sun_path, argv[1]);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    probe_call(s, 1, "hello") != 1 || probe_call(s, 2, "cache") != 1 ||
	    probe_fd < 0 || fstat(probe_fd, &st) != 0)
		return 2;
	printf("{");
	probe_try("write", pwrite(probe_fd, "x", 1, 0) == 1 ? 0 : -1,
		  &through);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 probe_fd, 0);
	probe_try("mmap_write", p != MAP_FAILED ? 0 : -1, &through);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, probe_fd, 0);
	if (p != MAP_FAILED) {
		memcpy(magic, p, sizeof magic - 1);
		if (argc == 3 && probe_dump(argv[2], p, (size_t)st.st_size) != 0)
			return 2;
		probe_try("mprotect_write", mprotect(p, (size_t)st.st_size,
						     PROT_READ | PROT_WRITE),
			  &through);
	}
	probe_try("shrink", ftruncate(probe_fd, 0), &through);
	probe_try("grow", ftruncate(probe_fd, st.st_size * 2), &through);
	/* a new open of the same file: the seals are the file's */
	snprintf(path, sizeof path, "/proc/self/fd/%d", probe_fd);
	fd2 = open(path, O_RDWR | O_CLOEXEC);
	probe_try("reopen_write", fd2 >= 0 && pwrite(fd2, "x", 1, 0) == 1 ?
		  0 : -1, &through);
	probe_try("add_seal", fcntl(probe_fd, F_ADD_SEALS, F_SEAL_WRITE),
		  &through);
	printf("\"seals\":%d,\"magic\":\"%s\",\"bytes\":%lld}\n",
	       fcntl(probe_fd, F_GET_SEALS), magic, (long long)st.st_size);
	return through == 0 ? 0 : 1;
}
