// SPDX-License-Identifier: GPL-2.0
/*
 * nitro-init: PID 1 of the guests of the vsock_fwd end-to-end tests.
 *
 * It starts a guest the way the init of an AWS Nitro Enclave does
 * (aws-nitro-enclaves-sdk-bootstrap, init/init.c): it mounts the kernel file
 * systems, sends the boot heartbeat to the parent (connect to CID 3 port
 * 9000, write 0xB7, require 0xB7 back), then runs the application and reaps
 * orphans until the application exits. The enclave's init dies on a failed
 * heartbeat and leaves a finished enclave to its VMM; this one reports on the
 * console and powers the VM off, so that a test sees one verdict per boot:
 *
 *   NITRO-HEARTBEAT-OK cid=3 port=9000
 *   NITRO-HEARTBEAT-FAIL cid=3 port=9000: <reason>
 *   NITRO-INIT-EXIT <status>
 *
 * <status> is the application's exit status (128 + N if signal N killed
 * it), 255 if it never ran. Each token is one line of its own.
 *
 * Kernel command line:
 *   guest.heartbeat=off         no heartbeat (parent VMs, plain test guests)
 *   guest.heartbeat=CID[:PORT]  heartbeat there (default 3:9000); a stock
 *                               vhost-vsock host is reachable only as CID 2
 *   guest.cmd="..."             the application: run by /bin/sh -c, or
 *                               directly if it is plain words
 * Without guest.cmd the application is /cmd (one argument per line) with
 * the environment /env (one VAR=value per line), as in an enclave image;
 * without /cmd, an interactive shell. If there is a /rootfs (an enclave
 * image's second ramdisk: the user's file system, the first holding only
 * this init), the application runs in it as the enclave's init runs it: /
 * is replaced by /rootfs, with /dev, /proc, /sys and /tmp mounted anew.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vsock-util.h"

#define HEARTBEAT_CID		3	/* every enclave's parent */
#define HEARTBEAT_PORT		9000
#define HEARTBEAT_BYTE		0xB7
#define HEARTBEAT_TIMEOUT_MS	20000	/* the TIMEOUT of the enclave's init */
#define STATUS_NOT_RUN		255
#define DEFAULT_PATH		"/sbin:/usr/sbin:/bin:/usr/bin"
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

struct options {
	bool heartbeat;
	unsigned int hb_cid;
	unsigned int hb_port;
	char *cmd;
};

/* One write per message, so that kernel messages cannot split a token. */
static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (n > 0)
		write_all(STDOUT_FILENO, buf, n);
}

static void mount_fs(const char *type, const char *target, unsigned long flags)
{
	/* devtmpfs is there already if the kernel mounted it. */
	if (mount(type, target, type, flags, NULL) && errno != EBUSY)
		say("nitro-init: mount %s on %s: %s\n", type, target,
		    strerror(errno));
}

/* A small file's contents, allocated; NULL with errno set. */
static char *slurp(const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static int parse_option(struct options *o, char *arg)
{
	const char *val;
	uint64_t cid;

	if (strncmp(arg, "guest.", 6))
		return 0;
	if (!strncmp(arg, "guest.cmd=", 10)) {
		o->cmd = arg + 10;
		return 0;
	}
	if (strncmp(arg, "guest.heartbeat=", 16))
		return -1;
	val = arg + 16;
	if (!strcmp(val, "off")) {
		o->heartbeat = false;
		return 0;
	}
	if (strchr(val, ':'))
		return parse_cid_port(val, &o->hb_cid, &o->hb_port);
	if (parse_num(val, UINT32_MAX, &cid))
		return -1;
	o->hb_cid = cid;
	return 0;
}

/*
 * Splits /proc/cmdline into words as the kernel does: blanks separate
 * them except inside double quotes, which are dropped.
 */
static int parse_cmdline(struct options *o)
{
	char *p, *word, *to;
	bool quoted;

	p = slurp("/proc/cmdline");
	if (!p) {
		say("nitro-init: /proc/cmdline: %s\n", strerror(errno));
		return -1;
	}
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		word = to = p;
		quoted = false;
		while (*p && (quoted || !isspace((unsigned char)*p))) {
			if (*p == '"')
				quoted = !quoted;
			else
				*to++ = *p;
			p++;
		}
		if (*p)
			p++;
		*to = '\0';
		/* The rest is the arguments of init, not options. */
		if (!strcmp(word, "--"))
			return 0;
		if (parse_option(o, word)) {
			say("nitro-init: bad option %s\n", word);
			return -1;
		}
	}
}

