/* test_statedir.c - the state directory: made, checked, locked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/statedir.h"

static char dir[64], state[96], lock[128];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/agauthd-sd-%d-XXXXXX", (int)getpid());
	cr_assert_not_null(mkdtemp(dir));
	snprintf(state, sizeof state, "%s/state", dir);
	snprintf(lock, sizeof lock, "%s/" STATEDIR_LOCK_NAME, state);
}

static void teardown(void)
{
	char cmd[128];

	statedir_unlock();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(statedir, .init = setup, .fini = teardown);

/* statedir_lock(state) in a child process (locks belong to processes):
 * its result, and its message in msg. */
static int lock_elsewhere(char *msg, size_t cap)
{
	struct ag_error e;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int rc = statedir_lock(state, &e);

		if (rc != 0 && write(fds[1], e.msg, strlen(e.msg)) < 0)
			_exit(2);
		_exit(rc == 0 ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], msg, cap - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status) == 0 ? 0 : -1;
}

Test(statedir, makes_the_directory_and_locks_it)
{
	struct ag_error e;
	struct stat st;

	cr_assert_eq(statedir_lock(state, &e), 0, "%s", e.msg);
	cr_assert_eq(stat(state, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(lstat(lock, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(st.st_size, 0, "nothing is written into the lock file");
}

/* A second daemon on the directory stops at the lock, and is told who
 * holds it; once the holder lets go, the directory is free again. */
Test(statedir, one_process_at_a_time)
{
	struct ag_error e;
	char msg[512], want[400];

	cr_assert_eq(statedir_lock(state, &e), 0, "%s", e.msg);
	cr_assert_eq(lock_elsewhere(msg, sizeof msg), -1, "locked twice");
	snprintf(want, sizeof want, "%s: locked by process %d: another "
		 "agauthd uses the state directory %s; stop it first", lock,
		 (int)getpid(), state);
	cr_assert(strstr(msg, want) == msg, "%s", msg);
	statedir_unlock();
	cr_assert_eq(lock_elsewhere(msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(statedir_lock(state, &e), 0, "%s", e.msg);
}

/* Whoever else may write the directory may swap what is in it: refused
 * before anything is made there. */
Test(statedir, refuses_a_directory_others_may_write)
{
	struct ag_error e;

	cr_assert_eq(mkdir(state, 0700), 0);
	cr_assert_eq(chmod(state, 0777), 0);
	cr_assert_eq(statedir_lock(state, &e), -1);
	cr_assert_eq(e.code, AG_E_STATE);
	cr_assert(strstr(e.msg, "/state: writable by others than agauthd "
			 "(mode 0777") != NULL, "%s", e.msg);
	cr_assert_eq(access(lock, F_OK), -1, "a file was made in it");
	cr_assert_eq(statedir_check(state, &e), -1);
	cr_assert_eq(chmod(state, 0700), 0);
	cr_assert_eq(statedir_check(state, &e), 0, "%s", e.msg);
}

Test(statedir, refuses_a_lock_file_that_is_not_one)
{
	struct ag_error e;
	char target[128];

	cr_assert_eq(mkdir(state, 0700), 0);
	snprintf(target, sizeof target, "%s/elsewhere", dir);
	cr_assert_eq(symlink(target, lock), 0);
	cr_assert_eq(statedir_lock(state, &e), -1);
	cr_assert(strstr(e.msg, STATEDIR_LOCK_NAME) != NULL, "%s", e.msg);
	cr_assert_eq(access(target, F_OK), -1, "made through the link");
	cr_assert_eq(unlink(lock), 0);
	cr_assert_eq(mkdir(lock, 0700), 0);
	cr_assert_eq(statedir_lock(state, &e), -1);
	cr_assert(strstr(e.msg, STATEDIR_LOCK_NAME) != NULL, "%s", e.msg);
}

Test(statedir, a_missing_directory_is_told_apart)
{
	struct ag_error e;

	cr_assert_eq(statedir_check(state, &e), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert(strstr(e.msg, "No such file or directory") != NULL, "%s",
		  e.msg);
}
