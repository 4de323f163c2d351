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
 * The uncached line (slot=-) ends with what lockdep would use when the map
 * is first taken:
 *
 *   would_class=ADDR|- would_name="..." would_wait=O:I
 *   latent=alias-wait|alias-name|clean|none
 *
 * from a probe (probe_class()): a copy of the map with an empty class_cache[]
 * is acquired and released while lockdep is on, and the class lockdep's own
 * look_up_lock_class()/register_lock_class() put in its class_cache[0] is
 * the answer; latent is verdict_of() the map against it, none when there is
 * no class (would_class=- would_name="-" would_wait=0:0): the map was not
 * probed (no class exists for its key, or lockdep never looks one up).
 *
 * Waits are the raw u8 fields (wait_type_outer:wait_type_inner). The verdict
 * compares the *effective* wait types (outer ?: inner, inner), as
 * check_wait_context() and the splat's {O:I} do, then the name strings.
 *
 * Scenarios run in this order: wait-static, name-static, subclass1,
 * slab-alias, slab-clean, held-novalidate, clean, latent (latent-novalidate,
 * latent-wait, latent-name, latent-noclass, latent-clean), [notrack,] freed,
 * seed.
 *
 * The freed scenario prints no GT line (its maps are no locks) but one
 * line per freed object:
 *
 * lockalias-gt: freed scenario=freed-ctor|freed-kmalloc map=ADDR object=ADDR
 *   cache=NAME
 * The seed scenario triggers "BUG: Invalid wait context", which turns lockdep
 * off: it must stay last (and every probe must run before it).  notrack
 * exists only where lockdep_set_notrack_class() does (6.11+); its GT line
 * carries " notrack=1".
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
 * What lockdep would cache in class_cache[0] when M is first taken (subclass
 * 0), asked of lockdep itself: acquire and release a copy of M with an empty
 * class_cache[] and read what register_lock_class() stored in the copy
 * (look_up_lock_class() matches key+subclass only, never name or wait
 * types).  Only for a map whose key already has a class: otherwise the probe
 * would register one.  Lockdep must be on (before the seed splat).  The copy
 * is wiped, so that no second map with M's name and key stays in memory.
 */
static struct lock_class *probe_class(const struct lockdep_map *m)
{
	struct lockdep_map probe = *m;
	struct lock_class *c;
	int i;

	for (i = 0; i < NR_LOCKDEP_CACHING_CLASSES; i++)
		probe.class_cache[i] = NULL;
	lock_map_acquire(&probe);
	lock_map_release(&probe);
	c = READ_ONCE(probe.class_cache[0]);
	memzero_explicit(&probe, sizeof(probe));
	if (!c)
		pr_err("lockalias-gt: error probe map=%px name=\"%s\" cached no class (debug_locks=%d)\n",
		       m, m->name ? m->name : "(null)", debug_locks);
	return c;
}

/*
 * Print the GT lines of one map.  owner: the map known to have registered the
 * class (NULL: not known).  extra: appended verbatim (" pid=.. comm=..").
 * would: probe_class() of the map, for its uncached line (NULL: latent=none).
 */
static int gt_map_would(const char *scen, struct lockdep_map *m,
			const void *lock, const char *lock_type,
			const char *where, const struct lockdep_map *owner,
			const char *extra, const struct lock_class *would)
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
	if (n)
		return n;

	if (would)
		snprintf(own, sizeof(own), "%px", would);
	else
		strscpy(own, "-", sizeof(own));
	pr_info("lockalias-gt: scenario=%s map=%px lock=%px lock_type=%s where=%s slot=- map_name=\"%s\" map_key=%px map_wait=%u:%u class=%px class_name=\"-\" class_key=%px class_subclass=0 class_wait=0:0 verdict=uncached owner=-%s would_class=%s would_name=\"%s\" would_wait=%u:%u latent=%s\n",
		scen, m, lock, lock_type, where,
		m->name ? m->name : "(null)", m->key,
		m->wait_type_outer, m->wait_type_inner,
		NULL, NULL, extra, own,
		would ? (would->name ? would->name : "(null)") : "-",
		would ? would->wait_type_outer : 0,
		would ? would->wait_type_inner : 0,
		would ? verdict_of(m, would) : "none");
	return 0;
}

