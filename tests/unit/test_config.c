/* test_config.c - agauthd.conf parsing and access lists. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/config.h"

static char path[64];

static int load(struct config *c, const char *text, struct ag_error *e)
{
	FILE *f;

	snprintf(path, sizeof path, "/tmp/agauthd-test-%d.conf", (int)getpid());
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	config_defaults(c);
	return config_load(c, path, e);
}

Test(config, defaults_and_values)
{
	static struct config c;
	struct ag_error e;

	cr_assert_eq(load(&c, "[socket]\npath = s.sock\nmode = 0600\n"
			  "[limits]\nmax_frame = 1024\n[keys]\n"
			  "default_expiry = 60\nallow_none = yes\n", &e), 0,
		     "%s", e.msg);
	cr_assert_str_eq(c.socket_path, "/tmp/s.sock", "relative to the file");
	cr_assert_eq(c.socket_mode, 0600);
	cr_assert_eq(c.max_frame, 1024);
	cr_assert_eq(c.default_expiry, 60);
	cr_assert(c.allow_none);
	cr_assert_eq(c.max_inflight, AG_INFLIGHT_DEFAULT);
	cr_assert_eq(c.watch_output, AG_WATCH_OUTPUT_DEFAULT);
	cr_assert_eq(load(&c, "[limits]\nwatch_output = 262144\n", &e), 0,
		     "%s", e.msg);
	cr_assert_eq(c.watch_output, 262144);
	unlink(path);
}

Test(config, errors_name_file_and_line)
{
	static struct config c;
	struct ag_error e;
	char want[128];

	cr_assert_eq(load(&c, "[daemon]\nlog_level = info\ntreads = 4\n", &e),
		     -1);
	snprintf(want, sizeof want, "%s:3: unknown option 'treads' in "
		 "[daemon]", path);
	cr_assert_str_eq(e.msg, want);
	cr_assert_eq(load(&c, "[limits]\nmax_frame = 10\n", &e), -1);
	cr_assert(strstr(e.msg, ":2: max_frame must be") != NULL, "%s", e.msg);
	cr_assert_eq(load(&c, "[limits]\nwatch_output = 100\n", &e), -1);
	cr_assert(strstr(e.msg, ":2: watch_output must be a whole number from "
			 "65536 to") != NULL, "%s", e.msg);
	cr_assert_eq(load(&c, "[socket]\nmode = 0999\n", &e), -1);
	cr_assert_eq(load(&c, "[access]\nsign = uid:x\n", &e), -1);
	cr_assert(strstr(e.msg, "bad entry 'uid:x'") != NULL, "%s", e.msg);
	cr_assert_eq(load(&c, "not ini\n", &e), -1);
	unlink(path);
}

Test(config, subject_claims)
{
	static struct config c;
	struct ag_error e;

	config_defaults(&c);
	cr_assert_str_eq(c.revoke_subject, "sub username", "SocketCluster's "
			 "setAuthToken({username}) with no configuration");
	cr_assert_eq(load(&c, "[revocation]\nsubject_claims =  uid\temail  "
			  "sub\n", &e), 0, "%s", e.msg);
	cr_assert_str_eq(c.revoke_subject, "uid email sub");
	cr_assert_eq(load(&c, "[revocation]\nclaim = email\n", &e), 0, "%s",
		     e.msg);
	cr_assert_str_eq(c.revoke_subject, "email", "the one-claim spelling");
	cr_assert_eq(load(&c, "[revocation]\nsubject_claims = a b c d e f g h "
			  "i\n", &e), -1, "more than AG_SUBJECT_CLAIMS_MAX");
	cr_assert(strstr(e.msg, "subject_claims must be 1 to 8 claim names") !=
		  NULL, "%s", e.msg);
	cr_assert_eq(load(&c, "[revocation]\nsubject_claims = sub a/b\n", &e),
		     -1);
	cr_assert_eq(load(&c, "[revocation]\nsubject_claims = x"
			  "12345678901234567890123456789012345678901234567890"
			  "12345678901234\n", &e), -1, "a name of 65 bytes");
	unlink(path);
}

Test(config, cluster)
{
	static struct config c;
	struct ag_error e;

	config_defaults(&c);
	cr_assert_str_eq(c.cluster_redis, "", "no fleet unless configured");
	cr_assert_str_eq(c.cluster_prefix, "agauthd:");
	cr_assert_eq(load(&c, "[cluster]\nredis = 127.0.0.1:6379\nkey = "
			  "keys/cluster.key\nname = web-1\npassword_file = "
			  "/etc/p\nuser = agauthd\nprefix = x:\n", &e), 0,
		     "%s", e.msg);
	cr_assert_str_eq(c.cluster_redis, "127.0.0.1:6379");
	cr_assert_str_eq(c.cluster_key, "/tmp/keys/cluster.key",
			 "relative to the file");
	cr_assert_str_eq(c.cluster_name, "web-1");
	cr_assert_str_eq(c.cluster_user, "agauthd");
	cr_assert_str_eq(c.cluster_prefix, "x:");
	cr_assert_eq(load(&c, "[cluster]\nredis = /run/redis.sock\n", &e), -1);
	cr_assert(strstr(e.msg, "[cluster] redis needs key") != NULL, "%s",
		  e.msg);
	cr_assert_eq(load(&c, "[cluster]\nkey = k\n", &e), -1);
	cr_assert(strstr(e.msg, "[cluster] needs redis") != NULL, "%s", e.msg);
	cr_assert_eq(load(&c, "[cluster]\nname = \x01x\n", &e), -1);
	cr_assert(strstr(e.msg, "printable") != NULL, "%s", e.msg);
	unlink(path);
}

Test(config, access_lists)
{
	static struct config c;
	struct ag_error e;

	cr_assert_eq(load(&c, "[access]\nsign = uid:1000 gid:50\nverify = *\n"
			  "admin = user:root\n", &e), 0, "%s", e.msg);
	cr_assert(config_allows(&c.sign, 1000, 7));
	cr_assert(config_allows(&c.sign, 5, 50));
	cr_assert(!config_allows(&c.sign, 5, 7));
	cr_assert(config_allows(&c.verify, 12345, 12345));
	cr_assert(config_allows(&c.admin, 0, 99));
	cr_assert(!config_allows(&c.admin, 1, 0));
	config_defaults(&c);
	cr_assert(config_allows(&c.admin, 0, 0), "root administers");
	cr_assert(!config_allows(&c.admin, 65534, 65534));
	unlink(path);
}

/* [access] metrics: verify's holders unless given, wherever verify is
 * written; given (even empty), only those it names */
