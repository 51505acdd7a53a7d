/* fault_util.c - see fault_util.h. */
#include "tests/faults/fault_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/md.h>

#include "client/lib/agauth.h"
#include "shared/b64url.h"

#define FU_LOG_LINE 512

const char *fu_prog = "fault";

double fu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

double fu_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void fu_sleep(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------- files */

int fu_setup(struct fu_daemon *d, const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	char keys[sizeof d->dir + 8];

	memset(d, 0, sizeof *d);
	d->pid = -1;
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 80)
		tmp = "/tmp";
	snprintf(d->dir, sizeof d->dir, "%s/agauthd-%s-XXXXXX", tmp, tag);
	if (mkdtemp(d->dir) == NULL) {
		fprintf(stderr, "%s: mkdtemp %s: %s\n", fu_prog, d->dir,
			strerror(errno));
		return -1;
	}
	snprintf(d->sock, sizeof d->sock, "%s/agauthd.sock", d->dir);
	snprintf(keys, sizeof keys, "%s/keys", d->dir);
	if (mkdir(keys, 0700) != 0) {
		fprintf(stderr, "%s: mkdir %s: %s\n", fu_prog, keys,
			strerror(errno));
		return -1;
	}
	return 0;
}

int fu_write(const struct fu_daemon *d, const char *name, const char *text,
	     unsigned mode)
{
	char path[FU_PATH + 64], tmp[FU_PATH + 72];
	size_t n = strlen(text);
	int fd, rc = 0;

	snprintf(path, sizeof path, "%s/%s", d->dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0 || fchmod(fd, (mode_t)mode) != 0 ||
	    write(fd, text, n) != (ssize_t)n)
		rc = -1;
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "%s: %s: %s\n", fu_prog, path, strerror(errno));
	return rc;
}

int fu_key(const struct fu_daemon *d, struct fu_key *k, const char *name)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[FU_SECRET / 2];
	char file[64];
	size_t i;

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -1;
	for (i = 0; i < sizeof raw; i++) {
		k->secret[2 * i] = hex[raw[i] >> 4];
		k->secret[2 * i + 1] = hex[raw[i] & 15];
	}
	k->secret[FU_SECRET] = '\0';
	snprintf(k->name, sizeof k->name, "%s", name);
	snprintf(file, sizeof file, "keys/%s.key", name);
	return fu_write(d, file, k->secret, 0600);
}

void fu_key_section(const struct fu_key *k, const char *state, char *buf,
		    size_t n)
{
	snprintf(buf, n, "[key %s]\nfile = keys/%s.key\nencoding = text\n"
		 "algorithm = HS256\nstate = %s\n\n", k->name, k->name, state);
}

int fu_config(const struct fu_daemon *d, const char *extra)
{
	char text[4096];
	unsigned uid = (unsigned)getuid();

	snprintf(text, sizeof text,
		 "[daemon]\nlog_level = info\nthreads = 1\nstate_dir = %s\n\n"
		 "[socket]\npath = %s\nmode = 0600\n\n"
		 "[keys]\nkeyring = %s/keyring.conf\n\n"
		 "[access]\nsign = uid:%u\nverify = uid:%u\nadmin = uid:%u\n\n"
		 "%s", d->dir, d->sock, d->dir, uid, uid, uid,
		 extra != NULL ? extra : "");
	return fu_write(d, "agauthd.conf", text, 0600);
}

static int fu_rm1(const char *path, const struct stat *st, int flag,
		  struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int fu_cleanup(struct fu_daemon *d)
{
	if (d->pid > 0)
		fu_kill(d);
	if (d->dir[0] == '\0' || getenv("AGAUTHD_KEEP") != NULL)
		return 0;
	return nftw(d->dir, fu_rm1, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ daemon */

void fu_orphan_guard(int sig)
{
	if (prctl(PR_SET_PDEATHSIG, sig) != 0 || getppid() == 1)
		_exit(127);
}

int fu_spawn(struct fu_daemon *d, const char *agauthd)
{
	char conf[FU_PATH + 16], log[FU_PATH + 16];
	char *const argv[] = { (char *)(uintptr_t)agauthd, "-c", conf, NULL };
	struct rlimit rl;
	int fd;

	snprintf(conf, sizeof conf, "%s/agauthd.conf", d->dir);
	snprintf(log, sizeof log, "%s/agauthd.log", d->dir);
	d->pid = fork();
	if (d->pid != 0)
		return d->pid > 0 ? 0 : -1;
	fu_orphan_guard(SIGTERM);
	/* appended: a restarted daemon's lines follow the dead one's */
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	rl.rlim_cur = rl.rlim_max = d->nofile;
	if (d->nofile > 0 && setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "%s: RLIMIT_NOFILE %lu: %s\n", fu_prog,
			d->nofile, strerror(errno));
		_exit(127);
	}
	execv(agauthd, argv);
	fprintf(stderr, "%s: exec %s: %s\n", fu_prog, agauthd,
		strerror(errno));
	_exit(127);
}

int fu_wait_ready(struct fu_daemon *d, double timeout)
{
	double end = fu_now() + timeout;
	struct agauth_error e;
	agauth_t *a;
	int status;

	e.message[0] = '\0';
	while (fu_now() < end) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = -1;
			fprintf(stderr, "%s: agauthd exited (status %d) "
				"before it listened\n", fu_prog, status);
			return -1;
		}
		a = agauth_open(d->sock, &e);
		if (a != NULL) {
			agauth_close(a);
			return 0;
		}
		fu_sleep(0.002);
	}
	fprintf(stderr, "%s: agauthd did not listen within %.0f s: %s\n",
		fu_prog, timeout, e.message);
	return -1;
}

