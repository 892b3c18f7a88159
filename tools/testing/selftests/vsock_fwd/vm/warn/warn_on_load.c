// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose only job is to WARN when it loads, so that the harness's
 * own test can show that a WARN fails a run.
 */
#include <linux/module.h>

static int __init warn_on_load_init(void)
{
	WARN(1, "vsock_fwd harness self-test: this WARN must fail the run\n");
	return 0;
}
module_init(warn_on_load_init);

MODULE_DESCRIPTION("vsock_fwd test harness self-test: WARN on load");
MODULE_LICENSE("GPL");