static int gt_map(const char *scen, struct lockdep_map *m, const void *lock,
		  const char *lock_type, const char *where,
		  const struct lockdep_map *owner, const char *extra)
{
	return gt_map_would(scen, m, lock, lock_type, where, owner, extra, NULL);
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

/*
 * g. latent: locks never taken (class_cache[] empty) whose key already has a
 * class that another lock registered.  Their first acquire would be
 * validated as that class; the GT line says which (probe_class()).  Must run
 * before the seed splat turns lockdep off.
 */
/* latent-novalidate: the no-validate key's class, registered during boot */
static DEFINE_SPINLOCK(latent_nv_spin);

/* latent-wait: the key's class is a mutex's */
static struct lock_class_key lw_key;
static DEFINE_MUTEX(lw_mutex);
static DEFINE_SPINLOCK(lw_spin);

/* latent-name: same wait types, the key's class has another name */
static struct lock_class_key ln_key;
static DEFINE_SPINLOCK(ln_taken);
static DEFINE_SPINLOCK(ln_untaken);

/* latent-noclass (control): a fresh key nobody took, no class at all */
static struct lock_class_key lnc_key;
static DEFINE_SPINLOCK(lnc_spin);

/* latent-clean (control): one init site, only the first object taken */
#define LATENT_CLEAN_N 2
static struct slab_obj *lc_objs[LATENT_CLEAN_N];

static void scen_latent(void)
{
	struct lock_class *c;
	int i;

	lockdep_set_novalidate_class(&latent_nv_spin);
	c = probe_class(&latent_nv_spin.dep_map);
	gt_map_would("latent-novalidate", &latent_nv_spin.dep_map,
		     &latent_nv_spin, "spinlock_t", "static", NULL, NULL, c);

	lockdep_set_class_and_name(&lw_mutex, &lw_key, "latent_wait_mutex");
	lockdep_set_class_and_name(&lw_spin, &lw_key, "latent_wait_spin");
	mutex_lock(&lw_mutex);
	mutex_unlock(&lw_mutex);
	gt_map("latent-wait", &lw_mutex.dep_map, &lw_mutex, "struct mutex",
	       "static", &lw_mutex.dep_map, NULL);
	c = probe_class(&lw_spin.dep_map);
	gt_map_would("latent-wait", &lw_spin.dep_map, &lw_spin, "spinlock_t",
		     "static", NULL, NULL, c);

	lockdep_set_class_and_name(&ln_taken, &ln_key, "latent_name_taken");
	lockdep_set_class_and_name(&ln_untaken, &ln_key, "latent_name_untaken");
	spin_lock(&ln_taken);
	spin_unlock(&ln_taken);
	gt_map("latent-name", &ln_taken.dep_map, &ln_taken, "spinlock_t",
	       "static", &ln_taken.dep_map, NULL);
	c = probe_class(&ln_untaken.dep_map);
	gt_map_would("latent-name", &ln_untaken.dep_map, &ln_untaken,
		     "spinlock_t", "static", NULL, NULL, c);

	/* no probe: it would register the very class that must not exist */
	lockdep_set_class_and_name(&lnc_spin, &lnc_key, "latent_noclass_spin");
	gt_map_would("latent-noclass", &lnc_spin.dep_map, &lnc_spin,
		     "spinlock_t", "static", NULL, NULL, NULL);

	for (i = 0; i < LATENT_CLEAN_N; i++) {
		struct slab_obj *p = kzalloc(sizeof(*p), GFP_KERNEL);

		if (!p) {
			pr_err("lockalias-gt: error scenario=latent-clean kzalloc failed\n");
			return;
		}
		p->cookie = 0x4c4154454e540000UL + i;
		spin_lock_init(&p->lock);	/* one init site: one key, one name */
		lc_objs[i] = p;
	}
	spin_lock(&lc_objs[0]->lock);
	spin_unlock(&lc_objs[0]->lock);
	gt_map("latent-clean", &lc_objs[0]->lock.dep_map, &lc_objs[0]->lock,
	       "spinlock_t", "slab", &lc_objs[0]->lock.dep_map, NULL);
	for (i = 1; i < LATENT_CLEAN_N; i++) {
		c = probe_class(&lc_objs[i]->lock.dep_map);
		gt_map_would("latent-clean", &lc_objs[i]->lock.dep_map,
			     &lc_objs[i]->lock, "spinlock_t", "slab", NULL,
			     NULL, c);
	}
}

#ifdef lockdep_set_notrack_class
/*
 * h. notrack: 1a616c2fe96b "lockdep: lockdep_set_notrack_class()" (v6.11,
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

/* i. seed: the imq-style no-validate txq locks; splats, lockdep goes off. */
/*
 * freed: a lock in a slab object that has been freed is no lock, though its
 * memory may still hold the whole lockdep_map. Each lock is made a wait
 * alias of "&dev->mutex" (the no-validate class), taken, and its object
 * freed: one from a cache with a constructor (SLUB then neither poisons the
 * object nor keeps its free pointer inside it, so the map survives even
 * under slub_debug), one from kmalloc (it survives unless slub_debug
 * poisons it, and SLUB's free pointer lies mid-object). The cache stays:
 * the module is never unloaded.
 */
struct freed_obj {
	spinlock_t lock;
	unsigned long pad[12];
};

static struct kmem_cache *freed_cache;

static void freed_ctor(void *p)
{
}

static void freed_one(const char *scen, struct freed_obj *o, const char *cache)
{
	spin_lock_init(&o->lock);
	lockdep_set_novalidate_class(&o->lock);
	spin_lock(&o->lock);
	spin_unlock(&o->lock);
	pr_info("lockalias-gt: freed scenario=%s map=%px object=%px cache=%s\n",
		scen, &o->lock.dep_map, o, cache);
}

static void scen_freed(void)
{
	struct freed_obj *a, *b;

	freed_cache = kmem_cache_create("lockalias_freed", sizeof(struct freed_obj),
					0, 0, freed_ctor);
	a = freed_cache ? kmem_cache_alloc(freed_cache, GFP_KERNEL) : NULL;
	b = kmalloc(sizeof(*b), GFP_KERNEL);
	if (!a || !b) {
		pr_err("lockalias-gt: error scenario=freed allocation failed\n");
		return;
	}
	freed_one("freed-ctor", a, "lockalias_freed");
	freed_one("freed-kmalloc", b, "kmalloc");
	kmem_cache_free(freed_cache, a);
	kfree(b);
}

static netdev_tx_t seed_xmit(struct sk_buff *skb, struct net_device *dev)
{
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops seed_ops = {
	.ndo_start_xmit = seed_xmit,
};

static struct net_device *seed_dev;
#define SEED_QUEUES 4
static struct lock_class *seed_would[SEED_QUEUES];

static void scen_seed(void)
{
	struct net_device *dev;
	unsigned int i;
	int err;

	dev = alloc_etherdev_mqs(0, SEED_QUEUES, 1);
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
		/* before the splat: queues 1.. stay untaken (latent) */
		if (i < SEED_QUEUES)
			seed_would[i] = probe_class(&txq->_xmit_lock.dep_map);
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

		gt_map_would("seed", &txq->_xmit_lock.dep_map, &txq->_xmit_lock,
			     "spinlock_t", "netdev", NULL, NULL,
			     i < SEED_QUEUES ? seed_would[i] : NULL);
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
	scen_latent();
	scen_notrack();
	scen_freed();
	scen_seed();
	pr_info("lockalias-gt: done\n");
	return 0;
}
module_init(lockalias_scenarios_init);
/* no module_exit: the module (and its locks) stay for the dump */
