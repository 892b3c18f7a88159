// SPDX-License-Identifier: GPL-2.0
/* vsock-fwd: messages, and numbers read from the command line. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "utils.h"
#include "vsock-fwd.h"

const char *prog = "vsock-fwd";
const char *batch_file;
unsigned int batch_line;

/* "vsock-fwd: [FILE:LINE: ]message" */
static void verror(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	if (batch_file)
		fprintf(stderr, "%s:%u: ", batch_file, batch_line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", prog);
	return EXIT_USAGE;
}

int parse_u32(const char *cmd, const char *name, const char *s,
	      uint32_t min, uint32_t max, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (!*s)
		return usage_error("%s: %s is empty", cmd, name);
	if (*s == '-' && isdigit((unsigned char)s[1]))
		return usage_error("%s: %s '%s' is negative", cmd, name, s);
	/* strtoull() would skip blanks and take a sign: only digits here. */
	if (!isdigit((unsigned char)*s))
		return usage_error("%s: %s '%s' is not a number%s", cmd, name, s,
				   *s == '-' ? " (options go before the command)" : "");
	/* C reads 010 as 8, most people as 10: neither, silently. */
	if (s[0] == '0' && isdigit((unsigned char)s[1]))
		return usage_error("%s: %s '%s' has a leading 0: write it in decimal, or in hexadecimal with 0x",
				   cmd, name, s);
	errno = 0;
	x = strtoull(s, &end, 0);
	if (*end)
		return usage_error("%s: %s '%s' is not a number: trailing '%s'",
				   cmd, name, s, end);
	if (errno == ERANGE || x < min || x > max)
		return usage_error("%s: %s '%s' is out of range (%u to %u)",
				   cmd, name, s, min, max);
	*v = x;
	return EXIT_OK;
}

int parse_cid(const char *cmd, const char *name, const char *s, uint32_t *cid)
{
	return parse_u32(cmd, name, s, 3, UINT32_MAX - 1, cid);
}
