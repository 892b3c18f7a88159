// SPDX-License-Identifier: GPL-2.0
/*
 * A module that opens /dev/vhost-vsock when it loads and keeps it open
 * until it unloads: the module under test stays referenced after the
 * command, with no process left to kill, so that the harness's own test
 * can show that a module that does not unload fails a run.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>

static struct file *held;

static int __init hold_on_load_init(void)
{
	held = filp_open("/dev/vhost-vsock", O_RDWR, 0);
	return PTR_ERR_OR_ZERO(held);
}
module_init(hold_on_load_init);

static void __exit hold_on_load_exit(void)
{
	filp_close(held, NULL);
}
module_exit(hold_on_load_exit);

MODULE_DESCRIPTION("vsock_fwd test harness self-test: hold /dev/vhost-vsock");
MODULE_LICENSE("GPL");
