// SPDX-License-Identifier: GPL-2.0
/*
 * A module that writes to an object it has freed, so that the harness's
 * own test can show that the SLUB debugging of 'make check' fails a run
 * on memory corruption. Only ever loaded in the test VM.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static int __init uaf_on_load_init(void)
{
	struct kmem_cache *cache;
	void *obj;

	/* A cache of our own: the next allocation reuses the freed object. */
	cache = kmem_cache_create("vsock_fwd_uaf", 64, 0, 0, NULL);
	if (!cache)
		return -ENOMEM;

	obj = kmem_cache_alloc(cache, GFP_KERNEL);
	if (obj) {
		kmem_cache_free(cache, obj);
		/* Hide the use after free from the compiler, not from SLUB. */
		OPTIMIZER_HIDE_VAR(obj);
		memset(obj, 0x5a, 8);
		/* SLUB checks the poison here and reports the overwrite. */
		obj = kmem_cache_alloc(cache, GFP_KERNEL);
		if (obj)
			kmem_cache_free(cache, obj);
	}
	kmem_cache_destroy(cache);
	return 0;
}
module_init(uaf_on_load_init);

MODULE_DESCRIPTION("vsock_fwd test harness self-test: use after free on load");
MODULE_LICENSE("GPL");
