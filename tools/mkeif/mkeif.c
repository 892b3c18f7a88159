// SPDX-License-Identifier: GPL-2.0
/*
 * mkeif: write an AWS Nitro Enclaves image (EIF) from a kernel, a command
 * line and ramdisks, and describe one: its header, its sections, its CRC
 * and the PCR0/1/2 (and PCR8 when signed) that Nitro, and QEMU's
 * nitro-enclave machine, measure for it. See mkeif.1 and --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cbor.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "eif.h"

/* Exit statuses; mkeif.1 lists them too. */
enum {
	EX_USAGE_ = 2,		/* bad command line */
	EX_IO = 3,		/* a file cannot be read or written */
	EX_INPUT = 4,		/* an input to the build is unusable */
	EX_TRUNCATED = 10,	/* the image ends inside its header or a section */
	EX_MAGIC = 11,
	EX_VERSION = 12,
	EX_FLAGS = 13,
	EX_TABLE = 14,		/* the section table or a section header is wrong */
	EX_MISSING = 15,	/* no kernel, cmdline or ramdisk section */
	EX_CRC = 16,
	EX_CONTENT = 17,	/* metadata or signature section unreadable */
};

#define SHA384_LEN 48
/* The bzImage setup header: "HdrS" at 0x202, the version string's offset
 * (less 0x200) at 0x20e.
 */
#define BZ_MAGIC_OFFSET 0x202
#define BZ_VERSION_PTR 0x20e

static const char *prog = "mkeif";

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: mkeif -o OUT.eif --kernel BZIMAGE --cmdline STRING --ramdisk CPIO\n"
"             [--ramdisk CPIO]... [--metadata JSON] [--memory MIB] [--cpus N]\n"
"       mkeif --describe [-j] FILE.eif\n"
"\n"
"Writes an EIF (version 4): kernel, cmdline, metadata, then the ramdisks in\n"
"order. The first ramdisk is measured into PCR1, the others into PCR2.\n"
"--metadata gives the JSON object stored as the metadata's CustomMetadata.\n"
"--describe checks FILE and prints its header, sections, CRC and the PCRs\n"
"as 'PCRn HEX' lines; -j prints JSON instead.\n"
"\n"
"Exit status: 0 ok; 2 usage; 3 I/O error; 4 unusable build input;\n"
"--describe refusing FILE: 10 truncated, 11 bad magic, 12 bad version,\n"
"13 bad flags, 14 bad section table, 15 missing kernel/cmdline/ramdisk,\n"
"16 CRC mismatch, 17 bad metadata or signature content.\n");
}

/* Read all of PATH into a new buffer. */
static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		die(EX_IO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die(EX_INPUT, "%s: not a regular file", path);
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf)
		die(EX_IO, "%s: out of memory for %jd bytes", path, (intmax_t)st.st_size);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, st.st_size - got);
		if (n < 0)
			die(EX_IO, "%s: %s", path, strerror(errno));
		if (n == 0)
			die(EX_IO, "%s: shrank while being read", path);
		got += n;
	}
	close(fd);
	*len = got;
	return buf;
}

static void sha384(const void *p, size_t len, uint8_t out[SHA384_LEN])
{
	if (gnutls_hash_fast(GNUTLS_DIG_SHA384, p, len, out) < 0)
		die(EX_IO, "SHA-384 unavailable in gnutls");
}

/* A PCR extended once from zero: SHA384(0^48 || DIGEST). */
static void pcr_extend_from_zero(const uint8_t digest[SHA384_LEN],
				 uint8_t pcr[SHA384_LEN])
{
	uint8_t buf[2 * SHA384_LEN] = { 0 };

	memcpy(buf + SHA384_LEN, digest, SHA384_LEN);
	sha384(buf, sizeof(buf), pcr);
}

/* --- writing ------------------------------------------------------------- */

struct input {
	const char *path;
	uint8_t *data;
	size_t len;
};

