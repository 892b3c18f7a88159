// SPDX-License-Identifier: GPL-2.0
/*
 * vsock_fwd_bench: what CID forwarding costs against stock vhost_vsock, and
 * what routing between guests in the kernel wins against a userspace relay.
 *
 * Fake guests (fake_guest.h) stand in for the VMs, so both modules drive the
 * very same guest driver and only the host side differs. On an emulated
 * machine absolute numbers mean nothing; the ratios of runs interleaved in
 * one boot do, and bench.sh arranges those:
 *
 *   vsock_fwd_bench run --module stock|ours --round N [--time MS]
 *                       [--sizes BYTES,...] [--idle N] [--cases C,...]
 *	measures every case of the loaded module (or those of --cases that
 *	are the module's) and prints one line
 *	"sample CASE METRIC ROUND VALUE" per result, and "error SCOPE TEXT"
 *	for whatever failed (SCOPE is a case or a module)
 *   vsock_fwd_bench report [--tap] [--json FILE] < SAMPLES
 *	medians, spread and ratios paired by round, checked against the
 *	targets, as a table and as JSON, and whether each case gave sane
 *	numbers (as TAP with --tap); fails if one did not. SAMPLES may also
 *	hold "config KEY VALUE" lines, copied to the JSON
 *   vsock_fwd_bench modules [CASE,...]
 *	the modules those cases (or all) need, in the order stock, ours, peer
 *   vsock_fwd_bench guests MODULE [CASE,...]
 *	the real-guest cases of MODULE among those cases, which
 *	guest-bench.sh measures (run skips them)
 *   vsock_fwd_bench relay FD CID PORT
 *	the userspace relay that run starts: accepts connections on the
 *	listening vsock socket FD and relays each to CID:PORT
 *
 * The cases and what they measure are in bench_cases.c, the statistics of
 * a report in bench_stats.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "bench.h"

static int parse_sizes(struct run_opts *o, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL, *end;
	unsigned long v;

	o->nsizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		v = strtoul(tok, &end, 0);
		if (*end || !v || v > FG_BUF_ALLOC || o->nsizes == MAX_SIZES) {
			free(copy);
			return -EINVAL;
		}
		o->sizes[o->nsizes++] = v;
	}
	free(copy);
	return o->nsizes ? 0 : -EINVAL;
}

static int run_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "round", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "sizes", required_argument, NULL, 's' },
		{ "idle", required_argument, NULL, 'i' },
		{ "cases", required_argument, NULL, 'c' },
		{}
	};
	struct run_opts o = {
		.time_ms = 1000, .sizes = { 4096, 65536 }, .nsizes = 2,
		.idle = 500,
	};
	struct bench_env env = { .opts = &o, .host_lfd = -1 };
	bool bad = false;
	unsigned int i;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			o.module = optarg;
			break;
		case 'r':
			o.round = atoi(optarg);
			break;
		case 't':
			o.time_ms = atoi(optarg);
			break;
		case 's':
			bad |= parse_sizes(&o, optarg) != 0;
			break;
		case 'i':
			o.idle = atoi(optarg);
			break;
		case 'c':
			bad |= parse_cases(&o.cases, optarg) != 0;
			break;
		default:
			bad = true;
		}
	}
	if (bad || optind != argc || !o.module || !o.time_ms ||
	    (strcmp(o.module, "stock") && strcmp(o.module, "ours") &&
	     strcmp(o.module, "peer"))) {
		fprintf(stderr, "usage: vsock_fwd_bench run --module stock|ours|peer [--round N]\n"
			"           [--time MS] [--sizes B,...] [--idle N] [--cases C,...]\n");
		return 2;
	}
	/* Nothing to set up when only real guests were asked for. */
	for (i = 0; i < NR_CASES; i++)
		if (case_runs(&env, i, false) || case_runs(&env, i, true))
			break;
	if (i == NR_CASES)
		return 0;
	/* A write to a socket the peer reset must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	ret = fg_start_cid(fg_unique_cid(0), &env.a);
	if (!ret)
		ret = fg_start_cid(fg_unique_cid(1), &env.b);
	if (!ret)
		ret = fg_listen(env.b, STREAM, PARENT_PORT);
	if (!ret) {
		env.host_lfd = fg_host_listen(SOCK_STREAM, &env.host_port);
		ret = env.host_lfd < 0 ? env.host_lfd : 0;
	}
	if (ret) {
		fail(o.module, "setting up the guests", ret);
	} else {
		/*
		 * Alternate which half goes first, so that a trend over the
		 * boot does not favour one.
		 */
		run_cases(&env, o.round % 2 == 0);
		run_cases(&env, o.round % 2 != 0);
	}
	if (env.host_lfd >= 0)
		close(env.host_lfd);
	if (env.b)
		fg_close(env.b);
	if (env.a)
		fg_close(env.a);
	return ret ? 1 : 0;
}

