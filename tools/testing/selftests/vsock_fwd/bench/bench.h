/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsock_fwd_bench's parts: the runner (vsock_fwd_bench.c: commands,
 * options, the report's table, TAP and JSON), the cases (bench_cases.c:
 * what run measures, the relay) and the statistics (bench_stats.c: the
 * samples a report reads, medians, spreads, ratios and targets).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "fake_guest.h"

#define STREAM		VIRTIO_VSOCK_TYPE_STREAM
#define PARENT_PORT	9000
#define MAX_SIZES	8

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- cases (bench_cases.c) ---- */

enum peer_kind {
	PEER_HOST,	/* a host socket */
	PEER_PARENT,	/* guest B, through A's forward */
	PEER_RELAY,	/* guest B, through our userspace relay */
	PEER_SOCAT,	/* guest B, through socat */
	PEER_GUEST,	/* a real guest: guest-bench.sh measures it */
};

struct bench_case {
	const char *name;
	const char *module;
	const char *desc;
	enum peer_kind peer;
	uint64_t target;	/* A's forward: 0 for none */
	bool idle;		/* measured with the idle devices open */
};

/* The entries of cases[]: a build-time check there keeps them in step. */
#define NR_CASES	11
extern const struct bench_case cases[];

/*
 * A selection of cases (--cases); when none is named, those with fake
 * guests: the real guests take minutes.
 */
struct case_set {
	bool only[NR_CASES];
	bool some;
};

bool case_selected(const struct case_set *set, unsigned int c);
/* --cases: a comma-separated list of case names. */
int parse_cases(struct case_set *set, const char *arg);

struct run_opts {
	const char *module;
	unsigned int round;
	unsigned int time_ms;
	size_t sizes[MAX_SIZES];
	unsigned int nsizes;
	unsigned int idle;
	struct case_set cases;
};

struct bench_env {
	const struct run_opts *opts;
	struct fg_guest *a;	/* the VM or enclave, which connects */
	struct fg_guest *b;	/* the parent VM, which listens */
	int host_lfd;
	uint32_t host_port;
	pid_t relay;
	uint32_t relay_port;
	int *idle_fds;
	unsigned int nidle;
};

/* A failure as run prints it: "error SCOPE WHAT: ERRNO". */
void fail(const char *scope, const char *what, int err);
/* Whether case i is to run now: the module's, of this half, selected. */
bool case_runs(const struct bench_env *env, unsigned int i, bool idle);
/* The selected cases of the module with (or without) the idle devices. */
void run_cases(struct bench_env *env, bool idle);
/* vsock_fwd_bench relay FD CID PORT */
int relay_main(int argc, char **argv);

/* ---- statistics (bench_stats.c) ---- */

/* The q-quantile (0..1) of v[0..n), which gets sorted; n > 0. */
double quantile(double *v, size_t n, double q);
/* The median of v[0..n), which gets sorted; n > 0. */
double median(double *v, size_t n);

enum better { HIGHER, LOWER };

/* What a metric is, from its name as run prints it. */
void metric_kind(const char *metric, const char **unit, enum better *better);

struct sample {
	unsigned int c;		/* index in cases[] */
	unsigned int m;		/* index in metrics[] */
	unsigned int round;
	double v;
};

#define MAX_METRICS	(3 * 2 * MAX_SIZES + 2 * 3)
#define MAX_SAMPLES	16384
#define MAX_LINES	256

/* The samples, configuration and errors that report read. */
struct report {
	char *metrics[MAX_METRICS];
	unsigned int nmetrics;
	struct sample s[MAX_SAMPLES];
	unsigned int n;
	char *config[MAX_LINES][2];
	unsigned int nconfig;
	char *errors[MAX_LINES][2];	/* scope, text */
	unsigned int nerrors;
	unsigned int max_round;
	struct case_set cases;	/* "config cases": the cases that ran */
};

extern struct report rep;

/* Pairs of cases whose per-round ratios are reported, and their targets. */
enum target_kind { INFO, WITHIN, TIMES };

struct comparison {
	const char *num, *den;
	const char *what;
	enum target_kind kind;
	double target;		/* WITHIN: tolerance; TIMES: factor */
	bool conn_too;		/* the target also covers conn_rate */
};

/* The entries of comparisons[], checked there at build time. */
#define NR_COMPARISONS	9
extern const struct comparison comparisons[];

struct stats {
	unsigned int n;
	double median, min, max;
};

/* Case c's values of metric m over the rounds. */
void case_stats(unsigned int c, unsigned int m, struct stats *st);
/* Ratios num/den paired by round, so slow drifts of the VM cancel out. */
void ratio_stats(const struct comparison *cmp, unsigned int m,
		 struct stats *st);
/* Whether a comparison's target covers a metric at all. */
bool target_covers(const struct comparison *cmp, const char *metric);
bool target_met(const struct comparison *cmp, const char *metric,
		double ratio);
/* The "sample", "config" and "error" lines of run, into rep. */
int read_samples(FILE *in);
/*
 * Why case c's results are not sane (an error, a metric missing or not
 * positive and finite), in why; NULL when they are.
 */
const char *case_insane(unsigned int c, char *why, size_t len);

#endif /* BENCH_H */
