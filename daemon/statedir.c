/* statedir.c - the state directory: made, checked, locked. */
#include "daemon/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/priv.h"

static int statedir_fd = -1;

int statedir_owned(const char *path, const struct stat *st, int is_dir,
		   struct ag_error *e)
{
	uid_t us = priv_uid();

	if ((st->st_mode & 022) == 0 && (st->st_uid == us ||
	    (st->st_uid == 0 && !(is_dir && priv_drops()))))
		return 0;
	return ag_fail(e, AG_E_STATE, "%s: %s (mode %04o, uid %u; agauthd "
		       "runs as uid %u); chmod go-w it, or chown it to that "
		       "user", path, (st->st_mode & 022) != 0 ?
		       "writable by others than agauthd" : is_dir ?
		       "not owned by the user agauthd runs as" :
		       "not owned by agauthd or root",
		       (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid,
		       (unsigned)us);
}

int statedir_check(const char *dir, struct ag_error *e)
{
	struct stat st;
	int err;

	if (stat(dir, &st) != 0) {
		err = errno;
		ag_fail(e, AG_E_STATE, "state directory %s: %s", dir,
			strerror(err));
		errno = err;
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return ag_fail(e, AG_E_STATE, "state directory %s: not a "
			       "directory", dir);
	}
	if (statedir_owned(dir, &st, 1, e) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* A missing directory is made for the user agauthd runs as, as systemd's
 * StateDirectory= would make it.  An existing one is never handed over:
 * it may be anything. */
static int statedir_make(const char *dir, struct ag_error *e)
{
	if (mkdir(dir, 0700) != 0)
		return errno == EEXIST ? 0 : ag_fail(e, AG_E_STATE, "state "
			       "directory %s: %s", dir, strerror(errno));
	if (priv_drops() && chown(dir, priv_uid(), priv_gid()) != 0)
		return ag_fail(e, AG_E_STATE, "%s: chown: %s", dir,
			       strerror(errno));
	return 0;
}

/* The lock file, opened for writing (a write lock needs it), made if it
 * is missing: as the user's when root makes it for a daemon that drops
 * root. */
static int statedir_open_lock(const char *path, struct ag_error *e)
{
	struct stat st;
	int fd, made;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
		  O_NOCTTY, 0600);
	made = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ag_fail(e, AG_E_STATE, "%s: %s", path, strerror(errno));
	if (made && priv_drops() && fchown(fd, priv_uid(), priv_gid()) != 0) {
		ag_fail(e, AG_E_STATE, "%s: chown: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ag_fail(e, AG_E_STATE, "%s: not a regular file", path);
		goto fail;
	}
	if (statedir_owned(path, &st, 0, e) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int statedir_lock(const char *dir, struct ag_error *e)
{
	char path[PATH_MAX], who[32] = "another process";
	struct flock fl;
	int fd, n;

	n = snprintf(path, sizeof path, "%s/" STATEDIR_LOCK_NAME, dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return ag_fail(e, AG_E_STATE, "state directory path too long");
	/* the directory is checked before a file is made in it */
	if (statedir_make(dir, e) != 0 || statedir_check(dir, e) != 0)
		return -1;
	fd = statedir_open_lock(path, e);
	if (fd < 0)
		return -1;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;         /* l_len 0: the whole file */
	/* one daemon per directory: a second would overwrite the first's
	 * acknowledged revocations */
	if (fcntl(fd, F_SETLK, &fl) == 0) {
		statedir_fd = fd;
		return 0;
	}
	if (errno != EACCES && errno != EAGAIN) {
		ag_fail(e, AG_E_STATE, "%s: cannot lock: %s", path,
			strerror(errno));
		close(fd);
		return -1;
	}
	/* who holds it, as the kernel knows (0: a process in another pid
	 * namespace) */
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
	    fl.l_pid > 0)
		snprintf(who, sizeof who, "process %ld", (long)fl.l_pid);
	close(fd);
	return ag_fail(e, AG_E_STATE, "%s: locked by %s: another agauthd "
		       "uses the state directory %s; stop it first, or give "
		       "this one a [daemon] state_dir of its own", path, who,
		       dir);
}

void statedir_unlock(void)
{
	if (statedir_fd >= 0)
		close(statedir_fd);
	statedir_fd = -1;
}

static int statedir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int statedir_replace(const char *dir, const char *name, const void *p,
		     size_t n, struct ag_error *e)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *c = p;
	ssize_t w;
	int fd, rc = -1;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >=
	    sizeof path ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s.new", path) >= sizeof tmp)
		return ag_fail(e, AG_E_STATE, "state directory path too long");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC |
		  O_NOCTTY, 0600);
	if (fd < 0)
		return ag_fail(e, AG_E_STATE, "%s: %s", tmp, strerror(errno));
	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		c += w;
		n -= (size_t)w;
	}
	if (fsync(fd) != 0 || rename(tmp, path) != 0)
		goto out;
	/* renamed: live either way; only a power loss could undo it */
	rc = statedir_sync(dir) == 0 ? 0 : -1;
out:
	if (rc != 0)
		ag_fail(e, AG_E_STATE, "%s: %s", path, strerror(errno));
	close(fd);
	unlink(tmp);
	return rc;
}

int statedir_read(const char *dir, const char *name, char *buf, size_t cap,
		  size_t *len, struct ag_error *e)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t r;
	int fd, rc = -1;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >=
	    sizeof path)
		return ag_fail(e, AG_E_STATE, "state directory path too long");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
		  O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 1 : ag_fail(e, AG_E_STATE, "%s: %s",
						     path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ag_fail(e, AG_E_STATE, "%s: not a regular file", path);
		goto out;
	}
	if (statedir_owned(path, &st, 0, e) != 0)
		goto out;
	/* bounded before reading */
	if ((size_t)st.st_size > cap) {
		ag_fail(e, AG_E_STATE, "%s: larger than %zu bytes: damaged; "
			"remove it", path, cap);
		goto out;
	}
	*len = 0;
	while (*len < cap && (r = read(fd, buf + *len, cap - *len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ag_fail(e, AG_E_STATE, "%s: %s", path, strerror(errno));
			goto out;
		}
		*len += (size_t)r;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