/* ---- report ---- */

/*
 * Whether each case that ran gave sane numbers, as TAP or as complaints
 * only. The cases not asked for are not results: a default run never asks
 * for the real guests, which take minutes.
 */
static unsigned int print_verdicts(bool tap)
{
	unsigned int c, n = 0, failed = 0;
	char why[400];

	for (c = 0; c < NR_CASES; c++)
		n += case_selected(&rep.cases, c);
	if (tap)
		printf("TAP version 13\n1..%u\n", n);
	for (c = 0, n = 0; c < NR_CASES; c++) {
		if (!case_selected(&rep.cases, c))
			continue;
		n++;
		if (case_insane(c, why, sizeof(why))) {
			failed++;
			printf("%s%s: %s\n", tap ? "# " : "case ",
			       cases[c].name, why);
			if (tap)
				printf("not ok %u bench.%s\n", n,
				       cases[c].name);
		} else if (tap) {
			printf("ok %u bench.%s\n", n, cases[c].name);
		}
	}
	return failed;
}

/* "1234" or "12.3" or "0.123": about four significant digits. */
static void fmt_value(char *buf, size_t len, double v)
{
	snprintf(buf, len, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" :
		 v >= 1 ? "%.2f" : "%.3f", v);
}

static void print_table(const char *pfx)
{
	char val[32], cell[64];
	struct stats st;
	unsigned int c, m, k;

	printf("%scases (median over rounds, +-half the min..max spread):\n", pfx);
	for (c = 0; c < NR_CASES; c++)
		if (case_selected(&rep.cases, c))
			printf("%s  %-9s %s\n", pfx, cases[c].name,
			       cases[c].desc);
	printf("%s\n%s%-16s", pfx, pfx, "metric");
	for (c = 0; c < NR_CASES; c++)
		if (case_selected(&rep.cases, c))
			printf(" %14s", cases[c].name);
	printf("\n");
	for (m = 0; m < rep.nmetrics; m++) {
		enum better better;
		const char *unit;

		metric_kind(rep.metrics[m], &unit, &better);
		snprintf(cell, sizeof(cell), "%s %s", rep.metrics[m], unit);
		printf("%s%-16s", pfx, cell);
		for (c = 0; c < NR_CASES; c++) {
			if (!case_selected(&rep.cases, c))
				continue;
			case_stats(c, m, &st);
			if (!st.n) {
				printf(" %14s", "-");
				continue;
			}
			fmt_value(val, sizeof(val), st.median);
			snprintf(cell, sizeof(cell), "%s+-%.0f%%", val,
				 50 * (st.max - st.min) / st.median);
			printf(" %14s", cell);
		}
		printf("\n");
	}

	printf("%s\n%sratios (median of per-round ratios [min..max]); * = target missed:\n",
	       pfx, pfx);
	for (k = 0; k < NR_COMPARISONS; k++) {
		const struct comparison *cmp = &comparisons[k];

		printf("%s  %s/%s: %s", pfx, cmp->num, cmp->den, cmp->what);
		if (cmp->kind == WITHIN)
			printf("; target within %.0f%%", 100 * cmp->target);
		else if (cmp->kind == TIMES)
			printf("; target %.0fx better", cmp->target);
		if (cmp->kind != INFO && !cmp->conn_too)
			printf(" (throughput, latency)");
		printf("\n");
	}
	printf("%s\n%s%-16s", pfx, pfx, "metric");
	for (k = 0; k < NR_COMPARISONS; k++) {
		snprintf(cell, sizeof(cell), "%s/%s", comparisons[k].num,
			 comparisons[k].den);
		printf(" %19s", cell);
	}
	printf("\n");
	for (m = 0; m < rep.nmetrics; m++) {
		printf("%s%-16s", pfx, rep.metrics[m]);
		for (k = 0; k < NR_COMPARISONS; k++) {
			const struct comparison *cmp = &comparisons[k];

			ratio_stats(cmp, m, &st);
			if (!st.n) {
				printf(" %19s", "-");
				continue;
			}
			snprintf(cell, sizeof(cell), "%s%.3f [%.2f..%.2f]",
				 target_covers(cmp, rep.metrics[m]) &&
				 !target_met(cmp, rep.metrics[m], st.median) ?
				 "*" : "", st.median, st.min, st.max);
			printf(" %19s", cell);
		}
		printf("\n");
	}
	for (k = 0; k < rep.nerrors; k++)
		printf("%serror: %s: %s\n", pfx, rep.errors[k][0],
		       rep.errors[k][1]);
}