int fu_start(struct fu_daemon *d, const char *agauthd, double timeout)
{
	if (fu_spawn(d, agauthd) != 0 || fu_wait_ready(d, timeout) != 0) {
		fu_show_log(d, 30);
		return -1;
	}
	return 0;
}

int fu_kill(struct fu_daemon *d)
{
	int status;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = -1;
	return 0;
}

int fu_stop(struct fu_daemon *d)
{
	double end = fu_now() + 10;
	int status = -1;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	while (waitpid(d->pid, &status, WNOHANG) != d->pid) {
		if (fu_now() > end) {
			fprintf(stderr, "%s: agauthd ignored SIGTERM for "
				"10 s\n", fu_prog);
			return fu_kill(d), -1;
		}
		fu_sleep(0.005);
	}
	d->pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: agauthd's exit status %d after SIGTERM\n",
			fu_prog, status);
		return -1;
	}
	return 0;
}

static FILE *fu_open_log(const struct fu_daemon *d)
{
	char path[FU_PATH + 16];

	snprintf(path, sizeof path, "%s/agauthd.log", d->dir);
	return fopen(path, "r");
}

void fu_show_log(const struct fu_daemon *d, int lines)
{
	char (*ring)[FU_LOG_LINE];
	long n = 0, i;
	FILE *f = fu_open_log(d);

	if (f == NULL || lines <= 0)
		goto out;
	ring = calloc((size_t)lines, sizeof *ring);
	if (ring == NULL)
		goto out;
	while (fgets(ring[n % lines], sizeof ring[0], f) != NULL)
		n++;
	fprintf(stderr, "---- last lines of agauthd's log ----\n");
	for (i = n > lines ? n - lines : 0; i < n; i++)
		fputs(ring[i % lines], stderr);
	free(ring);
out:
	if (f != NULL)
		fclose(f);
}

long fu_log_count(const struct fu_daemon *d, const char *s)
{
	char line[FU_LOG_LINE];
	FILE *f = fu_open_log(d);
	long n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		n += strstr(line, s) != NULL;
	fclose(f);
	return n;
}

/* ------------------------------------------------------------ figures */

long fu_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

double fu_cpu(pid_t pid)
{
	char path[64], text[1024], *p;
	unsigned long long ut = 0, st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof text - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	/* after the command's ")": state is field 3, utime 14, stime 15 */
	p = strrchr(text, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

unsigned long long fu_json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = json != NULL ? strstr(json, pat) : NULL;
	return p != NULL ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static int fu_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double fu_percentile(double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, fu_cmp);
	i = (size_t)(p / 100 * (double)n + 0.999999);
	return v[i == 0 ? 0 : i > n ? n - 1 : i - 1];
}

unsigned long fu_nofile(unsigned long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_max < want) {
		rl.rlim_max = want;   /* root only; fails quietly otherwise */
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	return (unsigned long)rl.rlim_cur;
}

/* ------------------------------------------------------------ tokens */

size_t fu_token(const struct fu_key *k, int with_kid, const char *payload,
		char *tok)
{
	char header[96];
	unsigned char mac[32];
	size_t n, hn = (size_t)snprintf(header, sizeof header,
		with_kid ? "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}" :
		"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", k->name);
	size_t pn = strlen(payload);

	/* header, payload and signature with their dots must fit */
	if (B64URL_ENC_LEN(hn) + B64URL_ENC_LEN(pn) + 45 > FU_TOKEN) {
		tok[0] = '\0';
		return 0;
	}
	n = b64url_encode(tok, (const uint8_t *)header, hn);
	tok[n++] = '.';
	n += b64url_encode(tok + n, (const uint8_t *)payload, pn);
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
			(const unsigned char *)k->secret, FU_SECRET,
			(const unsigned char *)tok, n, mac);
	tok[n++] = '.';
	n += b64url_encode(tok + n, mac, sizeof mac);
	tok[n] = '\0';
	return n;
}

void fu_forge(const char *tok, char *out, unsigned seed)
{
	const char *dot = strrchr(tok, '.');
	size_t len = strlen(tok), sig = (size_t)(dot + 1 - tok), i;

	memcpy(out, tok, len + 1);
	/* not the last character: its low bits may not count */
	i = sig + seed % (len - sig - 1);
	out[i] = out[i] == 'A' ? 'B' : 'A';
}
