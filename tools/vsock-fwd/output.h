/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vsock-fwd: what the commands print, as lines for people or, with -j,
 * JSON (json-c): show and rules one array, monitor and heartbeat one
 * object per event.
 */
#ifndef VSOCK_FWD_OUTPUT_H
#define VSOCK_FWD_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/attr.h>

extern bool json, pretty;

/* A list (show, rules): begin, items, end; with -j printed at its end. */
void out_list_begin(void);
void out_dev(struct nlattr **tb);
void out_rule(struct nlattr **tb);
/* Prints the list if ok, else drops it; returns an exit status. */
int out_list_end(bool ok);

/* One event of the family (cmd), at once; false if out of memory. */
bool out_event(uint8_t cmd, struct nlattr **tb);

bool out_listening(uint32_t port);
/* A heartbeat: ok, or the wrong byte read, or none (byte < 0). */
bool out_heartbeat(uint32_t cid, uint32_t port, bool ok, int byte);

#endif
