// SPDX-License-Identifier: GPL-2.0
/*
 * vsock_fwd_bench: the statistics of a report. The samples run printed;
 * per case and metric, the median and the min..max spread over the
 * rounds; the ratios of the pairs of cases compared, paired by round, and
 * whether they meet their targets.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct report rep;

void metric_kind(const char *metric, const char **unit,
			enum better *better)
{
	if (!strcmp(metric, "cpu_lat")) {
		*unit = "us/rtt";
		*better = LOWER;
	} else if (!strcmp(metric, "cpu_conn")) {
		*unit = "us/conn";
		*better = LOWER;
	} else if (!strncmp(metric, "cpu_", 4) ||
		   !strncmp(metric, "vmcpu_", 6)) {
		*unit = "us/MB";
		*better = LOWER;
	} else if (!strncmp(metric, "lat_", 4)) {
		*unit = "us";
		*better = LOWER;
	} else if (!strcmp(metric, "conn_rate")) {
		*unit = "conn/s";
		*better = HIGHER;
	} else {
		*unit = "MB/s";
		*better = HIGHER;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double quantile(double *v, size_t n, double q)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)ceil(q * n);
	return v[i ? i - 1 : 0];
}

double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const struct comparison comparisons[] = {
	{ "ours", "stock", "module, no forward, vs stock", INFO, 0, false },
	{ "fwd", "stock", "forwarded to host vs stock", WITHIN, 0.02, false },
	{ "fwd", "ours", "forward vs no forward (same module)", INFO, 0, false },
	{ "g2g", "relay", "guest-to-guest vs userspace relay", TIMES, 3, true },
	{ "g2g", "socat", "guest-to-guest vs socat", TIMES, 3, true },
	{ "fwd_idle", "fwd", "fwd with idle devices vs without", WITHIN, 0.02, true },
	{ "g2g_idle", "g2g", "g2g with idle devices vs without", WITHIN, 0.02, true },
	{ "l2_fwd", "l2_stock", "real guest: forwarded vs stock", INFO, 0, false },
	{ "l2_fwd", "l2_peer", "real guest: ours vs vhost-device-vsock", TIMES, 3, true },
};

_Static_assert(ARRAY_SIZE(comparisons) == NR_COMPARISONS,
	       "NR_COMPARISONS in bench.h");

static int case_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_CASES; i++)
		if (!strcmp(cases[i].name, name))
			return i;
	return -1;
}

static int metric_index(const char *name, bool add)
{
	unsigned int i;

	for (i = 0; i < rep.nmetrics; i++)
		if (!strcmp(rep.metrics[i], name))
			return i;
	if (!add || rep.nmetrics == MAX_METRICS)
		return -1;
	rep.metrics[rep.nmetrics] = strdup(name);
	return rep.nmetrics++;
}

static void stats_of(double *v, unsigned int n, struct stats *st)
{
	st->n = n;
	if (!n)
		return;
	st->median = median(v, n);
	st->min = v[0];
	st->max = v[n - 1];
}

void case_stats(unsigned int c, unsigned int m, struct stats *st)
{
	double v[MAX_SAMPLES];
	unsigned int i, n = 0;

	for (i = 0; i < rep.n; i++)
		if (rep.s[i].c == c && rep.s[i].m == m)
			v[n++] = rep.s[i].v;
	stats_of(v, n, st);
}

/* The value of case c, metric m in a round; false if there is none. */
static bool round_value(unsigned int c, unsigned int m, unsigned int round,
			double *v)
{
	unsigned int i;

	for (i = 0; i < rep.n; i++) {
		if (rep.s[i].c == c && rep.s[i].m == m &&
		    rep.s[i].round == round) {
			*v = rep.s[i].v;
			return true;
		}
	}
	return false;
}

void ratio_stats(const struct comparison *cmp, unsigned int m,
			struct stats *st)
{
	int num = case_index(cmp->num), den = case_index(cmp->den);
	double v[MAX_SAMPLES], x, y;
	unsigned int r, n = 0;

	for (r = 0; r <= rep.max_round; r++)
		if (round_value(num, m, r, &x) && round_value(den, m, r, &y) &&
		    y > 0)
			v[n++] = x / y;
	stats_of(v, n, st);
}

/*
 * Whether the comparison's target covers a metric at all: the CPU times
 * only explain the others.
 */
bool target_covers(const struct comparison *cmp, const char *metric)
{
	if (cmp->kind == INFO || !strncmp(metric, "cpu_", 4) ||
	    !strncmp(metric, "vmcpu_", 6))
		return false;
	return cmp->conn_too || strcmp(metric, "conn_rate");
}

bool target_met(const struct comparison *cmp, const char *metric,
		       double ratio)
{
	enum better better;
	const char *unit;

	metric_kind(metric, &unit, &better);
	if (cmp->kind == WITHIN)
		return better == HIGHER ? ratio >= 1 - cmp->target :
					  ratio <= 1 + cmp->target;
	return better == HIGHER ? ratio >= cmp->target :
				  ratio <= 1 / cmp->target;
}

int read_samples(FILE *in)
{
	char line[512], a[128], b[128], text[384];
	unsigned int round;
	double v;
	int c, m;

	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "sample %127s %127s %u %lf", a, b, &round,
			   &v) == 4) {
			c = case_index(a);
			m = metric_index(b, true);
			if (c < 0 || m < 0 || rep.n == MAX_SAMPLES)
				return -EINVAL;
			rep.s[rep.n++] = (struct sample){ c, m, round, v };
			if (round > rep.max_round)
				rep.max_round = round;
		} else if (sscanf(line, "config %127s %383[^\n]", a, text) == 2) {
			if (rep.nconfig == MAX_LINES)
				return -EINVAL;
			rep.config[rep.nconfig][0] = strdup(a);
			rep.config[rep.nconfig++][1] = strdup(text);
			if (!strcmp(a, "cases") &&
			    parse_cases(&rep.cases, text))
				return -EINVAL;
		} else if (sscanf(line, "error %127s %383[^\n]", a, text) == 2) {
			if (rep.nerrors == MAX_LINES)
				return -EINVAL;
			rep.errors[rep.nerrors][0] = strdup(a);
			rep.errors[rep.nerrors++][1] = strdup(text);
		}
	}
	return 0;
}

/* A case is sane when every metric has a positive, finite value per round. */
const char *case_insane(unsigned int c, char *why, size_t len)
{
	unsigned int e, m, i, n;

	for (e = 0; e < rep.nerrors; e++) {
		if (!strcmp(rep.errors[e][0], cases[c].name) ||
		    !strcmp(rep.errors[e][0], cases[c].module)) {
			snprintf(why, len, "%s", rep.errors[e][1]);
			return why;
		}
	}
	if (!rep.nmetrics) {
		snprintf(why, len, "no results at all");
		return why;
	}
	for (m = 0; m < rep.nmetrics; m++) {
		for (i = n = 0; i < rep.n; i++) {
			if (rep.s[i].c != c || rep.s[i].m != m)
				continue;
			if (!isfinite(rep.s[i].v) || rep.s[i].v <= 0) {
				snprintf(why, len, "%s = %g", rep.metrics[m],
					 rep.s[i].v);
				return why;
			}
			n++;
		}
		if (!n) {
			snprintf(why, len, "no %s", rep.metrics[m]);
			return why;
		}
	}
	return NULL;
}
