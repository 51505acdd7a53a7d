/*
 * keygen.c - agauthctl keygen.  agauthctl links no crypto and holds no
 * key, so it runs `agauthd keygen TYPE FILE [--force]`, found through
 * $AGAUTHD_BIN, else beside agauthctl (the build directory), else in
 * ../sbin from it (an installed PREFIX/bin/agauthctl), else on the PATH.
 */
#include "client/ctl/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/ctl/out.h"

static const char *const keygen_types[] = {
	"hs256", "hs384", "hs512", "rsa2048", "rsa3072", "rsa4096",
	"p256", "p384", "p521", "cluster", NULL,
};

static int keygen_known(const char *type)
{
	const char *const *t;

	for (t = keygen_types; *t != NULL; t++)
		if (strcmp(*t, type) == 0)
			return 1;
	return 0;
}

/* The agauthd to run into path[cap]; "agauthd" means: search the PATH. */
static void keygen_bin(char *path, size_t cap)
{
	static const char *const near[] = { "agauthd", "../sbin/agauthd" };
	const char *env = getenv("AGAUTHD_BIN");
	char self[PATH_MAX];
	ssize_t n;
	size_t i;
	char *slash;

	snprintf(path, cap, "agauthd");
	if (env != NULL && *env != '\0') {
		snprintf(path, cap, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return;
	slash[1] = '\0';
	for (i = 0; i < sizeof near / sizeof *near; i++) {
		if ((size_t)snprintf(path, cap, "%s%s", self, near[i]) < cap &&
		    access(path, X_OK) == 0)
			return;
	}
	snprintf(path, cap, "agauthd");
}

/*
 * Runs agauthd with argv and waits: its exit status, or -1 with errno if
 * it could not be started at all.  A close-on-exec pipe tells the two
 * apart: it carries errno only when exec failed.
 */
static int keygen_run(const char *const argv[])
{
	int fds[2], e = 0, status;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* exec's argv is not const for historical reasons only */
		char *const *args = (char *const *)(uintptr_t)argv;

		close(fds[0]);
		if (strchr(argv[0], '/') != NULL)
			execv(argv[0], args);
		else
			execvp(argv[0], args);
		e = errno;
		(void)!write(fds[1], &e, sizeof e);
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0) {
		e = errno;
		close(fds[0]);
		errno = e;
		return -1;
	}
	do
		n = read(fds[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof e) {
		errno = e;
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int cmd_keygen(struct ctl *c)
{
	char bin[PATH_MAX];
	const char *argv[6];
	struct buf b;
	int n = 0, rc;

	if (c->keytype == NULL || c->keyout == NULL)
		return out_usage(c->who, "--type and --out are required");
	if (!keygen_known(c->keytype))
		return out_usage(c->who, "unknown key type '%s' (hs256, hs384, "
				 "hs512, rsa2048, rsa3072, rsa4096, p256, "
				 "p384, p521, cluster)", c->keytype);
	keygen_bin(bin, sizeof bin);
	argv[n++] = bin;
	argv[n++] = "keygen";
	argv[n++] = c->keytype;
	argv[n++] = c->keyout;
	if (c->force)
		argv[n++] = "--force";
	argv[n] = NULL;
	rc = keygen_run(argv);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot run %s: %s\n", c->who, bin,
			strerror(errno));
		return OUT_UNREACHABLE;
	}
	/* agauthd has said why on stderr */
	if (rc != 0)
		return rc == OUT_USAGE ? OUT_USAGE : OUT_FAILED;
	if (!c->json)
		return OUT_OK;
	out_ok(&b);
	out_key_str(&b, "type", c->keytype);
	out_key_str(&b, "out", c->keyout);
	return out_close(&b);
}
