// SPDX-License-Identifier: GPL-2.0
/*
 * A module that takes two mutexes in one order and then in the other, so
 * that the harness's own test can show that lockdep on the debug kernel
 * fails a run on a lock inversion, which never has to deadlock to be
 * reported. Only ever loaded in the test VM.
 */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);

static int __init lock_inversion_on_load_init(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);

	/* B then A: "possible circular locking dependency detected". */
	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
	return 0;
}
module_init(lock_inversion_on_load_init);

MODULE_DESCRIPTION("vsock_fwd test harness self-test: a lock inversion on load");
MODULE_LICENSE("GPL");
