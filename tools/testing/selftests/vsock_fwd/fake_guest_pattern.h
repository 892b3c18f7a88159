/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test data of the fake guest and of the guest tools
 * (guest/vsock-xfer.c): a byte stream fixed by a seed, and a running
 * checksum. Header-only, so that the static programs of the guests'
 * initramfs build from this one file too.
 *
 * Each 8-byte word of the stream is fg_mix(seed ^ index), little endian:
 * it depends on the seed and its index only, so any chunking gives the
 * same bytes, and both ends of a transfer can compute what they expect.
 */
#ifndef FAKE_GUEST_PATTERN_H
#define FAKE_GUEST_PATTERN_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* splitmix64: also the fake guest's source of random choices. */
static inline uint64_t fg_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Fill buf with len bytes of the stream seeded by seed, from offset pos. */
static inline void fg_pattern(void *buf, size_t len, uint64_t seed,
			      uint64_t pos)
{
	unsigned char *b = buf;
	uint64_t w;

	while (len) {
		size_t off = pos % 8, n = 8 - off;

		if (n > len)
			n = len;
		w = htole64(fg_mix(seed ^ (pos / 8)));
		memcpy(b, (unsigned char *)&w + off, n);
		b += n;
		pos += n;
		len -= n;
	}
}

/* Running checksum (FNV-1a 64) for bulk data; start with FG_CSUM_INIT. */
#define FG_CSUM_INIT	0xcbf29ce484222325ULL

static inline uint64_t fg_csum(uint64_t csum, const void *buf, size_t len)
{
	const unsigned char *b = buf;

	while (len--)
		csum = (csum ^ *b++) * 0x100000001b3ULL;
	return csum;
}

#endif /* FAKE_GUEST_PATTERN_H */
