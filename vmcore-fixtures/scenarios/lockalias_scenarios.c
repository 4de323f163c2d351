// SPDX-License-Identifier: GPL-2.0
/*
 * lockalias_scenarios: builds lock-class aliasing situations for the
 * lockalias crash extension fixtures, and prints the kernel's own view of
 * every lockdep_map involved ("GT" = ground truth lines, parsed by
 * vmcore-fixtures/scripts/parse_gt.py).
 *
 * GT line (one per map per cached class_cache[] slot; exactly one line with
 * slot=- verdict=uncached when no slot is cached):
 *
 * lockalias-gt: scenario=NAME map=ADDR lock=ADDR lock_type=TYPE
 *   where=static|slab|netdev slot=N map_name="..." map_key=ADDR map_wait=O:I
 *   class=ADDR class_name="..." class_key=ADDR class_subclass=N class_wait=O:I
 *   verdict=alias-wait|alias-name|clean|uncached owner=ADDR|-
 *   [pid=N comm=S task=ADDR]   (held-novalidate only: the kthread holding it)
 *
 * Waits are the raw u8 fields (wait_type_outer:wait_type_inner). The verdict
 * compares the *effective* wait types (outer ?: inner, inner), as
 * check_wait_context() and the splat's {O:I} do, then the name strings.
 *
 * Scenarios run in this order: wait-static, name-static, subclass1,
 * slab-alias, slab-clean, held-novalidate, clean, [notrack,] seed.  The seed
 * scenario triggers "BUG: Invalid wait context", which turns lockdep off: it
 * must stay last.  notrack exists only where lockdep_set_notrack_class() does
 * (6.11+); its GT line carries " notrack=1".
 *
 * One source for every fixture kernel (5.10, 6.1, 6.12, 7.2): API
 * differences are #if branches below, each naming the change.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/spinlock.h>
#include <linux/rwlock.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/lockdep.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/sched.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/version.h>

#ifndef CONFIG_LOCKDEP
#error "lockalias_scenarios needs a kernel with CONFIG_LOCKDEP (PROVE_LOCKING)"
#endif

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lock-class aliasing scenarios with ground-truth output");

static u8 eff_outer(u8 outer, u8 inner)
{
	return outer ? outer : inner;
}

static const char *verdict_of(const struct lockdep_map *m,
			      const struct lock_class *c)
{
	if (eff_outer(m->wait_type_outer, m->wait_type_inner) !=
		    eff_outer(c->wait_type_outer, c->wait_type_inner) ||
	    m->wait_type_inner != c->wait_type_inner)
		return "alias-wait";
	if (strcmp(m->name ? m->name : "", c->name ? c->name : ""))
		return "alias-name";
	return "clean";
}

/*
 * Print the GT lines of one map.  owner: the map known to have registered the
 * class (NULL: not known).  extra: appended verbatim (" pid=.. comm=..").
 */
static int gt_map(const char *scen, struct lockdep_map *m, const void *lock,
		  const char *lock_type, const char *where,
		  const struct lockdep_map *owner, const char *extra)
{
	char own[24];
	int i, n = 0;

	if (owner)
		snprintf(own, sizeof(own), "%px", owner);
	else
		strscpy(own, "-", sizeof(own));
	if (!extra)
		extra = "";

	for (i = 0; i < NR_LOCKDEP_CACHING_CLASSES; i++) {
		struct lock_class *c = READ_ONCE(m->class_cache[i]);

		if (!c)
			continue;
		n++;
		pr_info("lockalias-gt: scenario=%s map=%px lock=%px lock_type=%s where=%s slot=%d map_name=\"%s\" map_key=%px map_wait=%u:%u class=%px class_name=\"%s\" class_key=%px class_subclass=%u class_wait=%u:%u verdict=%s owner=%s%s\n",
			scen, m, lock, lock_type, where, i,
			m->name ? m->name : "(null)", m->key,
			m->wait_type_outer, m->wait_type_inner,
			c, c->name ? c->name : "(null)", c->key, c->subclass,
			c->wait_type_outer, c->wait_type_inner,
			verdict_of(m, c), own, extra);
	}
	if (!n)
		pr_info("lockalias-gt: scenario=%s map=%px lock=%px lock_type=%s where=%s slot=- map_name=\"%s\" map_key=%px map_wait=%u:%u class=%px class_name=\"-\" class_key=%px class_subclass=0 class_wait=0:0 verdict=uncached owner=-%s\n",
			scen, m, lock, lock_type, where,
			m->name ? m->name : "(null)", m->key,
			m->wait_type_outer, m->wait_type_inner,
			NULL, NULL, extra);
	return n;
}

