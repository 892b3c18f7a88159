// SPDX-License-Identifier: GPL-2.0
/*
 * vsock-fwd: configure and watch vhost_vsock_fwd over its generic netlink
 * family (vsock_fwd), and stand in for a Nitro Enclave's parent.
 *
 * This file: the options, the command table, batches (-b).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"
#include "output.h"
#include "utils.h"
#include "vsock-fwd.h"

#define VERSION "1.0"

/*
 * The synopses (up to two blanks) are those of vsock-fwd(8), and so are
 * the options: cli_test.sh compares them. The exit statuses are those of
 * vsock-fwd.h.
 */
static const char usage_text[] =
"Usage: vsock-fwd [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Configure CID forwarding of vhost_vsock_fwd devices by guest CID, list\n"
"them, and answer the Nitro Enclave boot heartbeat.\n"
"\n"
"Commands:\n"
"  show [CID]                 devices (all, or the one with guest CID)\n"
"  set CID parent TARGET [alias ALIAS] [strict]\n"
"                             rule: guest CID's traffic to ALIAS (default 3)\n"
"                             goes to TARGET (2 = this host, or a guest CID);\n"
"                             strict: the guest may talk to its parent only\n"
"  del CID                    delete the rule for guest CID\n"
"  accept CID [on|off]        the live guest CID may (or may no longer) be\n"
"                             the parent of guests whose rules name it\n"
"  rules                      list the rules\n"
"  monitor                    print devices appearing and vanishing and\n"
"                             forwards changing, until interrupted\n"
"  heartbeat [PORT] [count N]\n"
"                             answer enclaves' boot heartbeat on vsock PORT\n"
"                             (default 9000); stop after N if given\n"
"\n"
"Options:\n"
"  -b, --batch FILE  run the set, del and accept commands in FILE (- for\n"
"                    standard input), one per line, over one netlink\n"
"                    socket; stop at the first that fails\n"
"  -k, --keep-going  in a batch, go on after a line that fails (its own\n"
"                    error: usage, or the request refused)\n"
"  -j, --json        JSON output\n"
"  -p, --pretty      indented JSON (implies -j)\n"
"  -h, --help        this help\n"
"  -V, --version     version\n"
"\n"
"CIDs, ports and counts are decimal, or hexadecimal with 0x.\n"
"Changing rules needs CAP_NET_ADMIN. Exit status: 0 success, 1 request\n"
"failed, 2 usage error, 3 module not loaded, 4 permission denied,\n"
"5 system error. See vsock-fwd(8).\n";

/* -k: a bad line of a batch does not stop the lines after it. */
static bool keep_going;

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool batch;	/* allowed in a batch: changes, which print nothing */
} commands[] = {
	{ "show", cmd_show, false },
	{ "list", cmd_show, false },
	{ "set", cmd_set, true },
	{ "del", cmd_del, true },
	{ "delete", cmd_del, true },
	{ "accept", cmd_accept, true },
	{ "rules", cmd_rules, false },
	{ "monitor", cmd_monitor, false },
	{ "heartbeat", cmd_heartbeat, false },
};

static int run_command(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name))
			continue;
		if (batch_file && !commands[i].batch)
			return usage_error("'%s' cannot be batched: only set, del and accept can",
					   argv[0]);
		return commands[i].fn(argc - 1, argv + 1);
	}
	return usage_error("unknown command '%s'", argv[0]);
}

#define BATCH_MAX_ARGS	16

/* Run one line of a batch: words split on blanks, '#' starts a comment. */
static int run_batch_line(char *line)
{
	char *word, *save, *argv[BATCH_MAX_ARGS];
	int argc = 0;

	line[strcspn(line, "#")] = 0;
	for (word = strtok_r(line, " \t\r\n", &save); word;
	     word = strtok_r(NULL, " \t\r\n", &save)) {
		if (argc == BATCH_MAX_ARGS)
			return usage_error("too many words");
		argv[argc++] = word;
	}
	return argc ? run_command(argc, argv) : EXIT_OK;
}

/*
 * Each line of @file a command. The socket fwdnl_open() made for the first is
 * reused. With -k, a line that is wrong or refused is reported and the
 * rest still run; a missing module, a missing privilege or a system error
 * would fail every line alike and stops the batch. The status is that of
 * the first line that failed.
 */
static int run_batch(const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	int r, ret = EXIT_OK;

	if (!f) {
		error("batch: %s: %s", file, strerror(errno));
		return EXIT_USAGE;
	}
	batch_file = file;
	while (getline(&line, &cap, f) >= 0) {
		batch_line++;
		r = run_batch_line(line);
		if (r == EXIT_OK)
			continue;
		if (ret == EXIT_OK)
			ret = r;
		if (!keep_going || (r != EXIT_USAGE && r != EXIT_FAILED))
			break;
	}
	if (ret == EXIT_OK && ferror(f)) {
		error("batch: reading %s: %s", file, strerror(errno));
		ret = EXIT_SYSTEM;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *batch = NULL;
	int c, ret;

	/* Our messages, not getopt's: they name argv[0], a path perhaps. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:b:kjphV", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (batch)
				return usage_error("-b given twice");
			batch = optarg;
			break;
		case 'k':
			keep_going = true;
			break;
		case 'j':
			json = true;
			break;
		case 'p':
			json = pretty = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("%s %s\n", prog, VERSION);
			return EXIT_OK;
		case ':':
			return usage_error("-b/--batch needs a FILE");
		default:
			/* 0 for an unknown long option, its letter otherwise. */
			if (!optopt)
				return usage_error("unknown option '%s'",
						   argv[optind - 1]);
			if (!strncmp(argv[optind - 1], "--", 2) &&
			    strchr(argv[optind - 1], '='))
				return usage_error("option '%s' takes no argument",
						   argv[optind - 1]);
			return usage_error("unknown option '-%c'", optopt);
		}
	}
	argc -= optind;
	argv += optind;
	if (keep_going && !batch)
		return usage_error("-k goes with -b");
	if (batch && argc)
		return usage_error("a command and -b cannot go together");
	if (!batch && !argc)
		return usage_error("no command given");
	if (!batch && !strcmp(argv[0], "help")) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}

	ret = batch ? run_batch(batch) : run_command(argc, argv);
	fwdnl_close();
	return ret;
}
