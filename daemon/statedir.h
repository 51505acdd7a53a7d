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

#endif
