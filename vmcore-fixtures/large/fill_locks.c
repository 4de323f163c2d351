// SPDX-License-Identifier: GPL-2.0
/*
 * For `make -C vmcore-fixtures large` (benchmarks only, never committed):
 * fills MB MiB of slab memory with spinlocks from one init site (one lock
 * class), each taken once so its class_cache[0] is set, then prints
 * "lockalias-fill: done". It runs before the scenario module, whose seed
 * splat turns lockdep off (locks taken after it cache no class).
 *
 * BALLAST_MB (default 0) then allocates that many MiB of pages from the
 * page allocator and keeps them (never freed, so `makedumpfile -d 31`
 * dumps them): the scaling benchmark's way of making the dumped pages grow
 * with the guest's memory. Each 64-byte line holds two values shaped like
 * direct-map pointers and two small integers from an LCG, zeros elsewhere:
 * words a pointer search has to look at, and pages that compress
 * moderately (neither all zero nor random).
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

static int mb = 64;
module_param(mb, int, 0444);
static int ballast_mb;
module_param(ballast_mb, int, 0444);

struct fill_obj {
	spinlock_t lock[8];
};

#define BALLAST_ORDER 4		/* 64 KiB blocks; order 0 when those run out */
#define DIRECT_MAP 0xffff888000000000ULL

static u64 ballast_fill(void *addr, size_t len, u64 x)
{
	u64 *w = addr, *end = w + len / sizeof(*w);

	for (; w < end; w += 8) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		w[0] = DIRECT_MAP | ((x >> 28) & 0xfffffff8ULL);
		w[1] = (x >> 8) & 0xff;
		w[2] = 0;
		w[3] = 0;
		w[4] = DIRECT_MAP | ((x >> 4) & 0x3fffffc0ULL);
		w[5] = (x >> 16) & 0xffff;
		w[6] = 0;
		w[7] = 0;
	}
	return x;
}

static void ballast(void)
{
	u64 want = (u64)ballast_mb << (20 - PAGE_SHIFT), got = 0, x = 0x6c6f636b616c6961ULL;
	unsigned int order = BALLAST_ORDER, i;

	while (got < want) {
		struct page *page;

		if (want - got < (1U << order))
			order = 0;
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, order);
		if (!page) {
			if (order) {
				order = 0;
				continue;
			}
			break;
		}
		for (i = 0; i < (1U << order); i++)
			x = ballast_fill(page_address(page + i), PAGE_SIZE, x);
		got += 1U << order;
		if (!(got & ((1U << (30 - PAGE_SHIFT)) - 1)))
			pr_info("lockalias-fill: ballast %llu MiB\n", got >> (20 - PAGE_SHIFT));
		cond_resched();
	}
	pr_info("lockalias-fill: ballast %llu of %d MiB (%llu pages) kept\n",
		got >> (20 - PAGE_SHIFT), ballast_mb, got);
}

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
	if (ballast_mb > 0)
		ballast();
	pr_info("lockalias-fill: done\n");
	return 0;
}
module_init(fill_init);
MODULE_LICENSE("GPL");
