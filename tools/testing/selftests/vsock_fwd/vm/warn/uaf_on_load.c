// SPDX-License-Identifier: GPL-2.0
/*
 * A module that writes to an object it has freed, so that the harness's
 * own test can show that the SLUB debugging of 'make check', and KASAN
 * on the debug kernel, fail a run on memory corruption. Only ever loaded
 * in the test VM.
 */
#include <linux/module.h>
#include <linux/slab.h>

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
		/*
		 * Hide the use after free from the compiler, not from SLUB or
		 * KASAN. A plain store, not memset(): KASAN checks the stores
		 * it instruments, and with a compiler that has no
		 * mem-intrinsic prefix (GCC 12) a module's memset() is the
		 * kernel's unchecked one.
		 */
		OPTIMIZER_HIDE_VAR(obj);
		WRITE_ONCE(*(u64 *)obj, 0x5a5a5a5a5a5a5a5aULL);
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