static const char *heartbeat(unsigned int cid, unsigned int port)
{
	static char reason[128];
	unsigned char byte = HEARTBEAT_BYTE;
	struct pollfd pfd;
	const char *step;
	int fd, n;

	fd = vsock_connect(SOCK_STREAM, cid, port, 0);
	if (fd < 0) {
		step = "connect";
		goto fail;
	}
	step = "write";
	if (write_all(fd, &byte, 1))
		goto fail_close;
	step = "read";
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	n = poll(&pfd, 1, HEARTBEAT_TIMEOUT_MS);
	if (!n)
		errno = ETIMEDOUT;
	if (n <= 0)
		goto fail_close;
	n = read(fd, &byte, 1);
	if (n < 0)
		goto fail_close;
	close(fd);
	if (!n)
		return "read: connection closed without a reply";
	if (byte != HEARTBEAT_BYTE) {
		snprintf(reason, sizeof(reason), "reply 0x%02x, not 0x%02x",
			 byte, HEARTBEAT_BYTE);
		return reason;
	}
	return NULL;

fail_close:
	n = errno;
	close(fd);
	errno = n;
fail:
	snprintf(reason, sizeof(reason), "%s: %s", step, strerror(errno));
	return reason;
}

/*
 * The lines of a file as a NULL-terminated array, after the first skip
 * slots (left for the caller); NULL with errno set if it cannot be read.
 */
static char **read_lines(const char *path, size_t skip)
{
	char *text, *line, *save, **v;
	size_t n = skip;

	text = slurp(path);
	if (!text)
		return NULL;
	/* At most one line per two characters. */
	v = calloc(skip + strlen(text) / 2 + 2, sizeof(*v));
	if (!v)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		v[n++] = line;
	return v;
}

/* A NULL-terminated argv of up to three words; NULL if out of memory. */
static char **make_argv(const char *a, const char *b, const char *c)
{
	char **argv = calloc(4, sizeof(*argv));

	if (argv) {
		argv[0] = (char *)a;
		argv[1] = (char *)b;
		argv[2] = (char *)c;
	}
	return argv;
}

/*
 * cmd split into words if the shell would do nothing else with it, else
 * NULL. The first start of a program costs a nested guest a second or
 * more: the shell's is worth saving.
 */