/* a. wait-static: a spinlock validated with a mutex's class. */
static struct lock_class_key ws_key;
static DEFINE_MUTEX(ws_mutex);
static DEFINE_SPINLOCK(ws_spin);

static void scen_wait_static(void)
{
	lockdep_set_class_and_name(&ws_mutex, &ws_key, "wait_static_mutex");
	lockdep_set_class_and_name(&ws_spin, &ws_key, "wait_static_spin");

	mutex_lock(&ws_mutex);
	mutex_unlock(&ws_mutex);
	gt_map("wait-static", &ws_mutex.dep_map, &ws_mutex, "struct mutex",
	       "static", &ws_mutex.dep_map, NULL);

	/* lockdep's one-time "found a different class" WARN fires here */
	spin_lock(&ws_spin);
	spin_unlock(&ws_spin);
	gt_map("wait-static", &ws_spin.dep_map, &ws_spin, "spinlock_t",
	       "static", &ws_mutex.dep_map, NULL);
}

/* b. name-static: two spinlocks, one key, two names. */
static struct lock_class_key ns_key;
static DEFINE_SPINLOCK(ns_a);
static DEFINE_SPINLOCK(ns_b);

static void scen_name_static(void)
{
	lockdep_set_class_and_name(&ns_a, &ns_key, "name_static_a");
	lockdep_set_class_and_name(&ns_b, &ns_key, "name_static_b");

	spin_lock(&ns_a);
	spin_unlock(&ns_a);
	gt_map("name-static", &ns_a.dep_map, &ns_a, "spinlock_t", "static",
	       &ns_a.dep_map, NULL);

	spin_lock(&ns_b);
	spin_unlock(&ns_b);
	gt_map("name-static", &ns_b.dep_map, &ns_b, "spinlock_t", "static",
	       &ns_a.dep_map, NULL);
}

/* c. subclass1: alias only in class_cache[1]. */
static struct lock_class_key sc_key;
static DEFINE_SPINLOCK(sc_a);
static DEFINE_SPINLOCK(sc_b);

static void scen_subclass1(void)
{
	lockdep_set_class_and_name(&sc_a, &sc_key, "subclass1_a");
	lockdep_set_class_and_name(&sc_b, &sc_key, "subclass1_b");

	spin_lock_nested(&sc_a, 1);
	spin_unlock(&sc_a);
	gt_map("subclass1", &sc_a.dep_map, &sc_a, "spinlock_t", "static",
	       &sc_a.dep_map, NULL);

	spin_lock_nested(&sc_b, 1);
	spin_unlock(&sc_b);
	gt_map("subclass1", &sc_b.dep_map, &sc_b, "spinlock_t", "static",
	       &sc_a.dep_map, NULL);
}

/* d. slab-alias and slab-clean. */
struct slab_obj {
	unsigned long cookie;
	spinlock_t lock;
	unsigned long pad[2];
};

static struct lock_class_key sa_key;
static DEFINE_SPINLOCK(sa_static);
static struct slab_obj *sa_obj;

#define SLAB_CLEAN_N 3000
static struct slab_obj *sc_objs[SLAB_CLEAN_N];

