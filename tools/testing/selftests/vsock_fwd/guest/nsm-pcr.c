// SPDX-License-Identifier: GPL-2.0
/*
 * nsm-pcr [INDEX]...: print the enclave's PCRs (default 0, 1 and 2) as
 * "PCRn HEX" lines, the format of 'mkeif --describe', read from the Nitro
 * Secure Module through /dev/nsm with DescribePCR requests. The NSM speaks
 * CBOR: the request is {"DescribePCR": {"index": N}}, the answer
 * {"DescribePCR": {"lock": BOOL, "data": BYTES}} or {"Error": "WHAT"}.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cbor.h>
#include <linux/nsm.h>

/* The value of the text KEY in the CBOR map MAP, or NULL. */
static cbor_item_t *map_get(cbor_item_t *map, const char *key)
{
	struct cbor_pair *p;
	size_t i;

	if (!cbor_isa_map(map))
		return NULL;
	p = cbor_map_handle(map);
	for (i = 0; i < cbor_map_size(map); i++)
		if (cbor_isa_string(p[i].key) &&
		    cbor_string_length(p[i].key) == strlen(key) &&
		    !memcmp(cbor_string_handle(p[i].key), key, strlen(key)))
			return p[i].value;
	return NULL;
}

static int describe_pcr(int fd, unsigned int index)
{
	static uint8_t resp[NSM_RESPONSE_MAX_SIZE];
	cbor_item_t *req, *args, *root, *body, *data, *err;
	struct cbor_load_result res;
	struct nsm_raw raw = { 0 };
	unsigned char *buf = NULL;
	size_t buflen, len, i;
	int ret = 1;

	/* QEMU's device wants the index as a one-byte unsigned integer. */
	args = cbor_new_definite_map(1);
	req = cbor_new_definite_map(1);
	if (!args || !req ||
	    !cbor_map_add(args, (struct cbor_pair) {
			  cbor_move(cbor_build_string("index")),
			  cbor_move(cbor_build_uint8(index)) }) ||
	    !cbor_map_add(req, (struct cbor_pair) {
			  cbor_move(cbor_build_string("DescribePCR")),
			  cbor_move(args) })) {
		fprintf(stderr, "nsm-pcr: cannot build the CBOR request\n");
		return 1;
	}
	len = cbor_serialize_alloc(req, &buf, &buflen);
	cbor_decref(&req);
	if (!len) {
		fprintf(stderr, "nsm-pcr: cannot encode the CBOR request\n");
		return 1;
	}

	raw.request.addr = (uintptr_t)buf;
	raw.request.len = len;
	raw.response.addr = (uintptr_t)resp;
	raw.response.len = sizeof(resp);
	if (ioctl(fd, NSM_IOCTL_RAW, &raw) < 0) {
		fprintf(stderr, "nsm-pcr: /dev/nsm: DescribePCR %u: %s\n", index,
			strerror(errno));
		goto out;
	}

	root = cbor_load(resp, raw.response.len, &res);
	if (!root || res.error.code != CBOR_ERR_NONE) {
		fprintf(stderr, "nsm-pcr: PCR%u: the answer is not CBOR\n", index);
		goto out;
	}
	body = map_get(root, "DescribePCR");
	data = map_get(body, "data");
	err = map_get(root, "Error");
	if (err && cbor_isa_string(err)) {
		fprintf(stderr, "nsm-pcr: PCR%u: the NSM answers Error \"%.*s\"\n",
			index, (int)cbor_string_length(err), cbor_string_handle(err));
	} else if (!data || !cbor_isa_bytestring(data) ||
		   !cbor_bytestring_is_definite(data)) {
		fprintf(stderr, "nsm-pcr: PCR%u: no data in the answer\n", index);
	} else {
		printf("PCR%u ", index);
		for (i = 0; i < cbor_bytestring_length(data); i++)
			printf("%02x", cbor_bytestring_handle(data)[i]);
		printf("\n");
		ret = 0;
	}
	cbor_decref(&root);
out:
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	static const char *const pcrs[] = { "0", "1", "2" };
	const char *const *idx = argc > 1 ? (const char *const *)argv + 1 : pcrs;
	int n = argc > 1 ? argc - 1 : 3;
	int fd, i, ret = 0;
	unsigned long v;
	char *end;

	fd = open("/dev/nsm", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "nsm-pcr: /dev/nsm: %s (is the kernel's NSM driver, CONFIG_NSM, in?)\n",
			strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		v = strtoul(idx[i], &end, 10);
		if (end == idx[i] || *end || v > 255) {
			fprintf(stderr, "nsm-pcr: '%s' is not a PCR index\n", idx[i]);
			return 2;
		}
		ret |= describe_pcr(fd, v);
	}
	if (fflush(stdout))
		ret = 1;
	close(fd);
	return ret;
}
