/* fields.c - space-separated fields and millisecond times. */
#include "shared/fields.h"

#include <string.h>

const char *fields_next(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *sp = memchr(s, ' ', (size_t)(end - s));

	if (sp == NULL)
		return NULL;
	*n = (size_t)(sp - s);
	*p = sp + 1;
	return s;
}

int fields_ms(const char *s, size_t n, size_t max_digits, double *out)
{
	unsigned long long v = 0;
	size_t i;

	/* at most 15 digits: exact in a double, and no overflow */
	if (n == 0 || n > max_digits || max_digits > 15)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = (double)v / 1000;
	return 0;
}