/* The members of a stats object, which the caller opens and closes. */
static void json_stats(FILE *f, const struct stats *st)
{
	fprintf(f, "\"n\": %u, \"median\": %.6g, \"min\": %.6g, \"max\": %.6g",
		st->n, st->median, st->min, st->max);
}

/* A JSON string: config values and errors come from outside. */
static void json_str(FILE *f, const char *str)
{
	fputc('"', f);
	for (; *str; str++) {
		if (*str == '"' || *str == '\\')
			fprintf(f, "\\%c", *str);
		else if ((unsigned char)*str < 0x20)
			fprintf(f, "\\u%04x", *str);
		else
			fputc(*str, f);
	}
	fputc('"', f);
}

/* Names of cases, metrics and comparisons are plain words. */
static int write_json(const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned int c, m, k, i, n;
	struct stats st;

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"config\": {");
	for (k = 0; k < rep.nconfig; k++) {
		fprintf(f, "%s\n    ", k ? "," : "");
		json_str(f, rep.config[k][0]);
		fprintf(f, ": ");
		json_str(f, rep.config[k][1]);
	}
	fprintf(f, "\n  },\n  \"metrics\": {");
	for (m = 0; m < rep.nmetrics; m++) {
		enum better better;
		const char *unit;

		metric_kind(rep.metrics[m], &unit, &better);
		fprintf(f, "%s\n    \"%s\": {\"unit\": \"%s\", \"better\": \"%s\"}",
			m ? "," : "", rep.metrics[m], unit,
			better == HIGHER ? "higher" : "lower");
	}
	fprintf(f, "\n  },\n  \"cases\": {");
	for (c = 0; c < NR_CASES; c++) {
		fprintf(f, "%s\n    \"%s\": {\"module\": \"%s\", \"desc\": \"%s\"",
			c ? "," : "", cases[c].name, cases[c].module,
			cases[c].desc);
		for (m = 0; m < rep.nmetrics; m++) {
			case_stats(c, m, &st);
			if (!st.n)
				continue;
			fprintf(f, ",\n      \"%s\": {", rep.metrics[m]);
			json_stats(f, &st);
			/* The raw samples as [round, value], for a later look. */
			fprintf(f, ", \"samples\": [");
			for (i = n = 0; i < rep.n; i++)
				if (rep.s[i].c == c && rep.s[i].m == m)
					fprintf(f, "%s[%u, %.6g]", n++ ? ", " : "",
						rep.s[i].round, rep.s[i].v);
			fprintf(f, "]}");
		}
		fprintf(f, "\n    }");
	}
	fprintf(f, "\n  },\n  \"ratios\": {");
	for (k = 0; k < NR_COMPARISONS; k++) {
		const struct comparison *cmp = &comparisons[k];

		fprintf(f, "%s\n    \"%s/%s\": {\"what\": \"%s\"", k ? "," : "",
			cmp->num, cmp->den, cmp->what);
		if (cmp->kind != INFO)
			fprintf(f, ", \"target\": \"%s %g\"",
				cmp->kind == WITHIN ? "within" : "times",
				cmp->target);
		for (m = 0; m < rep.nmetrics; m++) {
			ratio_stats(cmp, m, &st);
			if (!st.n)
				continue;
			fprintf(f, ",\n      \"%s\": {", rep.metrics[m]);
			json_stats(f, &st);
			if (target_covers(cmp, rep.metrics[m]))
				fprintf(f, ", \"target_met\": %s",
					target_met(cmp, rep.metrics[m],
						   st.median) ? "true" : "false");
			fprintf(f, "}");
		}
		fprintf(f, "\n    }");
	}
	fprintf(f, "\n  },\n  \"errors\": [");
	for (k = 0; k < rep.nerrors; k++) {
		fprintf(f, "%s\n    {\"scope\": ", k ? "," : "");
		json_str(f, rep.errors[k][0]);
		fprintf(f, ", \"error\": ");
		json_str(f, rep.errors[k][1]);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ]\n}\n");
	return fclose(f) ? -errno : 0;
}

