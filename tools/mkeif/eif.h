/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Enclave Image Format (EIF) of AWS Nitro Enclaves, version 4, as
 * aws-nitro-enclaves-image-format defines it: a big-endian header with a
 * table of up to 32 sections, each section a 12-byte header and its data.
 * Shared by mkeif and mkeif-corrupt.
 */
#ifndef MKEIF_EIF_H
#define MKEIF_EIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EIF_MAGIC		".eif"
#define EIF_VERSION		4
#define EIF_MAX_SECTIONS	32
/* Header flag bit 0: an aarch64 image; every other bit is undefined. */
#define EIF_FLAG_ARM64		0x0001
#define EIF_HDR_SIZE		548
#define EIF_SECTION_HDR_SIZE	12
/* The CRC covers the whole file except the CRC field, the header's last 4. */
#define EIF_HDR_CRC_OFFSET	(EIF_HDR_SIZE - 4)

enum eif_section_type {
	EIF_SECTION_INVALID = 0,
	EIF_SECTION_KERNEL = 1,
	EIF_SECTION_CMDLINE = 2,
	EIF_SECTION_RAMDISK = 3,
	EIF_SECTION_SIGNATURE = 4,
	EIF_SECTION_METADATA = 5,
	EIF_SECTION_MAX = 6,
};

struct eif_header {
	char magic[4];
	uint16_t version;
	uint16_t flags;
	uint64_t default_memory;
	uint64_t default_cpus;
	uint16_t reserved;
	uint16_t section_cnt;
	uint64_t section_offsets[EIF_MAX_SECTIONS];
	uint64_t section_sizes[EIF_MAX_SECTIONS];
	uint32_t unused;
	uint32_t crc32;
};

struct eif_section_header {
	uint16_t type;
	uint16_t flags;
	uint64_t size;
};

void eif_header_decode(struct eif_header *h, const uint8_t *buf);
void eif_header_encode(uint8_t *buf, const struct eif_header *h);
void eif_section_decode(struct eif_section_header *s,
			const uint8_t *buf);
void eif_section_encode(uint8_t *buf,
			const struct eif_section_header *s);
const char *eif_section_name(unsigned int type);

/*
 * The CRC32 (IEEE, zlib's) of a whole image in memory, computed as the
 * format defines it: the header without its CRC field, then each section
 * of the table in table order, its header and its data. Returns false when
 * a section lies outside the LEN bytes of IMG.
 */
bool eif_image_crc(const uint8_t *img, size_t len, uint32_t *crc);

#endif
