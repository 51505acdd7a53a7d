/* timespan.c - the ms package's parser, digit for digit. */
#include "shared/timespan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/limits.h"

static const struct {
	const char *name;
	double mult;
} timespan_units[] = {
	{ "years", 31557600000.0 }, { "year", 31557600000.0 },
	{ "yrs", 31557600000.0 }, { "yr", 31557600000.0 },
	{ "y", 31557600000.0 },
	{ "weeks", 604800000.0 }, { "week", 604800000.0 },
	{ "w", 604800000.0 },
	{ "days", 86400000.0 }, { "day", 86400000.0 }, { "d", 86400000.0 },
	{ "hours", 3600000.0 }, { "hour", 3600000.0 }, { "hrs", 3600000.0 },
	{ "hr", 3600000.0 }, { "h", 3600000.0 },
	{ "minutes", 60000.0 }, { "minute", 60000.0 }, { "mins", 60000.0 },
	{ "min", 60000.0 }, { "m", 60000.0 },
	{ "seconds", 1000.0 }, { "second", 1000.0 }, { "secs", 1000.0 },
	{ "sec", 1000.0 }, { "s", 1000.0 },
	{ "milliseconds", 1.0 }, { "millisecond", 1.0 }, { "msecs", 1.0 },
	{ "msec", 1.0 }, { "ms", 1.0 },
};

static int timespan_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* /^(-?(?:\d+)?\.?\d+) *(unit)?$/i, then parseFloat of the number. */
int timespan_ms(const char *s, size_t n, double *ms)
{
	char num[AG_TIMESPAN_MAX + 1];
	size_t i = 0, numlen, ulen, k;
	int digits = 0;
	double mult = 1.0;

	if (n == 0 || n > AG_TIMESPAN_MAX)
		return -1;
	if (s[i] == '-')
		i++;
	while (i < n && timespan_digit(s[i])) {
		i++;
		digits++;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !timespan_digit(s[i]))
			return -1;
		while (i < n && timespan_digit(s[i]))
			i++;
	} else if (digits == 0) {
		return -1;
	}
	numlen = i;
	while (i < n && s[i] == ' ')
		i++;
	ulen = n - i;
	if (ulen > 0) {
		for (k = 0; k < sizeof timespan_units / sizeof *timespan_units; k++)
			if (strlen(timespan_units[k].name) == ulen &&
			    strncasecmp(s + i, timespan_units[k].name, ulen) == 0)
				break;
		if (k == sizeof timespan_units / sizeof *timespan_units)
			return -1;
		mult = timespan_units[k].mult;
	}
	memcpy(num, s, numlen);
	num[numlen] = '\0';
	*ms = strtod(num, NULL) * mult;
	return 0;
}

int timespan_eval(const struct json_doc *d, int i, double iat, double now,
		  double *out)
{
	double base = iat != 0 ? iat : floor(now), ms;
	size_t n;
	const char *raw;

	switch (json_type(d, i)) {
	case JSON_STRING: {
		struct buf b;
		int rc;

		/* ms() sees the decoded string; escapes are rare, so decode
		 * only when present */
		raw = json_raw(d, i, &n);
		if (memchr(raw, '\\', n) == NULL)
			rc = timespan_ms(raw, n, &ms);
		else {
			buf_init(&b, AG_TIMESPAN_MAX * 4);
			json_str_utf8(d, i, &b);
			rc = b.err ? -1 : timespan_ms(b.p, b.len, &ms);
			buf_free(&b);
		}
		if (rc != 0)
			return -1;
		*out = floor(base + ms / 1000);
		return 0;
	}
	case JSON_NUMBER:
		*out = base + json_num(d, i);
		return 0;
	default:
		return -1;
	}
}
