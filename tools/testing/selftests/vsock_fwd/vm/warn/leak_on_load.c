// SPDX-License-Identifier: GPL-2.0
/*
 * A module that allocates memory when it loads and forgets it, so that
 * the harness's own test can show that the debug kernel's kmemleak scan
 * fails a run on a leak. Only ever loaded in the test VM.
 */
#include <linux/module.h>
#include <linux/slab.h>

static int __init leak_on_load_init(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	/* Keep the compiler from dropping the allocation; lose the pointer. */
	OPTIMIZER_HIDE_VAR(p);
	return 0;
}
module_init(leak_on_load_init);

MODULE_DESCRIPTION("vsock_fwd test harness self-test: a leak on load");
MODULE_LICENSE("GPL");