static void scen_slab(void)
{
	struct lock_class *c0 = NULL;
	int i, n, cached = 0, same = 0, clean = 0;

	sa_obj = kzalloc(sizeof(*sa_obj), GFP_KERNEL);
	if (!sa_obj) {
		pr_err("lockalias-gt: error scenario=slab-alias kzalloc failed\n");
		return;
	}
	sa_obj->cookie = 0x5a5a5a5a11a5a11aUL;
	spin_lock_init(&sa_obj->lock);
	lockdep_set_class_and_name(&sa_static, &sa_key, "slab_alias_static");
	lockdep_set_class_and_name(&sa_obj->lock, &sa_key, "slab_alias_obj");

	spin_lock(&sa_static);
	spin_unlock(&sa_static);
	gt_map("slab-alias", &sa_static.dep_map, &sa_static, "spinlock_t",
	       "static", &sa_static.dep_map, NULL);

	spin_lock(&sa_obj->lock);
	spin_unlock(&sa_obj->lock);
	gt_map("slab-alias", &sa_obj->lock.dep_map, &sa_obj->lock,
	       "spinlock_t", "slab", &sa_static.dep_map, NULL);

	for (n = 0; n < SLAB_CLEAN_N; n++) {
		struct slab_obj *o = kzalloc(sizeof(*o), GFP_KERNEL);

		if (!o)
			break;
		o->cookie = n;
		spin_lock_init(&o->lock);	/* one init site: one key */
		spin_lock(&o->lock);
		spin_unlock(&o->lock);
		sc_objs[n] = o;
	}
	if (n)
		c0 = sc_objs[0]->lock.dep_map.class_cache[0];
	for (i = 0; i < n; i++) {
		struct lockdep_map *m = &sc_objs[i]->lock.dep_map;
		struct lock_class *c = m->class_cache[0];

		if (c)
			cached++;
		if (c && c == c0)
			same++;
		if (c && !strcmp(verdict_of(m, c), "clean"))
			clean++;
		if (i < 3 || i == n - 1)
			gt_map("slab-clean", m, &sc_objs[i]->lock, "spinlock_t",
			       "slab", &sc_objs[0]->lock.dep_map, NULL);
	}
	pr_info("lockalias-gt: count scenario=slab-clean objects=%d cached=%d same_class=%d clean=%d class=%px\n",
		n, cached, same, clean, c0);
}

/* e. held-novalidate: a kthread sleeping forever with a no-validate mutex. */
struct held_obj {
	unsigned long cookie;
	struct mutex mutex;
};

static DECLARE_COMPLETION(held_ready);
static struct held_obj *held;

static int held_fn(void *unused)
{
	char extra[96];
	struct held_obj *obj = kzalloc(sizeof(*obj), GFP_KERNEL);

	if (!obj) {
		pr_err("lockalias-gt: error scenario=held-novalidate kzalloc failed\n");
		complete(&held_ready);
		return -ENOMEM;
	}
	obj->cookie = 0x4e4f56414c494441UL;
	mutex_init(&obj->mutex);
	lockdep_set_novalidate_class(&obj->mutex);
	mutex_lock(&obj->mutex);
	held = obj;
	snprintf(extra, sizeof(extra), " pid=%d comm=%s task=%px",
		 task_pid_nr(current), current->comm, current);
	gt_map("held-novalidate", &obj->mutex.dep_map, &obj->mutex,
	       "struct mutex", "slab", NULL, extra);
	complete(&held_ready);

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	mutex_unlock(&obj->mutex);
	return 0;
}

static void scen_held_novalidate(void)
{
	struct task_struct *t = kthread_run(held_fn, NULL, "lockalias_held");

	if (IS_ERR(t)) {
		pr_err("lockalias-gt: error scenario=held-novalidate kthread_run failed\n");
		return;
	}
	wait_for_completion(&held_ready);
}

/* f. clean: controls with their own (static-object) keys. */
static DEFINE_SPINLOCK(clean_spin);
static DEFINE_MUTEX(clean_mutex);
static DEFINE_RWLOCK(clean_rwlock);
static DECLARE_RWSEM(clean_rwsem);
static DEFINE_RAW_SPINLOCK(clean_raw);

