/*
 * ctl.h - agauthctl, the command line of agauthd: one run's settings, and
 * the commands main.c dispatches to.
 */
#ifndef AGCTL_CTL_H
#define AGCTL_CTL_H

#include "client/ctl/opts.h"
#include "client/lib/agauth.h"

/* Positional arguments a command takes at most. */
#define CTL_POS_MAX 1

/* Flag ids beside the option kinds of opts.h. */
enum ctl_flag {
	CTL_SOCKET = 100,
	CTL_JSON,
	CTL_HELP,
	CTL_VERSION,
	CTL_ALG,
	CTL_TYPE,
	CTL_OUT,
	CTL_FORCE,
	CTL_CACHE,
	CTL_REVOKE,              /* --token, --jti, --sub: the kind is the
				    flag's name */
	CTL_CLUSTER,
	CTL_ACTIVATE_IN,
};

struct ctl {
	char who[64];            /* "agauthctl sign", for messages */
	const char *socket;      /* NULL: $AGAUTHD_SOCKET, then the default */
	int json;
	int help;
	int version;
	const char *pos[CTL_POS_MAX];
	int npos;
	struct opts o;           /* sign, verify */
	const char *alg;         /* rotate */
	int cluster;             /* rotate --cluster */
	const char *activate_in; /* rotate --activate-in SPAN */
	const char *keytype;     /* keygen */
	const char *keyout;
	int force;
	int cache;               /* verify --cache */
	const char *rkind;       /* revoke: "token", "jti" or "sub" */
	const char *rvalue;
	int nrevoke;             /* revoke flags given */
};

/* Each returns the exit status (out.h). */
int cmd_sign(struct ctl *c);
int cmd_verify(struct ctl *c);
int cmd_keys(struct ctl *c);
int cmd_reload(struct ctl *c);
int cmd_rotate(struct ctl *c);
int cmd_stats(struct ctl *c);
int cmd_metrics(struct ctl *c);
int cmd_jwks(struct ctl *c);
int cmd_ping(struct ctl *c);
int cmd_keygen(struct ctl *c);
int cmd_revoke(struct ctl *c);
int cmd_watch(struct ctl *c);

/* A connected handle, or NULL after reporting why (the exit status in
 * *rc). */
agauth_t *cmd_open(const struct ctl *c, int *rc);
/* All of standard input less the line ends a shell adds, bounded; NULL
 * after reporting why. */
char *cmd_stdin(const struct ctl *c, const char *what);

/* Prints the help of cmd (NULL: the overview) to stdout: 0, or -1 if
 * there is no such command. */
int help_show(const char *cmd);

#endif
