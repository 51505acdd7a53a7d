/* args.c - long flags and positional arguments. */
#include "client/ctl/args.h"

#include <string.h>

#include "client/ctl/out.h"

static const struct args_flag *args_find(const struct args_flag *const *tabs,
					 const char *name, size_t n)
{
	const struct args_flag *f;

	for (; *tabs != NULL; tabs++)
		for (f = *tabs; f->name != NULL; f++)
			if (strlen(f->name) == n && memcmp(f->name, name, n) == 0)
				return f;
	return NULL;
}

int args_next(struct args *it, const struct args_flag *const *tabs,
	      const struct args_flag **f, const char **val)
{
	const char *arg, *name, *eq;
	size_t n;

	if (it->i >= it->argc)
		return ARGS_END;
	arg = it->argv[it->i++];
	if (!it->rest && strcmp(arg, "--") == 0) {
		it->rest = 1;
		return args_next(it, tabs, f, val);
	}
	*val = arg;
	/* "-" names standard input; "-h" is the one short flag */
	if (it->rest || arg[0] != '-' || arg[1] == '\0')
		return ARGS_POS;
	if (strcmp(arg, "-h") == 0)
		arg = "--help";
	if (arg[1] != '-') {
		out_usage(it->who, "unknown flag '%s' (flags are long: "
			  "--name)", arg);
		return ARGS_BAD;
	}
	name = arg + 2;
	eq = strchr(name, '=');
	n = eq != NULL ? (size_t)(eq - name) : strlen(name);
	*f = args_find(tabs, name, n);
	*val = NULL;
	if (*f == NULL) {
		out_usage(it->who, "unknown flag '--%.*s'", (int)n, name);
		return ARGS_BAD;
	}
	if (!(*f)->has_arg && eq != NULL) {
		out_usage(it->who, "--%s takes no value", (*f)->name);
		return ARGS_BAD;
	}
	if (!(*f)->has_arg)
		return ARGS_FLAG;
	if (eq != NULL)
		*val = eq + 1;
	else if (it->i < it->argc)
		*val = it->argv[it->i++];
	if (*val == NULL) {
		out_usage(it->who, "--%s needs a value", (*f)->name);
		return ARGS_BAD;
	}
	return ARGS_FLAG;
}
