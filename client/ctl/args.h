/*
 * args.h - agauthctl's command lines: long flags (--name VALUE,
 * --name=VALUE, --switch), "--" ending them, and positional arguments
 * anywhere in between ("-" is a positional: standard input).
 */
#ifndef AGCTL_ARGS_H
#define AGCTL_ARGS_H

struct args_flag {
	const char *name;        /* without the leading "--" */
	int has_arg;
	int id;                  /* the command's meaning; for sign and
				    verify options, an enum opts_kind */
	const char *key;         /* sign and verify options: the
				    jsonwebtoken option it sets */
};

struct args {
	char **argv;
	int argc, i;
	int rest;                /* after "--": all positional */
	const char *who;         /* "agauthctl sign", for messages */
};

enum { ARGS_BAD = -1, ARGS_END, ARGS_FLAG, ARGS_POS };

/*
 * The next argument: ARGS_FLAG with the flag (looked up in the
 * NULL-ended list of tables, each ended by a NULL name) and its value,
 * ARGS_POS with the value, ARGS_END, or ARGS_BAD after telling the user
 * why on stderr.
 */
int args_next(struct args *it, const struct args_flag *const *tabs,
	      const struct args_flag **f, const char **val);

#endif
