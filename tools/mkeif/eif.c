// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding and decoding of the EIF header and section headers, and the
 * image CRC, for mkeif and mkeif-corrupt.
 */
#include <string.h>
#include <zlib.h>

#include "eif.h"

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = v & 0xff;
		v >>= 8;
	}
}

/* The header's fields in file order, with their sizes in bytes. */
void eif_header_decode(struct eif_header *h, const uint8_t *buf)
{
	const uint8_t *p = buf + 4;
	int i;

	memcpy(h->magic, buf, 4);
	h->version = get_be(p, 2), p += 2;
	h->flags = get_be(p, 2), p += 2;
	h->default_memory = get_be(p, 8), p += 8;
	h->default_cpus = get_be(p, 8), p += 8;
	h->reserved = get_be(p, 2), p += 2;
	h->section_cnt = get_be(p, 2), p += 2;
	for (i = 0; i < EIF_MAX_SECTIONS; i++, p += 8)
		h->section_offsets[i] = get_be(p, 8);
	for (i = 0; i < EIF_MAX_SECTIONS; i++, p += 8)
		h->section_sizes[i] = get_be(p, 8);
	h->unused = get_be(p, 4), p += 4;
	h->crc32 = get_be(p, 4);
}

void eif_header_encode(uint8_t *buf, const struct eif_header *h)
{
	uint8_t *p = buf + 4;
	int i;

	memcpy(buf, h->magic, 4);
	put_be(p, h->version, 2), p += 2;
	put_be(p, h->flags, 2), p += 2;
	put_be(p, h->default_memory, 8), p += 8;
	put_be(p, h->default_cpus, 8), p += 8;
	put_be(p, h->reserved, 2), p += 2;
	put_be(p, h->section_cnt, 2), p += 2;
	for (i = 0; i < EIF_MAX_SECTIONS; i++, p += 8)
		put_be(p, h->section_offsets[i], 8);
	for (i = 0; i < EIF_MAX_SECTIONS; i++, p += 8)
		put_be(p, h->section_sizes[i], 8);
	put_be(p, h->unused, 4), p += 4;
	put_be(p, h->crc32, 4);
}

void eif_section_decode(struct eif_section_header *s, const uint8_t *buf)
{
	s->type = get_be(buf, 2);
	s->flags = get_be(buf + 2, 2);
	s->size = get_be(buf + 4, 8);
}

void eif_section_encode(uint8_t *buf, const struct eif_section_header *s)
{
	put_be(buf, s->type, 2);
	put_be(buf + 2, s->flags, 2);
	put_be(buf + 4, s->size, 8);
}

const char *eif_section_name(unsigned int type)
{
	static const char *const names[EIF_SECTION_MAX] = {
		[EIF_SECTION_INVALID] = "invalid",
		[EIF_SECTION_KERNEL] = "kernel",
		[EIF_SECTION_CMDLINE] = "cmdline",
		[EIF_SECTION_RAMDISK] = "ramdisk",
		[EIF_SECTION_SIGNATURE] = "signature",
		[EIF_SECTION_METADATA] = "metadata",
	};

	return type < EIF_SECTION_MAX ? names[type] : "unknown";
}

/* zlib's crc32() takes a uInt length: feed it in pieces. */
static uint32_t crc_update(uint32_t crc, const uint8_t *p, uint64_t len)
{
	while (len) {
		uInt n = len > (1u << 30) ? 1u << 30 : len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

bool eif_image_crc(const uint8_t *img, size_t len, uint32_t *crc)
{
	struct eif_header h;
	uint32_t c;
	int i;

	if (len < EIF_HDR_SIZE)
		return false;
	eif_header_decode(&h, img);
	if (h.section_cnt > EIF_MAX_SECTIONS)
		return false;
	c = crc_update(crc32(0, NULL, 0), img, EIF_HDR_CRC_OFFSET);
	for (i = 0; i < h.section_cnt; i++) {
		uint64_t off = h.section_offsets[i];
		struct eif_section_header s;

		if (off > len || len - off < EIF_SECTION_HDR_SIZE)
			return false;
		eif_section_decode(&s, img + off);
		if (s.size > len - off - EIF_SECTION_HDR_SIZE)
			return false;
		c = crc_update(c, img + off, EIF_SECTION_HDR_SIZE + s.size);
	}
	*crc = c;
	return true;
}
