// SPDX-License-Identifier: GPL-2.0
/*
 * For `make -C vmcore-fixtures large` (benchmarks only, never committed):
 * fills MB MiB of slab memory with spinlocks from one init site (one lock
 * class), each taken once so its class_cache[0] is set, then prints
 * "lockalias-fill: done". It runs before the scenario module, whose seed
 * splat turns lockdep off (locks taken after it cache no class).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

static int mb = 64;
module_param(mb, int, 0444);

struct fill_obj {
	spinlock_t lock[8];
};

static int __init fill_init(void)
{
	size_t n = ((size_t)mb << 20) / sizeof(struct fill_obj), i;
	int j;

	for (i = 0; i < n; i++) {
		struct fill_obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

		if (!o)
			break;
		for (j = 0; j < 8; j++) {
			spin_lock_init(&o->lock[j]);
			spin_lock(&o->lock[j]);
			spin_unlock(&o->lock[j]);
		}
		if (!(i % 4096))
			cond_resched();
	}
	pr_info("lockalias-fill: %zu objects, %zu locks of %zu bytes; done\n",
		i, i * 8, sizeof(spinlock_t));
	pr_info("lockalias-fill: done\n");
	return 0;
}
module_init(fill_init);
MODULE_LICENSE("GPL");
