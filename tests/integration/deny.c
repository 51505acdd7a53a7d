/*
 * deny.c - runs a program with some system calls refused (EPERM), as a
 * seccomp filter such as systemd's SystemCallFilter= refuses them, so
 * that a test can watch agauthd meet a hardening call that fails
 * (hygiene.test.js).  The process execs the program: its pid stays.
 *
 *   deny RULE... -- PROGRAM [ARG...]
 *
 * A RULE is a system call's name and conditions on its arguments, each
 * on the low 32 bits of argument N: NAME[,N=VALUE|,N!=VALUE]...  For
 * example prctl,0=4 refuses prctl(PR_SET_DUMPABLE, ...);
 * prlimit64,1=4,2!=0 refuses setting RLIMIT_CORE (getting it still
 * works); fcntl,0=3,1=4 refuses F_SETFL on descriptor 3.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define DENY_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define DENY_ARCH AUDIT_ARCH_AARCH64
#else
#error "deny.c: add this architecture's AUDIT_ARCH_ value"
#endif

#define DENY_PROG_MAX 256
#define DENY_CONDS_MAX 6

static const struct {
	const char *name;
	int nr;
} deny_calls[] = {
	{ "prctl", SYS_prctl },
	{ "prlimit64", SYS_prlimit64 },
	{ "fcntl", SYS_fcntl },
};

static struct sock_filter deny_prog[DENY_PROG_MAX];
static unsigned short deny_len;

static void deny_emit(unsigned short code, unsigned k, unsigned char jt,
		      unsigned char jf)
{
	if (deny_len == DENY_PROG_MAX) {
		fprintf(stderr, "deny: too many rules\n");
		exit(2);
	}
	deny_prog[deny_len++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

static int deny_nr(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof deny_calls / sizeof *deny_calls; i++)
		if (strlen(deny_calls[i].name) == n &&
		    memcmp(deny_calls[i].name, name, n) == 0)
			return deny_calls[i].nr;
	fprintf(stderr, "deny: unknown system call '%.*s'\n", (int)n, name);
	exit(2);
}

/* One rule: if the call and every condition match, EPERM; else on to
 * the next rule. */
static void deny_rule(const char *rule)
{
	struct { int idx, ne; unsigned v; } c[DENY_CONDS_MAX];
	const char *comma = strchr(rule, ',');
	size_t n = comma ? (size_t)(comma - rule) : strlen(rule);
	int nr = deny_nr(rule, n), nc = 0, i, left;
	char *end;

	while (comma != NULL) {
		if (nc == DENY_CONDS_MAX) {
			fprintf(stderr, "deny: too many conditions\n");
			exit(2);
		}
		c[nc].idx = (int)strtol(comma + 1, &end, 10);
		c[nc].ne = end[0] == '!';
		if (c[nc].idx < 0 || c[nc].idx > 5 ||
		    strncmp(end, c[nc].ne ? "!=" : "=", c[nc].ne ? 2 : 1) != 0) {
			fprintf(stderr, "deny: bad condition in '%s'\n", rule);
			exit(2);
		}
		c[nc].v = (unsigned)strtoul(end + 1 + c[nc].ne, &end, 0);
		comma = end[0] == ',' ? end : NULL;
		nc++;
	}
	/* each test skips, when it fails, what is left of the rule: its
	 * own remaining tests (two instructions each) and the return */
	left = 2 * nc + 1;
	deny_emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr),
		  0, 0);
	deny_emit(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0,
		  (unsigned char)left);
	for (i = 0; i < nc; i++) {
		left -= 2;
		deny_emit(BPF_LD | BPF_W | BPF_ABS,
			  offsetof(struct seccomp_data, args) +
			  8 * (unsigned)c[i].idx, 0, 0);
		deny_emit(BPF_JMP | BPF_JEQ | BPF_K, c[i].v,
			  c[i].ne ? (unsigned char)left : 0,
			  c[i].ne ? 0 : (unsigned char)left);
	}
	deny_emit(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
}

int main(int argc, char **argv)
{
	struct sock_fprog fp;
	int i;

	deny_emit(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch),
		  0, 0);
	deny_emit(BPF_JMP | BPF_JEQ | BPF_K, DENY_ARCH, 1, 0);
	deny_emit(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		deny_rule(argv[i]);
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: deny RULE... -- PROGRAM [ARG...]\n");
		return 2;
	}
	deny_emit(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	fp.len = deny_len;
	fp.filter = deny_prog;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) != 0) {
		perror("deny: seccomp");
		return 2;
	}
	execv(argv[i + 1], argv + i + 1);
	perror("deny: exec");
	return 127;
}
