/*
 * priv.h - who agauthd runs as.  Started as root with [daemon] user (and
 * group), it opens its socket and its state as root, reads its keys with
 * that user's effective ids (so that a keyring that loads at start also
 * loads on a reload, which runs as that user), then gives up root for
 * good before the crypto threads start and the first request comes:
 * supplementary groups, gid, uid, and a check that root cannot be had
 * back.  Without user, agauthd stays who it was started as (under
 * systemd, User= does the same from the outside).
 */
#ifndef AG_PRIV_H
#define AG_PRIV_H

#include <sys/types.h>

#include "shared/agerr.h"

/*
 * The identity to run as: user (NULL or "": none) with its uid and gid;
 * own_gid says gid was configured ([daemon] group) rather than the user's
 * primary group, and then no supplementary groups are kept.  Fails with
 * AG_E_CONFIG when it cannot be honoured: not root, and not that user.
 */
int priv_plan(const char *user, uid_t uid, gid_t gid, int own_gid,
	      struct ag_error *e);
/* 1 if agauthd gives up root (a plan to another user, started as root). */
int priv_drops(void);
/* The uid and gid agauthd runs as once started: the plan's, or its own. */
uid_t priv_uid(void);
gid_t priv_gid(void);

/*
 * Says who owns a file agauthd refuses as not its own, in words that
 * cannot be read as agauthd's identity: "owned by NAME (uid N), not by
 * the user this agauthd runs as, NAME (uid M), nor by root", and, when
 * this agauthd is root with no user to become (agauthd -t run by hand),
 * how to check as the service user instead.
 */
void priv_not_owner(uid_t owner, char *out, size_t n);

/* Effective ids (and groups) become the user's; root stays in the saved
 * ids so that priv_resume can have it back.  No-ops without a drop. */
int priv_assume(struct ag_error *e);
int priv_resume(struct ag_error *e);
/* For good: then checks that neither uid 0 nor gid 0 can be regained. */
int priv_drop(struct ag_error *e);
/* Not dumpable: no core file, and other processes of the same user can
 * neither ptrace agauthd nor read its memory.  Every change of ids resets
 * it from fs.suid_dumpable, so each one above sets it again.  Fails
 * (AG_E_SYSTEM, saying why) rather than leave keys within reach. */
int priv_undumpable(struct ag_error *e);

#endif