/* The kernel version string of a bzImage, for the metadata. */
static json_t *kernel_version(const struct input *k)
{
	size_t off, end;

	if (k->len < BZ_VERSION_PTR + 2 ||
	    memcmp(k->data + BZ_MAGIC_OFFSET, "HdrS", 4) != 0)
		die(EX_INPUT, "%s: not a bzImage (no \"HdrS\" setup header at 0x%x)",
		    k->path, BZ_MAGIC_OFFSET);
	off = (k->data[BZ_VERSION_PTR] | k->data[BZ_VERSION_PTR + 1] << 8) + 0x200;
	for (end = off; end < k->len && k->data[end] && k->data[end] != ' '; end++)
		;
	if (off >= k->len || end == k->len || end == off)
		return json_string("unknown");
	return json_stringn((const char *)k->data + off, end - off);
}

/* The metadata section: EifIdentityInfo as JSON, as nitro-cli writes it. */
static char *metadata_json(const char *out, const struct input *kernel,
			   const char *custom_path)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	time_t t = epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
	const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
	size_t baselen = strlen(base);
	json_t *custom, *meta;
	json_error_t err;
	char when[32];
	char *s;

	if (baselen > 4 && !strcmp(base + baselen - 4, ".eif"))
		baselen -= 4;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+00:00", gmtime(&t));
	if (custom_path) {
		custom = json_load_file(custom_path, JSON_REJECT_DUPLICATES, &err);
		if (!custom)
			die(EX_INPUT, "%s: line %d: %s", custom_path, err.line, err.text);
		if (!json_is_object(custom))
			die(EX_INPUT, "%s: the metadata must be a JSON object", custom_path);
	} else {
		custom = json_object();
	}
	meta = json_pack("{s:s%, s:s, s:{s:s, s:s, s:s, s:s, s:o}, s:{}, s:o}",
			 "ImageName", base, baselen,
			 "ImageVersion", "1.0",
			 "BuildMetadata",
			 "BuildTime", when,
			 "BuildTool", "mkeif",
			 "BuildToolVersion", "1",
			 "OperatingSystem", "Linux",
			 "KernelVersion", kernel_version(kernel),
			 "DockerInfo",
			 "CustomMetadata", custom);
	s = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
	if (!s)
		die(EX_IO, "cannot encode the metadata as JSON");
	json_decref(meta);
	return s;
}

static void write_image(const char *out, const uint8_t *img, size_t len)
{
	size_t plen = strlen(out) + 5;
	char *tmp = malloc(plen);
	FILE *f;

	if (!tmp)
		die(EX_IO, "out of memory");
	snprintf(tmp, plen, "%s.tmp", out);
	f = fopen(tmp, "wb");
	if (!f)
		die(EX_IO, "%s: %s", tmp, strerror(errno));
	if (fwrite(img, 1, len, f) != len || fclose(f) != 0) {
		unlink(tmp);
		die(EX_IO, "%s: %s", tmp, strerror(errno));
	}
	if (rename(tmp, out) < 0) {
		unlink(tmp);
		die(EX_IO, "%s: %s", out, strerror(errno));
	}
	free(tmp);
}

struct build {
	const char *out;
	struct input kernel;
	const char *cmdline;
	const char *metadata;
	struct input ramdisks[EIF_MAX_SECTIONS];
	int nramdisks;
	uint64_t memory_mib;
	uint64_t cpus;
};

static void build(struct build *b)
{
	struct { uint16_t type; const void *data; size_t len; } sec[EIF_MAX_SECTIONS];
	struct eif_header h = { .magic = EIF_MAGIC, .version = EIF_VERSION };
	uint8_t *img;
	size_t off = EIF_HDR_SIZE;
	char *meta;
	int i, n = 0;

	b->kernel.data = read_file(b->kernel.path, &b->kernel.len);
	meta = metadata_json(b->out, &b->kernel, b->metadata);
	/* nitro-cli's order: kernel, cmdline, metadata, ramdisks. */
	sec[n].type = EIF_SECTION_KERNEL;
	sec[n].data = b->kernel.data;
	sec[n++].len = b->kernel.len;
	sec[n].type = EIF_SECTION_CMDLINE;
	sec[n].data = b->cmdline;
	sec[n++].len = strlen(b->cmdline);
	sec[n].type = EIF_SECTION_METADATA;
	sec[n].data = meta;
	sec[n++].len = strlen(meta);
	for (i = 0; i < b->nramdisks; i++) {
		struct input *r = &b->ramdisks[i];

		r->data = read_file(r->path, &r->len);
		sec[n].type = EIF_SECTION_RAMDISK;
		sec[n].data = r->data;
		sec[n++].len = r->len;
	}

	h.default_memory = b->memory_mib << 20;
	h.default_cpus = b->cpus;
	h.section_cnt = n;
	for (i = 0; i < n; i++) {
		h.section_offsets[i] = off;
		h.section_sizes[i] = sec[i].len;
		off += EIF_SECTION_HDR_SIZE + sec[i].len;
	}
	img = malloc(off);
	if (!img)
		die(EX_IO, "out of memory for a %zu-byte image", off);
	for (i = 0; i < n; i++) {
		struct eif_section_header s = { .type = sec[i].type, .size = sec[i].len };
		uint8_t *p = img + h.section_offsets[i];

		eif_section_encode(p, &s);
		memcpy(p + EIF_SECTION_HDR_SIZE, sec[i].data, sec[i].len);
	}
	eif_header_encode(img, &h);
	if (!eif_image_crc(img, off, &h.crc32))
		die(EX_IO, "internal error: the image's own layout is inconsistent");
	eif_header_encode(img, &h);
	write_image(b->out, img, off);
	free(img);
	free(meta);
}

