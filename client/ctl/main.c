/*
 * main.c - agauthctl: the command line of agauthd.  Reads the flags and
 * the command, then hands over to the command (cmd.c, keygen.c).
 */
#include "client/ctl/ctl.h"

#include <stdio.h>
#include <string.h>

#include "client/ctl/out.h"

static const struct args_flag ctl_global[] = {
	{ "socket", 1, CTL_SOCKET, NULL },
	{ "json", 0, CTL_JSON, NULL },
	{ "help", 0, CTL_HELP, NULL },
	{ "version", 0, CTL_VERSION, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct args_flag ctl_rotate[] = {
	{ "algorithm", 1, CTL_ALG, NULL },
	{ "cluster", 0, CTL_CLUSTER, NULL },
	{ "activate-in", 1, CTL_ACTIVATE_IN, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct args_flag ctl_keygen[] = {
	{ "type", 1, CTL_TYPE, NULL },
	{ "out", 1, CTL_OUT, NULL },
	{ "force", 0, CTL_FORCE, NULL },
	{ NULL, 0, 0, NULL },
};

/* verify's flags beside jsonwebtoken's options */
static const struct args_flag ctl_verify[] = {
	{ "cache", 0, CTL_CACHE, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct args_flag ctl_revoke[] = {
	{ "token", 1, CTL_REVOKE, NULL },
	{ "jti", 1, CTL_REVOKE, NULL },
	{ "sub", 1, CTL_REVOKE, NULL },
	{ NULL, 0, 0, NULL },
};

static const struct args_flag ctl_bare[] = {
	{ NULL, 0, 0, NULL },
};

static int ctl_help(struct ctl *c);

static const struct ctl_cmd {
	const char *name;
	const struct args_flag *flags;
	const struct args_flag *more;  /* or NULL */
	int maxpos;
	int (*run)(struct ctl *c);
} ctl_cmds[] = {
	{ "sign", opts_sign, NULL, 1, cmd_sign },
	{ "verify", opts_verify, ctl_verify, 1, cmd_verify },
	{ "keys", ctl_bare, NULL, 0, cmd_keys },
	{ "reload", ctl_bare, NULL, 0, cmd_reload },
	{ "rotate", ctl_rotate, NULL, 0, cmd_rotate },
	{ "stats", ctl_bare, NULL, 0, cmd_stats },
	{ "metrics", ctl_bare, NULL, 0, cmd_metrics },
	{ "jwks", ctl_bare, NULL, 0, cmd_jwks },
	{ "ping", ctl_bare, NULL, 0, cmd_ping },
	{ "revoke", ctl_revoke, NULL, 0, cmd_revoke },
	{ "watch", ctl_bare, NULL, 0, cmd_watch },
	{ "keygen", ctl_keygen, NULL, 0, cmd_keygen },
	{ "help", ctl_bare, NULL, 1, ctl_help },
};

/* agauthctl help [COMMAND] */
static int ctl_help(struct ctl *c)
{
	if (help_show(c->npos > 0 ? c->pos[0] : NULL) == 0)
		return OUT_OK;
	return out_usage(c->who, "no command '%s'", c->pos[0]);
}

static const struct ctl_cmd *ctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof ctl_cmds / sizeof *ctl_cmds; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

/* Applies one flag: 0, or OUT_USAGE after saying why. */
static int ctl_flag(struct ctl *c, const struct args_flag *f, const char *val)
{
	char why[256];

	if (f->key != NULL) {
		if (opts_add(&c->o, f, val, why, sizeof why) != 0)
			return out_usage(c->who, "%s", why);
		return 0;
	}
	switch (f->id) {
	case CTL_SOCKET: c->socket = val; break;
	case CTL_JSON: c->json = 1; break;
	case CTL_HELP: c->help = 1; break;
	case CTL_VERSION: c->version = 1; break;
	case CTL_ALG: c->alg = val; break;
	case CTL_TYPE: c->keytype = val; break;
	case CTL_OUT: c->keyout = val; break;
	case CTL_FORCE: c->force = 1; break;
	case CTL_CACHE: c->cache = 1; break;
	case CTL_CLUSTER: c->cluster = 1; break;
	case CTL_ACTIVATE_IN: c->activate_in = val; break;
	case CTL_REVOKE:
		c->rkind = f->name;
		c->rvalue = val;
		c->nrevoke++;
		break;
	default: break;
	}
	return 0;
}

/*
 * Reads flags with tabs until the end of the line (*pos is then NULL) or,
 * if stop, until the first positional argument (*pos).  Positionals past
 * the command go to c->pos, at most maxpos.  0, or OUT_USAGE.
 */
static int ctl_parse(struct ctl *c, struct args *it,
		     const struct args_flag *const *tabs, int stop,
		     int maxpos, const char **pos)
{
	const struct args_flag *f;
	const char *val;
	int rc;

	*pos = NULL;
	for (;;) {
		it->who = c->who;
		rc = args_next(it, tabs, &f, &val);
		if (rc == ARGS_END)
			return 0;
		if (rc == ARGS_BAD)
			return OUT_USAGE;
		if (rc == ARGS_FLAG) {
			if (ctl_flag(c, f, val) != 0)
				return OUT_USAGE;
			continue;
		}
		if (stop) {
			*pos = val;
			return 0;
		}
		if (c->npos >= maxpos)
			return out_usage(c->who, "unexpected argument '%s'",
					 val);
		c->pos[c->npos++] = val;
	}
}

static int ctl_main(int argc, char **argv)
{
	const struct args_flag *global[] = { ctl_global, NULL };
	const struct args_flag *tabs[] = { NULL, ctl_global, NULL, NULL };
	struct args it = { .argv = argv, .argc = argc, .i = 1 };
	const struct ctl_cmd *cmd;
	const char *name;
	struct ctl c;
	int rc;

	memset(&c, 0, sizeof c);
	snprintf(c.who, sizeof c.who, "agauthctl");
	rc = ctl_parse(&c, &it, global, 1, 0, &name);
	if (rc != 0)
		return rc;
	if (name == NULL && c.help) {
		help_show(NULL);
		return OUT_OK;
	}
	/* libagauth's number is the release's: agauthctl is built with it */
	if (name == NULL && c.version) {
		printf("agauthctl %s\n", agauth_version());
		return OUT_OK;
	}
	if (name == NULL)
		return out_usage(c.who, "no command");
	cmd = ctl_find(name);
	if (cmd == NULL)
		return out_usage(c.who, "no command '%s'", name);
	snprintf(c.who, sizeof c.who, "agauthctl %s", cmd->name);
	tabs[0] = cmd->flags;
	tabs[2] = cmd->more;
	rc = ctl_parse(&c, &it, tabs, 0, cmd->maxpos, &name);
	if (rc != 0)
		return rc;
	if (c.help) {
		help_show(cmd->name);
		return OUT_OK;
	}
	return cmd->run(&c);
}

int main(int argc, char **argv)
{
	return out_finish(ctl_main(argc, argv));
}