static char **plain_words(char *cmd)
{
	static const char plain[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./:,+@%= \t";
	char **argv, *word, *save;
	size_t n = 0, start;

	start = strspn(cmd, " \t");
	/* FOO=bar first is an assignment. */
	if (!cmd[start] || cmd[strspn(cmd, plain)] ||
	    memchr(cmd + start, '=', strcspn(cmd + start, " \t")))
		return NULL;
	argv = calloc(strlen(cmd) / 2 + 2, sizeof(*argv));
	if (!argv)
		return NULL;
	for (word = strtok_r(cmd, " \t", &save); word;
	     word = strtok_r(NULL, " \t", &save))
		argv[n++] = word;
	return argv;
}

static char **app_argv(const struct options *o)
{
	char **argv;

	if (o->cmd) {
		argv = plain_words(o->cmd);
		return argv ? argv : make_argv("/bin/sh", "-c", o->cmd);
	}
	argv = read_lines("/cmd", 0);
	/* cttyhack gives the shell the console as its terminal: job control. */
	if (!argv && errno == ENOENT)
		return make_argv("/bin/cttyhack", "/bin/sh", NULL);
	if (!argv || !argv[0]) {
		say("nitro-init: /cmd: %s\n", argv ? "empty" : strerror(errno));
		return NULL;
	}
	return argv;
}

static char **app_envp(void)
{
	static const char *const base[] = {
		"PATH=" DEFAULT_PATH, "HOME=/", "TERM=linux"
	};
	char **envp;

	envp = read_lines("/env", ARRAY_SIZE(base));
	if (!envp && errno == ENOENT)
		envp = calloc(ARRAY_SIZE(base) + 1, sizeof(*envp));
	else if (!envp)
		say("nitro-init: /env: %s\n", strerror(errno));
	if (envp)
		memcpy(envp, base, sizeof(base));
	return envp;
}

/*
 * As the enclave's init does: /rootfs becomes a mount point, is moved onto
 * / and made the root, so that nothing of the init's ramdisk stays
 * visible. Without /rootfs (a plain test guest) there is nothing to do.
 */
static int enter_rootfs(void)
{
	if (access("/rootfs", F_OK))
		return 0;
	if (unlink("/cmd") && errno != ENOENT)
		say("nitro-init: unlink /cmd: %s\n", strerror(errno));
	if (unlink("/env") && errno != ENOENT)
		say("nitro-init: unlink /env: %s\n", strerror(errno));
	if (mount("/rootfs", "/rootfs", NULL, MS_BIND, NULL) ||
	    chdir("/rootfs") || mount(".", "/", NULL, MS_MOVE, NULL) ||
	    chroot(".") || chdir("/")) {
		say("nitro-init: entering /rootfs: %s\n", strerror(errno));
		return -1;
	}
	mount_fs("devtmpfs", "/dev", MS_NOSUID | MS_NOEXEC);
	mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_fs("tmpfs", "/tmp", MS_NOSUID | MS_NODEV);
	return 0;
}

static pid_t launch(char **argv, char **envp)
{
	sigset_t all;
	pid_t pid;

	pid = fork();
	if (pid)
		return pid;
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	setsid();
	execvpe(argv[0], argv, envp);
	say("nitro-init: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Reaps every orphan until the application exits; its status. */
static int reap(pid_t app)
{
	int status;
	pid_t pid;

	for (;;) {
		pid = wait(&status);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return STATUS_NOT_RUN;
		if (pid != app)
			continue;
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		return 128 + WTERMSIG(status);
	}
}

static void power_off(void)
{
	int fd;

	sync();
	if (!access("/sys/firmware/acpi", F_OK))
		reboot(RB_POWER_OFF);
	/*
	 * Without ACPI (microvm,acpi=off) the kernel cannot power off and
	 * would halt forever: reset instead, which QEMU's -no-reboot turns
	 * into an exit. A triple fault resets every x86 VM at once; the
	 * default method first probes for seconds a keyboard controller that
	 * microvm does not have.
	 */
	fd = open("/sys/kernel/reboot/type", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		write_all(fd, "triple", 6);
		close(fd);
	}
	reboot(RB_AUTOBOOT);
}

int main(void)
{
	struct options opt = {
		.heartbeat = true,
		.hb_cid = HEARTBEAT_CID,
		.hb_port = HEARTBEAT_PORT,
	};
	int status = STATUS_NOT_RUN;
	char **argv, **envp, *uptime, line[512] = "";
	const char *err;
	size_t len;
	sigset_t all;
	pid_t pid;
	int i;

	/* Signals would kill PID 1; wait() still returns for SIGCHLD. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	/* For execvpe(), which searches the caller's PATH. */
	setenv("PATH", DEFAULT_PATH, 1);

	mount_fs("devtmpfs", "/dev", MS_NOSUID | MS_NOEXEC);
	mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_fs("sysfs", "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_fs("tmpfs", "/tmp", MS_NOSUID | MS_NODEV);
	uptime = slurp("/proc/uptime");
	say("nitro-init: started at %.*s s since boot\n",
	    uptime ? (int)strcspn(uptime, " ") : 1, uptime ? uptime : "?");

	if (parse_cmdline(&opt))
		goto out;
	if (opt.heartbeat) {
		err = heartbeat(opt.hb_cid, opt.hb_port);
		if (err) {
			say("NITRO-HEARTBEAT-FAIL cid=%u port=%u: %s\n",
			    opt.hb_cid, opt.hb_port, err);
			goto out;
		}
		say("NITRO-HEARTBEAT-OK cid=%u port=%u\n", opt.hb_cid,
		    opt.hb_port);
	}

	argv = app_argv(&opt);
	envp = app_envp();
	if (!argv || !envp || enter_rootfs())
		goto out;
	for (i = 0, len = 0; argv[i] && len < sizeof(line) - 1; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s", argv[i]);
	say("nitro-init: running%s\n", line);
	pid = launch(argv, envp);
	if (pid < 0) {
		say("nitro-init: fork: %s\n", strerror(errno));
		goto out;
	}
	status = reap(pid);
out:
	say("NITRO-INIT-EXIT %d\n", status);
	power_off();
	/* Still here: exiting makes the kernel panic, which reboots too. */
	return status;
}