/* --- describing ---------------------------------------------------------- */

struct image {
	const char *path;
	const uint8_t *data;
	size_t len;
	struct eif_header h;
	struct eif_section_header sec[EIF_MAX_SECTIONS];
	int first[EIF_SECTION_MAX];	/* first section of each type, or -1 */
	uint32_t crc;
	uint8_t pcr[9][SHA384_LEN];
	bool signed_;
	json_t *metadata;
};

static const uint8_t *section_data(const struct image *im, int i)
{
	return im->data + im->h.section_offsets[i] + EIF_SECTION_HDR_SIZE;
}

static void __attribute__((noreturn, format(printf, 3, 4)))
refuse(const struct image *im, int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", prog, im->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* Every check of the header and the section table, in the order of the
 * file: the first defect found is the one reported.
 */
static void check_layout(struct image *im)
{
	const struct eif_header *h = &im->h;
	int i, j;

	if (im->len < EIF_HDR_SIZE)
		refuse(im, EX_TRUNCATED, "truncated: %zu bytes, shorter than the %d-byte EIF header",
		       im->len, EIF_HDR_SIZE);
	eif_header_decode(&im->h, im->data);
	if (memcmp(h->magic, EIF_MAGIC, 4) != 0)
		refuse(im, EX_MAGIC, "bad magic %02x %02x %02x %02x, not an EIF (\".eif\")",
		       im->data[0], im->data[1], im->data[2], im->data[3]);
	if (h->version != EIF_VERSION)
		refuse(im, EX_VERSION, "EIF version %u; mkeif reads version %d",
		       h->version, EIF_VERSION);
	if (h->flags & ~EIF_FLAG_ARM64)
		refuse(im, EX_FLAGS, "header flags 0x%04x have undefined bits 0x%04x",
		       h->flags, h->flags & ~EIF_FLAG_ARM64);
	if (h->section_cnt == 0 || h->section_cnt > EIF_MAX_SECTIONS)
		refuse(im, EX_TABLE, "section count %u, not 1 to %d",
		       h->section_cnt, EIF_MAX_SECTIONS);
	for (i = 0; i < EIF_SECTION_MAX; i++)
		im->first[i] = -1;
	for (i = 0; i < h->section_cnt; i++) {
		uint64_t off = h->section_offsets[i];
		struct eif_section_header *s = &im->sec[i];

		if (off < EIF_HDR_SIZE)
			refuse(im, EX_TABLE, "section %d at offset %" PRIu64 " overlaps the EIF header",
			       i, off);
		if (off >= im->len)
			refuse(im, EX_TABLE, "section %d at offset %" PRIu64 " is beyond the end of the file (%zu bytes)",
			       i, off, im->len);
		if (im->len - off < EIF_SECTION_HDR_SIZE)
			refuse(im, EX_TRUNCATED, "truncated: section %d's header at offset %" PRIu64 " is cut by the end of the file (%zu bytes)",
			       i, off, im->len);
		eif_section_decode(s, im->data + off);
		if (s->type == EIF_SECTION_INVALID || s->type >= EIF_SECTION_MAX)
			refuse(im, EX_TABLE, "section %d has type %u, not a section type",
			       i, s->type);
		if (s->flags != 0)
			refuse(im, EX_TABLE, "section %d (%s) has flags 0x%04x, not 0",
			       i, eif_section_name(s->type), s->flags);
		if (s->size != h->section_sizes[i])
			refuse(im, EX_TABLE, "section %d (%s): size %" PRIu64 " in the EIF header but %" PRIu64 " in the section header",
			       i, eif_section_name(s->type), h->section_sizes[i], s->size);
		if (s->size > im->len - off - EIF_SECTION_HDR_SIZE)
			refuse(im, EX_TRUNCATED, "truncated: section %d (%s) of %" PRIu64 " bytes at offset %" PRIu64 " ends beyond the end of the file (%zu bytes)",
			       i, eif_section_name(s->type), s->size, off, im->len);
		for (j = 0; j < i; j++) {
			uint64_t o = h->section_offsets[j];

			if (off < o + EIF_SECTION_HDR_SIZE + im->sec[j].size &&
			    o < off + EIF_SECTION_HDR_SIZE + s->size)
				refuse(im, EX_TABLE, "sections %d and %d overlap", j, i);
		}
		if (im->first[s->type] >= 0 && s->type != EIF_SECTION_RAMDISK)
			refuse(im, EX_TABLE, "sections %d and %d are both %s sections",
			       im->first[s->type], i, eif_section_name(s->type));
		if (im->first[s->type] < 0)
			im->first[s->type] = i;
	}
	if (im->first[EIF_SECTION_KERNEL] < 0)
		refuse(im, EX_MISSING, "no kernel section");
	if (im->first[EIF_SECTION_CMDLINE] < 0)
		refuse(im, EX_MISSING, "no cmdline section");
	if (im->first[EIF_SECTION_RAMDISK] < 0)
		refuse(im, EX_MISSING, "no ramdisk section");
	if (!eif_image_crc(im->data, im->len, &im->crc))
		refuse(im, EX_TABLE, "internal error: sections outside the file after the checks");
	if (im->crc != h->crc32)
		refuse(im, EX_CRC, "CRC32 mismatch: the header has 0x%08x, the contents give 0x%08x",
		       h->crc32, im->crc);
}

/*
 * PCR0 measures the kernel, cmdline and every ramdisk; PCR1 the kernel,
 * cmdline and the first ramdisk; PCR2 the other ramdisks: each hashed in
 * table order, then extended into a zero PCR.
 */
static void measure(struct image *im)
{
	gnutls_hash_hd_t hd[3];
	uint8_t d[SHA384_LEN];
	int i, k;

	for (k = 0; k < 3; k++)
		if (gnutls_hash_init(&hd[k], GNUTLS_DIG_SHA384) < 0)
			die(EX_IO, "SHA-384 unavailable in gnutls");
	for (i = 0; i < im->h.section_cnt; i++) {
		unsigned int t = im->sec[i].type;
		const uint8_t *p = section_data(im, i);
		size_t n = im->sec[i].size;

		if (t != EIF_SECTION_KERNEL && t != EIF_SECTION_CMDLINE &&
		    t != EIF_SECTION_RAMDISK)
			continue;
		gnutls_hash(hd[0], p, n);
		if (t != EIF_SECTION_RAMDISK || i == im->first[EIF_SECTION_RAMDISK])
			gnutls_hash(hd[1], p, n);
		else
			gnutls_hash(hd[2], p, n);
	}
	for (k = 0; k < 3; k++) {
		gnutls_hash_deinit(hd[k], d);
		pcr_extend_from_zero(d, im->pcr[k]);
	}
}

/*
 * The signature section: a CBOR array of {signing_certificate, signature},
 * each a byte array written as an array of small integers. PCR8 measures
 * the SHA-384 fingerprint (of the DER form) of the first certificate.
 */
static void measure_signature(struct image *im)
{
	int i = im->first[EIF_SECTION_SIGNATURE];
	struct cbor_load_result res;
	cbor_item_t *root, *first = NULL, *cert = NULL;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem;
	uint8_t fp[SHA384_LEN];
	size_t fplen = sizeof(fp), n, k;
	struct cbor_pair *pairs;
	uint8_t *der;

	if (i < 0)
		return;
	root = cbor_load(section_data(im, i), im->sec[i].size, &res);
	if (!root || res.error.code != CBOR_ERR_NONE)
		refuse(im, EX_CONTENT, "signature section %d is not CBOR", i);
	if (cbor_isa_array(root) && cbor_array_size(root) > 0)
		first = cbor_array_get(root, 0);
	if (!first || !cbor_isa_map(first))
		refuse(im, EX_CONTENT, "signature section %d: not an array of maps", i);
	pairs = cbor_map_handle(first);
	for (k = 0; k < cbor_map_size(first); k++)
		if (cbor_isa_string(pairs[k].key) &&
		    cbor_string_length(pairs[k].key) == strlen("signing_certificate") &&
		    !memcmp(cbor_string_handle(pairs[k].key), "signing_certificate",
			    strlen("signing_certificate")))
			cert = pairs[k].value;
	if (!cert || !cbor_isa_array(cert) || cbor_array_size(cert) == 0)
		refuse(im, EX_CONTENT, "signature section %d: no signing_certificate", i);
	n = cbor_array_size(cert);
	der = malloc(n);
	if (!der)
		die(EX_IO, "out of memory");
	for (k = 0; k < n; k++) {
		cbor_item_t *b = cbor_array_handle(cert)[k];

		if (!cbor_isa_uint(b) || cbor_get_int(b) > 0xff)
			refuse(im, EX_CONTENT, "signature section %d: signing_certificate is not bytes", i);
		der[k] = cbor_get_int(b);
	}
	pem.data = der;
	pem.size = n;
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA384, fp, &fplen) < 0)
		refuse(im, EX_CONTENT, "signature section %d: signing_certificate is not a PEM X.509 certificate", i);
	gnutls_x509_crt_deinit(crt);
	pcr_extend_from_zero(fp, im->pcr[8]);
	im->signed_ = true;
	free(der);
	cbor_decref(&first);
	cbor_decref(&root);
}

