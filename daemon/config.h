/*
 * config.h - agauthd.conf (INI, parsed with Debian's inih).  Every option,
 * its default and its meaning are in docs/operations.md and the annotated
 * example systemd/agauthd.conf.example.  A bad file is refused with
 * "FILE:LINE: reason"; nothing is half-applied.
 */
#ifndef AG_CONFIG_H
#define AG_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "daemon/log.h"
#include "shared/agerr.h"
#include "shared/limits.h"

#define CONFIG_ACL_MAX 32

/* Who may do a class of operations: anyone, or listed uids and gids. */
struct acl {
	int given;                   /* set by the file (else its default) */
	int any;
	int n;
	struct {
		int is_gid;
		unsigned id;
	} e[CONFIG_ACL_MAX];
};

struct config {
	char file[PATH_MAX];
	enum log_level log_level;
	unsigned threads;            /* crypto pool; 0: one per CPU */
	unsigned crypto_nice;        /* crypto threads' niceness above the loop */
	char run_user[64];           /* [daemon] user: drop root for it; "" none */
	long run_uid, run_gid;       /* its uid and primary gid; -1 without */
	long run_group;              /* [daemon] group; -1: the user's */

	char socket_path[108];       /* sun_path */
	unsigned socket_mode;
	long socket_gid;             /* -1: leave as created */

	char keyring[PATH_MAX];      /* keyring manifest */
	char state_dir[PATH_MAX];
	double default_expiry;       /* seconds; rotation grace period */
	int allow_none;              /* may "none" be signed */

	struct acl sign, verify, admin;
	struct acl metrics;          /* not given: verify's */

	unsigned max_connections, max_frame, max_inflight, max_output;
	unsigned idle_timeout, frame_timeout, pool_queue;
	unsigned watch_output;       /* bytes all watchers may leave unread */

	unsigned long long cache_size;   /* bytes; 0: no cache */
	unsigned cache_slot;             /* bytes per entry */
	int cache_preallocate;           /* commit its memory at start */

	/* the claims a subject may be in, by one space each: "sub username" */
	char revoke_subject[AG_SUBJECT_CLAIMS_LEN];
	double revoke_horizon;           /* seconds; 0: default_expiry */

	/* [cluster] (daemon/cluster.h); "" redis: no cluster */
	char cluster_redis[AG_CLUSTER_ADDR_MAX + 1];  /* path, or host:port */
	char cluster_key[PATH_MAX];                   /* the fleet key file */
	char cluster_name[AG_CLUSTER_NAME_MAX + 1];   /* "": the host name */
	char cluster_password_file[PATH_MAX];         /* "": no AUTH */
	char cluster_user[AG_CLUSTER_NAME_MAX + 1];   /* ACL user; "": none */
	char cluster_prefix[AG_CLUSTER_PREFIX_MAX + 1];
};

void config_defaults(struct config *c);
/* Loads FILE over the defaults; relative paths are taken from the file's
 * directory.  On error *e says "FILE:LINE: reason". */
int config_load(struct config *c, const char *file, struct ag_error *e);
/* 1 if the peer (uid, gid) is allowed by acl. */
int config_allows(const struct acl *a, uid_t uid, gid_t gid);

#endif