static void scen_clean(void)
{
	spin_lock(&clean_spin);
	spin_unlock(&clean_spin);
	gt_map("clean", &clean_spin.dep_map, &clean_spin, "spinlock_t",
	       "static", &clean_spin.dep_map, NULL);

	mutex_lock(&clean_mutex);
	mutex_unlock(&clean_mutex);
	gt_map("clean", &clean_mutex.dep_map, &clean_mutex, "struct mutex",
	       "static", &clean_mutex.dep_map, NULL);

	write_lock(&clean_rwlock);
	write_unlock(&clean_rwlock);
	gt_map("clean", &clean_rwlock.dep_map, &clean_rwlock, "rwlock_t",
	       "static", &clean_rwlock.dep_map, NULL);

	down_write(&clean_rwsem);
	up_write(&clean_rwsem);
	gt_map("clean", &clean_rwsem.dep_map, &clean_rwsem,
	       "struct rw_semaphore", "static", &clean_rwsem.dep_map, NULL);

	raw_spin_lock(&clean_raw);
	raw_spin_unlock(&clean_raw);
	gt_map("clean", &clean_raw.dep_map, &clean_raw, "raw_spinlock_t",
	       "static", &clean_raw.dep_map, NULL);
}

#ifdef lockdep_set_notrack_class
/*
 * g. notrack: 1a616c2fe96b "lockdep: lockdep_set_notrack_class()" (v6.11,
 * for bcachefs) added the __lockdep_no_track__ key; lock_acquire() and
 * lock_release() return before any class look-up, so class_cache[] stays
 * empty for good: uncached, and no held_locks[] entry while it is held.
 * (A macro: #ifdef also catches a stable backport.)
 */
static DEFINE_SPINLOCK(nt_spin);

static void scen_notrack(void)
{
	lockdep_set_notrack_class(&nt_spin);
	spin_lock(&nt_spin);
	spin_unlock(&nt_spin);
	gt_map("notrack", &nt_spin.dep_map, &nt_spin, "spinlock_t", "static",
	       NULL, " notrack=1");
}
#else
static void scen_notrack(void) { }
#endif

/* h. seed: the imq-style no-validate txq locks; splats, lockdep goes off. */
static netdev_tx_t seed_xmit(struct sk_buff *skb, struct net_device *dev)
{
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops seed_ops = {
	.ndo_start_xmit = seed_xmit,
};

static struct net_device *seed_dev;

static void scen_seed(void)
{
	struct net_device *dev;
	unsigned int i;
	int err;

	dev = alloc_etherdev_mqs(0, 4, 1);
	if (!dev) {
		pr_err("lockalias-gt: error scenario=seed alloc_etherdev_mqs failed\n");
		return;
	}
	dev->netdev_ops = &seed_ops;
	dev->flags |= IFF_NOARP;
	eth_hw_addr_random(dev);
	err = register_netdev(dev);
	if (err) {
		pr_err("lockalias-gt: error scenario=seed register_netdev=%d\n", err);
		free_netdev(dev);
		return;
	}
	seed_dev = dev;
	for (i = 0; i < dev->num_tx_queues; i++) {
		struct netdev_queue *txq = netdev_get_tx_queue(dev, i);

		lockdep_set_novalidate_class(&txq->_xmit_lock);
	}

	rtnl_lock();
	err = dev_open(dev, NULL);
	if (err)
		pr_err("lockalias-gt: error scenario=seed dev_open=%d\n", err);
	dev_close(dev);
	rtnl_unlock();

	pr_info("lockalias-gt: info scenario=seed dev=%s num_tx_queues=%u debug_locks=%d\n",
		dev->name, dev->num_tx_queues, debug_locks);
	for (i = 0; i < dev->num_tx_queues; i++) {
		struct netdev_queue *txq = netdev_get_tx_queue(dev, i);

		gt_map("seed", &txq->_xmit_lock.dep_map, &txq->_xmit_lock,
		       "spinlock_t", "netdev", NULL, NULL);
	}
	gt_map("seed", &dev->tx_global_lock.dep_map, &dev->tx_global_lock,
	       "spinlock_t", "netdev", NULL, NULL);
}

static int __init lockalias_scenarios_init(void)
{
	pr_info("lockalias-gt: start debug_locks=%d\n", debug_locks);
	scen_wait_static();
	scen_name_static();
	scen_subclass1();
	scen_slab();
	scen_held_novalidate();
	scen_clean();
	scen_notrack();
	scen_seed();
	pr_info("lockalias-gt: done\n");
	return 0;
}
module_init(lockalias_scenarios_init);
/* no module_exit: the module (and its locks) stay for the dump */
