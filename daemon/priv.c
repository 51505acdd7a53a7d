/* priv.c - the user agauthd runs as, and giving up root for it. */
#include "daemon/priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static struct {
	int drops;
	char user[64];
	uid_t uid;
	gid_t gid;
	int own_gid;
} priv;

int priv_plan(const char *user, uid_t uid, gid_t gid, int own_gid,
	      struct ag_error *e)
{
	memset(&priv, 0, sizeof priv);
	if (user == NULL || user[0] == '\0')
		return 0;
	if (strlen(user) >= sizeof priv.user)
		return ag_fail(e, AG_E_CONFIG, "user name '%.40s...' too long",
			       user);
	if (geteuid() != 0) {
		/* already that user (systemd User= and user = both set) */
		if (geteuid() == uid && getegid() == gid)
			return 0;
		return ag_fail(e, AG_E_CONFIG, "user = %s: agauthd runs as "
			       "uid %u gid %u and cannot become uid %u gid %u; "
			       "start it as root, or as that user", user,
			       (unsigned)geteuid(), (unsigned)getegid(),
			       (unsigned)uid, (unsigned)gid);
	}
	snprintf(priv.user, sizeof priv.user, "%s", user);
	priv.uid = uid;
	priv.gid = gid;
	priv.own_gid = own_gid;
	priv.drops = uid != 0;
	return 0;
}

int priv_drops(void)
{
	return priv.drops;
}

uid_t priv_uid(void)
{
	return priv.drops ? priv.uid : geteuid();
}

gid_t priv_gid(void)
{
	return priv.drops ? priv.gid : getegid();
}

int priv_undumpable(struct ag_error *e)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)
		return 0;
	return ag_fail(e, AG_E_SYSTEM, "prctl(PR_SET_DUMPABLE, 0): %s: "
		       "processes of agauthd's user could read key material "
		       "from its memory (ptrace, /proc/PID/mem) and a crash "
		       "could dump it; refusing to run (a seccomp filter must "
		       "allow prctl)", strerror(errno));
}

/* The user's groups, or none but the configured one: root's groups (0
 * among them) must not come along. */
static int priv_groups(struct ag_error *e)
{
	if (priv.own_gid ? setgroups(0, NULL) != 0 :
	    initgroups(priv.user, priv.gid) != 0)
		return ag_fail(e, AG_E_CONFIG, "cannot set the groups of %s: "
			       "%s", priv.user, strerror(errno));
	return 0;
}

/* "NAME (uid N)", or "uid N" for a uid without a name. */
static void priv_name(uid_t uid, char *out, size_t n)
{
	const struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(out, n, "%s (uid %u)", pw->pw_name, (unsigned)uid);
	else
		snprintf(out, n, "uid %u", (unsigned)uid);
}

void priv_not_owner(uid_t owner, char *out, size_t n)
{
	const struct passwd *pw = getpwuid(owner);
	char who[96], us[96], name[64] = "";

	/* getpwuid's answer is overwritten by the next call */
	if (pw != NULL)
		snprintf(name, sizeof name, "%s", pw->pw_name);
	priv_name(owner, who, sizeof who);
	priv_name(priv_uid(), us, sizeof us);
	if (priv_uid() != 0 || name[0] == '\0') {
		snprintf(out, n, "owned by %s, not by the user this agauthd "
			 "runs as, %s, nor by root", who, us);
		return;
	}
	/* root without [daemon] user: most likely a check by hand of the
	 * files a service running as that owner uses */
	snprintf(out, n, "owned by %s, but this agauthd runs as root and "
		 "only reads files owned by root or by the user it runs as; "
		 "if the service runs as %s, check as that user: runuser -u "
		 "%s -- agauthd -t", who, name, name);
}

int priv_assume(struct ag_error *e)
{
	if (!priv.drops)
		return 0;
	if (priv_groups(e) != 0)
		return -1;
	if (setegid(priv.gid) != 0 || seteuid(priv.uid) != 0)
		return ag_fail(e, AG_E_CONFIG, "cannot act as %s: %s",
			       priv.user, strerror(errno));
	return priv_undumpable(e);
}

int priv_resume(struct ag_error *e)
{
	if (!priv.drops)
		return 0;
	if (seteuid(0) != 0 || setegid(0) != 0)
		return ag_fail(e, AG_E_CONFIG, "cannot act as root again: %s",
			       strerror(errno));
	return priv_undumpable(e);
}

int priv_drop(struct ag_error *e)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (!priv.drops)
		return 0;
	/* groups first, then the gid, then the uid: each needs the root the
	 * next one takes away */
	if (priv_groups(e) != 0)
		return -1;
	if (setgid(priv.gid) != 0 || setuid(priv.uid) != 0)
		return ag_fail(e, AG_E_CONFIG, "cannot become %s (uid %u gid "
			       "%u): %s", priv.user, (unsigned)priv.uid,
			       (unsigned)priv.gid, strerror(errno));
	/* a drop that could be undone is no drop: real, effective and saved
	 * ids are all the user's, and asking for root back fails */
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    ru != priv.uid || eu != priv.uid || su != priv.uid ||
	    rg != priv.gid || eg != priv.gid || sg != priv.gid ||
	    setuid(0) == 0 || seteuid(0) == 0 ||
	    (priv.gid != 0 && (setgid(0) == 0 || setegid(0) == 0)))
		return ag_fail(e, AG_E_CONFIG, "dropped root for %s, but could "
			       "get it back: refusing to run", priv.user);
	return priv_undumpable(e);
}
