/*
 * statedir.h - the state directory ([daemon] state_dir): made for the
 * user agauthd runs as, refused when anyone else could change what is in
 * it, and locked, so that one agauthd at a time reads and writes it.
 *
 * Two daemons on one directory would each append to the revocation log
 * at their own idea of its end and overwrite each other's acknowledged
 * records; a second daemon that compacted the log would leave the first
 * writing to a deleted file.  So the lock (a write lock on
 * STATE_DIR/agauthd.lock, held until the process ends) comes before
 * anything else in the directory is opened, and a second daemon stops
 * there, having changed nothing.
 */
#ifndef AG_STATEDIR_H
#define AG_STATEDIR_H

#include <stddef.h>
#include <sys/stat.h>

#include "shared/agerr.h"

#define STATEDIR_LOCK_NAME "agauthd.lock"

/* Makes dir if it is missing (for the user agauthd runs as), checks it
 * and locks it.  AG_E_STATE naming the lock file and the process that
 * holds it if another does. */
int statedir_lock(const char *dir, struct ag_error *e);
/* Gives the lock up (the process's end does too). */
void statedir_unlock(void);

/* dir exists, is a directory, and only agauthd may change it
 * (statedir_owned).  After a failure errno is ENOENT if and only if it
 * is missing. */
int statedir_check(const char *dir, struct ag_error *e);
/*
 * Whoever else may write a file of the state, or its directory, may
 * un-revoke: only the user agauthd runs as (after dropping root, the one
 * it drops to) and root may own them, and neither group nor others may
 * write them.  A daemon that drops root writes the directory as its user,
 * so then the directory must be that user's.
 */
int statedir_owned(const char *path, const struct stat *st, int is_dir,
		   struct ag_error *e);

/*
 * A small file of the state, dir/name, replaced whole: written to
 * name.new, synced, renamed over name, the directory synced.  A crash
 * leaves the old file or the new one, never a mix.  0, or -1 with *e.
 */
int statedir_replace(const char *dir, const char *name, const void *p,
		     size_t n, struct ag_error *e);
/* Reads dir/name (at most cap bytes; a larger file is damage), checked
 * as every file of the state is (statedir_owned).  0 and *len; 1 if it
 * is not there; -1 with *e. */
int statedir_read(const char *dir, const char *name, char *buf, size_t cap,
		  size_t *len, struct ag_error *e);

#endif