Test(config, metrics_right)
{
	static struct config c;
	struct ag_error e;

	config_defaults(&c);
	cr_assert(config_allows(&c.metrics, 65534, 65534), "as verify: *");
	cr_assert_eq(load(&c, "[access]\nverify = uid:1000\n", &e), 0, "%s",
		     e.msg);
	cr_assert(config_allows(&c.metrics, 1000, 7));
	cr_assert(!config_allows(&c.metrics, 65534, 65534),
		  "verify's list, not the default *");
	cr_assert_eq(load(&c, "[access]\nmetrics = gid:77\nverify = *\n", &e),
		     0, "%s", e.msg);
	cr_assert(config_allows(&c.metrics, 5, 77));
	cr_assert(!config_allows(&c.metrics, 1000, 7), "only those it names");
	cr_assert(config_allows(&c.verify, 1000, 7));
	cr_assert_eq(load(&c, "[access]\nmetrics =\n", &e), 0, "%s", e.msg);
	cr_assert(!config_allows(&c.metrics, 0, 0), "empty: nobody");
	cr_assert(config_allows(&c.verify, 0, 0));
	unlink(path);
}

/* e.msg of loading text, which must fail: the message after "FILE:N: " */
static const char *refusal(struct config *c, const char *text,
			   struct ag_error *e)
{
	const char *m;

	cr_assert_eq(load(c, text, e), -1, "loaded: %s", text);
	m = strstr(e->msg, ": ");
	cr_assert_not_null(m, "%s", e->msg);
	return m + 2;
}

Test(config, a_misspelt_section_is_blamed_with_the_ones_there_are)
{
	static struct config c;
	struct ag_error e;

	cr_assert_str_eq(refusal(&c, "[deamon]\nthreads = 2\n", &e),
			 "unknown section [deamon]; the sections are [daemon], "
			 "[socket], [keys], [access], [limits], [cache], "
			 "[revocation], [cluster]");
	cr_assert(strstr(refusal(&c, "threads = 2\n", &e),
			 "an option before any section; the sections are "
			 "[daemon],") != NULL, "%s", e.msg);
}

Test(config, an_invalid_value_is_quoted_and_a_trailing_comment_named)
{
	static struct config c;
	struct ag_error e;

	cr_assert_str_eq(refusal(&c, "[limits]\nmax_inflight = many\n", &e),
			 "max_inflight must be a whole number from 1 to 65536, "
			 "not 'many'");
	/* inih ends a value at " ;", never at " #" */
	cr_assert_str_eq(refusal(&c, "[daemon]\nthreads = 4 # four\n", &e),
			 "threads must be a whole number from 0 to 64, not "
			 "'4 # four'; a comment takes a line of its own, "
			 "starting with # or ;");
	cr_assert_str_eq(refusal(&c, "[daemon]\nuser = root # admin\n", &e),
			 "no user 'root # admin'; a comment takes a line of its "
			 "own, starting with # or ;");
	cr_assert_eq(load(&c, "[daemon]\nthreads = 4 ; four\n", &e), 0,
		     "%s", e.msg);
	cr_assert_eq(c.threads, 4);
}

Test(config, an_unknown_user_or_group_in_access_does_not_exist)
{
	static struct config c;
	struct ag_error e;

	cr_assert_str_eq(refusal(&c, "[access]\nsign = uid:0 user:no-such-"
				 "agauthd-user\n", &e), "user 'no-such-agauthd-"
			 "user' does not exist (entry 'user:no-such-agauthd-"
			 "user')");
	cr_assert_str_eq(refusal(&c, "[access]\nverify = group:no-such-"
				 "agauthd-group\n", &e), "group 'no-such-"
			 "agauthd-group' does not exist (entry 'group:no-such-"
			 "agauthd-group')");
}

Test(config, booleans_are_yes_no_true_false)
{
	static const struct {
		const char *v;
		int want;
	} ok[] = { { "yes", 1 }, { "true", 1 }, { "no", 0 }, { "false", 0 } };
	static struct config c;
	struct ag_error e;
	char text[64];
	size_t i;

	for (i = 0; i < sizeof ok / sizeof *ok; i++) {
		snprintf(text, sizeof text, "[keys]\nallow_none = %s\n", ok[i].v);
		c.allow_none = !ok[i].want;
		cr_assert_eq(load(&c, text, &e), 0, "%s: %s", ok[i].v, e.msg);
		cr_assert_eq(c.allow_none, ok[i].want, "%s", ok[i].v);
	}
	cr_assert_str_eq(refusal(&c, "[keys]\nallow_none = True\n", &e),
			 "allow_none must be yes, no, true or false, not 'True'");
}
