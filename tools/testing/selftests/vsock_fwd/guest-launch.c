// SPDX-License-Identifier: GPL-2.0
/*
 * guest-launch FD ALIAS TARGET [strict] -- CMD...
 *
 * Opens /dev/vhost-vsock as file descriptor FD, sets a forward on it with
 * VHOST_VSOCK_SET_FORWARD and execs CMD with FD inherited: the way a
 * launcher configures a device for an unmodified VMM that takes it with
 * QEMU's vhostfd=. The forward is set before QEMU's VHOST_SET_OWNER and
 * guest CID, which the ABI allows; the launcher reads it back so that a
 * failure is reported here and not as a silent heartbeat timeout later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vhost.h>
#include <linux/vhost_fwd.h>

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end) {
		fprintf(stderr, "guest-launch: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct vhost_vsock_forward fwd = {}, got = {};
	int fd, want, i = 4;

	if (argc < 6)
		goto usage;
	want = num(argv[1]);
	fwd.alias_cid = num(argv[2]);
	fwd.target_cid = num(argv[3]);
	if (!strcmp(argv[i], "strict")) {
		fwd.flags = VHOST_VSOCK_FORWARD_F_STRICT;
		i++;
	}
	if (strcmp(argv[i], "--") || i + 1 >= argc)
		goto usage;

	fd = open("/dev/vhost-vsock", O_RDWR);
	if (fd < 0 || (fd != want && dup2(fd, want) < 0)) {
		perror("guest-launch: /dev/vhost-vsock");
		return 1;
	}
	if (fd != want)
		close(fd);
	if (ioctl(want, VHOST_VSOCK_SET_FORWARD, &fwd) ||
	    ioctl(want, VHOST_VSOCK_GET_FORWARD, &got)) {
		int err = errno;

		/*
		 * The errno does not tell: the stock vhost_vsock fails an ioctl
		 * it does not know with EPERM before the device has an owner
		 * (QEMU sets it later), with ENOBUFS after. Worded as QEMU's
		 * forward-target says it.
		 */
		if (access("/sys/module/vhost_vsock_fwd", F_OK))
			fprintf(stderr, "guest-launch: the forward needs the vhost_vsock_fwd module, which /dev/vhost-vsock is not (%s); load vhost_vsock_fwd in place of vhost_vsock\n",
				strerror(err));
		else
			fprintf(stderr, "guest-launch: forward: %s\n", strerror(err));
		return 1;
	}
	if (memcmp(&fwd, &got, sizeof(fwd))) {
		fprintf(stderr, "guest-launch: forward reads back as %llu -> %llu flags %u\n",
			(unsigned long long)got.alias_cid,
			(unsigned long long)got.target_cid, got.flags);
		return 1;
	}
	execvp(argv[i + 1], argv + i + 1);
	perror(argv[i + 1]);
	return 1;
usage:
	fprintf(stderr, "usage: guest-launch FD ALIAS TARGET [strict] -- CMD...\n");
	return 2;
}