static void read_metadata(struct image *im)
{
	int i = im->first[EIF_SECTION_METADATA];
	json_error_t err;

	if (i < 0)
		return;
	im->metadata = json_loadb((const char *)section_data(im, i), im->sec[i].size,
				  JSON_REJECT_DUPLICATES, &err);
	if (!im->metadata)
		refuse(im, EX_CONTENT, "metadata section %d is not JSON: %s", i, err.text);
}

static char *hex(const uint8_t *p, size_t n)
{
	static char buf[2 * SHA384_LEN + 1];
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", p[i]);
	return buf;
}

static const int pcr_ids[] = { 0, 1, 2, 8 };

static void print_json(const struct image *im)
{
	const struct eif_header *h = &im->h;
	json_t *o, *secs, *pcrs;
	int i, ci = im->first[EIF_SECTION_CMDLINE];
	char name[8];

	secs = json_array();
	for (i = 0; i < h->section_cnt; i++)
		json_array_append_new(secs, json_pack("{s:i, s:s, s:I, s:I}",
			"index", i, "type", eif_section_name(im->sec[i].type),
			"offset", (json_int_t)h->section_offsets[i],
			"size", (json_int_t)im->sec[i].size));
	pcrs = json_pack("{s:s}", "HashAlgorithm", "SHA384");
	for (i = 0; i < 4; i++) {
		if (pcr_ids[i] == 8 && !im->signed_)
			continue;
		snprintf(name, sizeof(name), "PCR%d", pcr_ids[i]);
		json_object_set_new(pcrs, name, json_string(hex(im->pcr[pcr_ids[i]], SHA384_LEN)));
	}
	o = json_pack("{s:s, s:I, s:i, s:i, s:s, s:I, s:I, s:i, s:I, s:i, s:o, s:b, s:o, s:s%, s:O?, s:o}",
		"file", im->path, "size", (json_int_t)im->len,
		"version", h->version, "flags", h->flags,
		"arch", h->flags & EIF_FLAG_ARM64 ? "aarch64" : "x86_64",
		"default_memory", (json_int_t)h->default_memory,
		"default_cpus", (json_int_t)h->default_cpus,
		"reserved", h->reserved, "unused", (json_int_t)h->unused,
		"section_count", h->section_cnt,
		"crc32", json_sprintf("0x%08x", h->crc32), "crc_ok", 1, "sections", secs,
		"cmdline", (const char *)section_data(im, ci), (size_t)im->sec[ci].size,
		"metadata", im->metadata, "measurements", pcrs);
	if (!o)
		die(EX_IO, "cannot encode the description as JSON");
	json_dumpf(o, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(o);
}

static void print_text(const struct image *im)
{
	const struct eif_header *h = &im->h;
	int i, ci = im->first[EIF_SECTION_CMDLINE];
	char *meta;

	printf("file %s (%zu bytes)\n", im->path, im->len);
	printf("version %u\n", h->version);
	printf("flags 0x%04x (%s)\n", h->flags,
	       h->flags & EIF_FLAG_ARM64 ? "aarch64" : "x86_64");
	printf("default_memory %" PRIu64 "\n", h->default_memory);
	printf("default_cpus %" PRIu64 "\n", h->default_cpus);
	printf("reserved %u\nunused %u\n", h->reserved, h->unused);
	printf("crc32 0x%08x ok\n", h->crc32);
	printf("sections %u\n", h->section_cnt);
	for (i = 0; i < h->section_cnt; i++)
		printf("section %d %s offset %" PRIu64 " size %" PRIu64 "\n", i,
		       eif_section_name(im->sec[i].type), h->section_offsets[i],
		       im->sec[i].size);
	printf("cmdline %.*s\n", (int)im->sec[ci].size, section_data(im, ci));
	if (im->metadata) {
		meta = json_dumps(im->metadata, JSON_COMPACT);
		printf("metadata %s\n", meta ? meta : "?");
		free(meta);
	}
	for (i = 0; i < 4; i++)
		if (pcr_ids[i] != 8 || im->signed_)
			printf("PCR%d %s\n", pcr_ids[i], hex(im->pcr[pcr_ids[i]], SHA384_LEN));
}

static void describe(const char *path, bool json)
{
	struct image im = { .path = path };
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		die(EX_IO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die(EX_IO, "%s: not a regular file", path);
	im.len = st.st_size;
	if (im.len) {
		im.data = mmap(NULL, im.len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (im.data == MAP_FAILED)
			die(EX_IO, "%s: %s", path, strerror(errno));
	}
	close(fd);
	check_layout(&im);
	read_metadata(&im);
	measure_signature(&im);
	measure(&im);
	if (json)
		print_json(&im);
	else
		print_text(&im);
	json_decref(im.metadata);
	if (fflush(stdout) != 0)
		die(EX_IO, "stdout: %s", strerror(errno));
}

static uint64_t number(const char *opt, const char *s, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max)
		die(EX_USAGE_, "%s: '%s' is not a number from 1 to %" PRIu64, opt, s, max);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "ramdisk", required_argument, NULL, 'r' },
		{ "metadata", required_argument, NULL, 'm' },
		{ "memory", required_argument, NULL, 'M' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "describe", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	/* nitro-cli's defaults for an image's memory and CPUs. */
	struct build b = { .memory_mib = 1024, .cpus = 2 };
	bool desc = false;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': b.out = optarg; break;
		case 'k': b.kernel.path = optarg; break;
		case 'c': b.cmdline = optarg; break;
		case 'm': b.metadata = optarg; break;
		case 'M': b.memory_mib = number("--memory", optarg, UINT64_MAX >> 20); break;
		case 'C': b.cpus = number("--cpus", optarg, UINT32_MAX); break;
		case 'd': desc = true; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		case 'r':
			/* Kernel, cmdline and metadata take three of the sections. */
			if (b.nramdisks == EIF_MAX_SECTIONS - 3)
				die(EX_USAGE_, "at most %d ramdisks", EIF_MAX_SECTIONS - 3);
			b.ramdisks[b.nramdisks++].path = optarg;
			break;
		default:
			usage(stderr);
			return EX_USAGE_;
		}
	}
	if (desc) {
		if (b.out || b.kernel.path || b.cmdline || b.nramdisks || b.metadata)
			die(EX_USAGE_, "--describe takes no build options");
		if (optind != argc - 1)
			die(EX_USAGE_, "--describe takes one FILE (see --help)");
		describe(argv[optind], json);
		return 0;
	}
	if (optind < argc)
		die(EX_USAGE_, "unexpected argument '%s' (see --help)", argv[optind]);
	if (json)
		die(EX_USAGE_, "-j goes with --describe");
	if (!b.out || !b.kernel.path || !b.cmdline || !b.nramdisks)
		die(EX_USAGE_, "building needs -o, --kernel, --cmdline and at least one --ramdisk (see --help)");
	build(&b);
	return 0;
}
