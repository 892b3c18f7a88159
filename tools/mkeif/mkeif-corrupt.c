// SPDX-License-Identifier: GPL-2.0
/*
 * mkeif-corrupt KIND IN.eif OUT.eif: write a copy of a good image with one
 * defect, for the tests of EIF readers (mkeif --describe, QEMU's
 * nitro-enclave machine). Apart from the crc and truncate kinds, the CRC is
 * made right again, so that the named defect is the image's only one.
 * 'mkeif-corrupt --list' prints the kinds, one a line, tab-separated:
 * KIND, the exit status of 'mkeif --describe', the words of QEMU's error
 * ("-" when QEMU accepts the image), and a description.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eif.h"

/*
 * Each kind with the exit status of 'mkeif --describe' and the words of
 * QEMU 10.0's error (hw/core/eif.c) for it; "-" where QEMU does not check.
 */
static const char *const kinds[][4] = {
	{ "magic", "11", "Magic mismatch", "the magic is \".eIF\"" },
	{ "version", "12", "Expected EIF version 4 or greater", "the version is 3" },
	{ "flags", "13", "Expected EIF flags to be 0", "the header flags have the undefined bit 0x8000" },
	{ "crc", "16", "CRC mismatch", "the header's CRC32 is off by one" },
	{ "size", "14", "EIF section size mismatch", "the header gives the kernel one byte more than its section header" },
	{ "section-size", "10", "Failed to read EIF ramdisk section data", "the last section's sizes claim one byte more than the file has" },
	{ "overlap", "14", "-", "the kernel's sizes claim one byte of the next section" },
	{ "offset", "14", "Failed to read EIF section header", "the last section's offset is 4 KiB beyond the end of the file" },
	{ "no-kernel", "15", "No kernel section", "the kernel section is left out of the section table" },
	{ "no-cmdline", "15", "No cmdline section", "the cmdline section is left out of the section table" },
	{ "no-ramdisk", "15", "No ramdisk section", "every ramdisk section is left out of the section table" },
	{ "metadata", "17", "-", "the metadata's JSON begins with '!'" },
	{ "truncate", "10", "Failed to read EIF ramdisk section data", "the file ends in the middle of its last section" },
};

static int usage(void)
{
	fprintf(stderr, "usage: mkeif-corrupt KIND IN.eif OUT.eif | mkeif-corrupt --list\n");
	return 2;
}

static uint8_t *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(n + 1)) || fread(buf, 1, n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Drop every section of TYPE from the table, keeping the others' order. */
static void drop(struct eif_header *h, const uint8_t *img, unsigned int type)
{
	struct eif_section_header s;
	int i, n = 0;

	for (i = 0; i < h->section_cnt; i++) {
		eif_section_decode(&s, img + h->section_offsets[i]);
		if (s.type == type)
			continue;
		h->section_offsets[n] = h->section_offsets[i];
		h->section_sizes[n++] = h->section_sizes[i];
	}
	for (i = n; i < EIF_MAX_SECTIONS; i++)
		h->section_offsets[i] = h->section_sizes[i] = 0;
	h->section_cnt = n;
}

int main(int argc, char **argv)
{
	struct eif_header h;
	struct eif_section_header s;
	const char *kind;
	uint8_t *img;
	size_t len, i;
	bool fix_crc = true;
	FILE *f;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			printf("%s\t%s\t%s\t%s\n", kinds[i][0], kinds[i][1],
			       kinds[i][2], kinds[i][3]);
		return 0;
	}
	if (argc != 4)
		return usage();
	kind = argv[1];
	img = load(argv[2], &len);
	if (len < EIF_HDR_SIZE || memcmp(img, EIF_MAGIC, 4)) {
		fprintf(stderr, "%s: not an EIF\n", argv[2]);
		return 1;
	}
	eif_header_decode(&h, img);
	if (!h.section_cnt || h.section_cnt > EIF_MAX_SECTIONS) {
		fprintf(stderr, "%s: bad section count\n", argv[2]);
		return 1;
	}

	if (!strcmp(kind, "magic")) {
		memcpy(h.magic, ".eIF", 4);
	} else if (!strcmp(kind, "version")) {
		h.version = 3;
	} else if (!strcmp(kind, "flags")) {
		h.flags |= 0x8000;
	} else if (!strcmp(kind, "crc")) {
		h.crc32++;
		fix_crc = false;
	} else if (!strcmp(kind, "size")) {
		h.section_sizes[0]++;
	} else if (!strcmp(kind, "section-size") || !strcmp(kind, "overlap")) {
		i = kind[0] == 'o' ? 0 : h.section_cnt - 1;
		h.section_sizes[i]++;
		eif_section_decode(&s, img + h.section_offsets[i]);
		s.size++;
		eif_section_encode(img + h.section_offsets[i], &s);
		/* Past the end of the file, no CRC can cover the section. */
		fix_crc = kind[0] == 'o';
	} else if (!strcmp(kind, "offset")) {
		h.section_offsets[h.section_cnt - 1] = len + 4096;
		/* The CRC cannot cover a section that is not there. */
		fix_crc = false;
	} else if (!strcmp(kind, "no-kernel")) {
		drop(&h, img, EIF_SECTION_KERNEL);
	} else if (!strcmp(kind, "no-cmdline")) {
		drop(&h, img, EIF_SECTION_CMDLINE);
	} else if (!strcmp(kind, "no-ramdisk")) {
		drop(&h, img, EIF_SECTION_RAMDISK);
	} else if (!strcmp(kind, "metadata")) {
		for (i = 0; i < h.section_cnt; i++) {
			eif_section_decode(&s, img + h.section_offsets[i]);
			if (s.type == EIF_SECTION_METADATA && s.size)
				img[h.section_offsets[i] + EIF_SECTION_HDR_SIZE] = '!';
		}
	} else if (!strcmp(kind, "truncate")) {
		eif_section_decode(&s, img + h.section_offsets[h.section_cnt - 1]);
		len = h.section_offsets[h.section_cnt - 1] + EIF_SECTION_HDR_SIZE + s.size / 2;
		fix_crc = false;
	} else {
		fprintf(stderr, "mkeif-corrupt: unknown kind '%s' (--list)\n", kind);
		return 2;
	}
	eif_header_encode(img, &h);
	if (fix_crc) {
		if (!eif_image_crc(img, len, &h.crc32)) {
			fprintf(stderr, "mkeif-corrupt: %s: sections outside the file\n", argv[2]);
			return 1;
		}
		eif_header_encode(img, &h);
	}
	f = fopen(argv[3], "wb");
	if (!f || fwrite(img, 1, len, f) != len || fclose(f)) {
		perror(argv[3]);
		return 1;
	}
	free(img);
	return 0;
}