static int report_main(int argc, char **argv)
{
	const char *json = NULL;
	unsigned int failed;
	bool tap = false;
	int i, ret;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--tap"))
			tap = true;
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json = argv[++i];
		else
			break;
	}
	if (i != argc) {
		fprintf(stderr, "usage: %s report [--tap] [--json FILE] < SAMPLES\n",
			argv[0]);
		return 2;
	}
	ret = read_samples(stdin);
	if (ret) {
		fprintf(stderr, "report: too many or malformed samples\n");
		return 1;
	}
	print_table(tap ? "# " : "");
	failed = print_verdicts(tap);
	if (json) {
		ret = write_json(json);
		if (ret) {
			fprintf(stderr, "report: %s: %s\n", json, strerror(-ret));
			return 1;
		}
	}
	return failed ? 1 : 0;
}

/* The modules that the cases of LIST (all cases without one) need. */
static int modules_main(int argc, char **argv)
{
	static const char *const modules[] = { "stock", "ours", "peer" };
	struct case_set set = {};
	unsigned int c, m;
	bool first = true;

	if (argc > 3 || (argc == 3 && parse_cases(&set, argv[2]))) {
		fprintf(stderr, "usage: vsock_fwd_bench modules [CASE,...]\n");
		return 2;
	}
	for (m = 0; m < ARRAY_SIZE(modules); m++) {
		for (c = 0; c < NR_CASES; c++)
			if (case_selected(&set, c) &&
			    !strcmp(cases[c].module, modules[m]))
				break;
		if (c < NR_CASES) {
			printf("%s%s", first ? "" : " ", modules[m]);
			first = false;
		}
	}
	printf("\n");
	return 0;
}

/* The real-guest cases of a module among LIST (or all cases). */
static int guests_main(int argc, char **argv)
{
	struct case_set set = {};
	unsigned int c;

	if (argc < 3 || argc > 4 || (argc == 4 && parse_cases(&set, argv[3]))) {
		fprintf(stderr, "usage: vsock_fwd_bench guests MODULE [CASE,...]\n");
		return 2;
	}
	for (c = 0; c < NR_CASES; c++)
		if (cases[c].peer == PEER_GUEST &&
		    !strcmp(cases[c].module, argv[2]) &&
		    (argc == 3 || set.only[c]))
			printf("%s\n", cases[c].name);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "modules"))
		return modules_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "guests"))
		return guests_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return report_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "relay"))
		return relay_main(argc, argv);
	fprintf(stderr, "usage: %s run|report|modules|guests|relay ... (see the source)\n",
		argv[0]);
	return 2;
}
