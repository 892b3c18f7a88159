/* SPDX-License-Identifier: GPL-2.0 */
/* vsock-fwd: messages, and numbers read from the command line. */
#ifndef VSOCK_FWD_UTILS_H
#define VSOCK_FWD_UTILS_H

#include <stdint.h>

extern const char *prog;
/* In a batch (-b): the file and line being run, for messages. */
extern const char *batch_file;
extern unsigned int batch_line;

void __attribute__((format(printf, 1, 2))) error(const char *fmt, ...);
/* Says what is wrong and where help is; returns EXIT_USAGE. */
int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...);

/*
 * *v = S, a number from MIN to MAX, decimal or 0x hexadecimal; else a
 * usage error "CMD: NAME 'S' ..." saying what is wrong with S. Returns
 * EXIT_OK or EXIT_USAGE.
 */
int parse_u32(const char *cmd, const char *name, const char *s,
	      uint32_t min, uint32_t max, uint32_t *v);
/* A guest CID: 3 to 4294967294 (0-2 and -1 are reserved). */
int parse_cid(const char *cmd, const char *name, const char *s, uint32_t *cid);

#endif
