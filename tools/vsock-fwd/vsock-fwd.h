/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsock-fwd: what its parts share. vsock-fwd.c parses the options and runs
 * the commands of commands.c (over the netlink client of nl.c) and
 * heartbeat.c; output.c prints, utils.c reports errors and reads numbers.
 */
#ifndef VSOCK_FWD_H
#define VSOCK_FWD_H

/* Exit status (stable, see vsock-fwd(8)). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the request failed (no such device, ...) */
	EXIT_USAGE = 2,
	EXIT_NOMODULE = 3,	/* no vsock_fwd family (or no vsock) */
	EXIT_PERM = 4,		/* changes need CAP_NET_ADMIN */
	EXIT_SYSTEM = 5,	/* netlink or vsock socket, out of memory */
};

/* A Nitro Enclave's parent, and the heartbeat its init sends it. */
#define NITRO_PARENT_CID	3
#define HEARTBEAT_PORT		9000
#define HEARTBEAT_BYTE		0xb7

/* The commands: ARGS after the command's name; an exit status. */
int cmd_show(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_del(int argc, char **argv);
int cmd_accept(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_heartbeat(int argc, char **argv);

#endif
