// The log parser on real lockdep report texts: the seed's (syslog-prefixed,
// 6.1), circular-dependency reports from public bug trackers (5.6 without
// wait types, 5.10 with them, 4.5 without addresses), and damaged logs.
#include <gtest/gtest.h>

#include <ostream>

#include "analysis/log_parser.h"

namespace lockalias {

// Readable gtest failure messages for the enums (found by ADL).
static void PrintTo(ReportKind k, std::ostream* os) { *os << report_kind_name(k); }
static void PrintTo(LockRole r, std::ostream* os) {
    LoggedLock l;
    l.role = r;
    *os << role_text(l);
}

namespace {

// From the seed write-up (6.1, syslog format).
const char* kSeed = R"(May 13 15:16:32 kern.warn kernel: [ 1880.242388] =============================
May 13 15:16:32 kern.warn kernel: [ 1880.242429] [ BUG: Invalid wait context ]
May 13 15:16:32 kern.warn kernel: [ 1880.242469] 6.1 #3 Tainted: G           O      
May 13 15:16:32 kern.warn kernel: [ 1880.242517] -----------------------------
May 13 15:16:32 kern.warn kernel: [ 1880.242557] tc/6787 is trying to lock:
May 13 15:16:32 kern.warn kernel: [ 1880.242595] ffff888100e66298 (&dev->mutex){....}-{3:3}, at: netif_freeze_queues+0x4b/0x90
May 13 15:16:32 kern.warn kernel: [ 1880.242677] other info that might help us debug this:
May 13 15:16:32 kern.warn kernel: [ 1880.242724] context-{4:4}
May 13 15:16:32 kern.warn kernel: [ 1880.242754] 2 locks held by tc/6787:
May 13 15:16:32 kern.warn kernel: [ 1880.242792]  #0: ffffffff81a42e08 (rtnl_mutex){+.+.}-{3:3}, at: rtnetlink_rcv_msg+0x153/0x5b0
May 13 15:16:32 kern.warn kernel: [ 1880.242874]  #1: ffff888100ef1438 (&dev->tx_global_lock){+.-.}-{2:2}, at: dev_deactivate_many+0xbb/0x410
May 13 15:16:32 kern.warn kernel: [ 1880.242962] stack backtrace:
May 13 15:16:32 kern.warn kernel: [ 1880.242996] CPU: 0 PID: 6787 Comm: tc Kdump: loaded Tainted: G           O       6.1 #3
)";

// bcachefs issue 187 (5.10): circular dependency with wait types.
const char* kCircular510 = R"([ 1028.365890] ======================================================
[ 1028.366165] WARNING: possible circular locking dependency detected
[ 1028.366348] 5.10.0-00479-g1c1358a0a606 #87 Tainted: G                T
[ 1028.366620] ------------------------------------------------------
[ 1028.366838] kswapd0/79 is trying to acquire lock:
[ 1028.367052] ffff8b1654603e08 (&c->mark_lock){++++}-{0:0}, at: bch2_clear_page_bits+0x12a/0x140 [bcachefs]
[ 1028.367385]
               but task is already holding lock:
[ 1028.367676] ffffffffba151dc0 (fs_reclaim){+.+.}-{0:0}, at: __fs_reclaim_acquire+0x5/0x30
[ 1028.368052]
               which lock already depends on the new lock.

[ 1028.368440]
               the existing dependency chain (in reverse order) is:
[ 1028.368711]
               -> #1 (fs_reclaim){+.+.}-{0:0}:
[ 1028.368992]        lock_acquire+0xbd/0x370
)";

// bcachefs issue 112 (5.6): no wait types yet.
const char* kCircular56 = R"([ 1334.986239] ======================================================
[ 1334.986490] WARNING: possible circular locking dependency detected
[ 1334.987450] kswapd0/109 is trying to acquire lock:
[ 1334.988014] ffff88820660b570 (&wp->lock){+.+.}, at: bch2_alloc_sectors_start+0x22b/0x1550 [bcachefs]
[ 1334.988442]
               but task is already holding lock:
[ 1334.988837] ffffffff8f145060 (fs_reclaim){+.+.}, at: __fs_reclaim_acquire+0x5/0x30
)";

// ceph teuthology (4.5): "[ INFO: ... ]" title, no instance addresses.
const char* kOld45 = R"(2016-03-26T20:52:22.526357+00:00 mira108 kernel: ======================================================
2016-03-26T20:52:22.526425+00:00 mira108 kernel: [ INFO: possible circular locking dependency detected ]
2016-03-26T20:52:22.526661+00:00 mira108 kernel: tp_fstore_op/28134 is trying to acquire lock:
2016-03-26T20:52:22.526779+00:00 mira108 kernel: (&sb->s_type->i_mutex_key#19){+.+.+.}, at: [<ffffffffa04b609d>] xfs_file_buffered_aio_write+0x6d/0x320 [xfs]
)";

// bore-scheduler issue 59 (6.13.1): recursive locking, with a held-lock list.
const char* kRecursive613 = R"([    0.702413] ============================================
[    0.702419] WARNING: possible recursive locking detected
[    0.702426] 6.13.1-gsX #1 Not tainted
[    0.702430] --------------------------------------------
[    0.702436] init/1 is trying to acquire lock:
[    0.702441] ffff8881001f1cb0 (&p->se.child_burst.lock){+.+.}-{3:3}, at: update_child_burst_topological+0xcc/0x210
[    0.702458] 
               but task is already holding lock:
[    0.702463] ffffffff83012730 (&p->se.child_burst.lock){+.+.}-{3:3}, at: sched_clone_bore+0x245/0x520
[    0.702476] 
               other info that might help us debug this:
[    0.702481]  Possible unsafe locking scenario:

[    0.702486]        CPU0
[    0.702489]        ----
[    0.702493]   lock(&p->se.child_burst.lock);
[    0.702498]   lock(&p->se.child_burst.lock);
[    0.702503] 
                *** DEADLOCK ***

[    0.702507]  May be due to missing lock nesting notation

[    0.702513] 3 locks held by init/1:
[    0.702518]  #0: ffffffff831723b0 (cgroup_threadgroup_rwsem){.+.+}-{0:0}, at: copy_process+0x1/0x2
[    0.702530] stack backtrace:
)";

// sched_ext PR 110 (6.6): circular dependency, wait types {0:0}.
const char* kCircular66 = R"([    9.378773] ======================================================
[    9.379476] WARNING: possible circular locking dependency detected
[    9.379532] 6.6.0-work-10442-ga7150a9168f8-dirty #134 Not tainted
[    9.379532] ------------------------------------------------------
[    9.379532] scx_rustland/1622 is trying to acquire lock:
[    9.379532] ffffffff8325f828 (cpu_hotplug_lock){++++}-{0:0}, at: bpf_scx_reg+0xe4/0xcf0
[    9.379532]
[    9.379532] but task is already holding lock:
[    9.379532] ffffffff83271be8 (scx_cgroup_rwsem){++++}-{0:0}, at: bpf_scx_reg+0xdf/0xcf0
[    9.379532]
[    9.379532] which lock already depends on the new lock.
)";

// Requiem4Eternity/Appstream issue 101 (5.0): hashed %p pointers.
const char* kHashed50 = R"(Jun 11 11:02:51 k8snode228 kernel: ============================================
Jun 11 11:02:51 k8snode228 kernel: WARNING: possible recursive locking detected
Jun 11 11:02:51 k8snode228 kernel: sdcard/149325 is trying to acquire lock:
Jun 11 11:02:51 k8snode228 kernel: 0000000035ba3d0e (&type->i_mutex_dir_key#11){++++}, at: fuse_reverse_inval_entry+0x104/0x1e0
)";

TEST(LogParser, Recursive613WithHeldList) {
    auto r = parse_lockdep_reports(kRecursive613);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].kind, ReportKind::Recursive);
    EXPECT_EQ(r[0].task, "init/1");
    ASSERT_EQ(r[0].locks.size(), 3u);
    EXPECT_EQ(r[0].locks[0].role, LockRole::Trying);
    EXPECT_EQ(r[0].locks[1].role, LockRole::Held);
    EXPECT_EQ(r[0].locks[1].held_index, -1);
    EXPECT_EQ(r[0].locks[2].role, LockRole::Held);
    EXPECT_EQ(r[0].locks[2].held_index, 0);
    EXPECT_EQ(r[0].locks[2].printed_name, "cgroup_threadgroup_rwsem");
    EXPECT_FALSE(r[0].truncated);
}

TEST(LogParser, Circular66BlankTimestampedLines) {
    auto r = parse_lockdep_reports(kCircular66);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].task, "scx_rustland/1622");
    ASSERT_EQ(r[0].locks.size(), 2u);
    EXPECT_EQ(r[0].locks[1].role, LockRole::Held);
    EXPECT_EQ(r[0].locks[1].held_index, -1);
    EXPECT_EQ(r[0].locks[1].printed_name, "scx_cgroup_rwsem");
}

TEST(LogParser, HashedPointersParseButAreNotKernelAddresses) {
    auto r = parse_lockdep_reports(kHashed50);
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].locks.size(), 1u);
    EXPECT_EQ(r[0].locks[0].printed_name, "&type->i_mutex_dir_key#11");
    EXPECT_LT(r[0].locks[0].addr, 0xffff800000000000ULL);
}

TEST(LogParser, SeedInvalidWaitContext) {
    auto r = parse_lockdep_reports(kSeed);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].kind, ReportKind::InvalidWaitContext);
    EXPECT_EQ(r[0].task, "tc/6787");
    EXPECT_EQ(r[0].context, 4);
    EXPECT_FALSE(r[0].truncated);
    ASSERT_EQ(r[0].locks.size(), 3u);
    EXPECT_EQ(r[0].locks[0].role, LockRole::Trying);
    EXPECT_EQ(r[0].locks[0].addr, 0xffff888100e66298ULL);
    EXPECT_EQ(r[0].locks[0].printed_name, "&dev->mutex");
    EXPECT_EQ(r[0].locks[0].outer, 3);
    EXPECT_EQ(r[0].locks[0].inner, 3);
    EXPECT_EQ(r[0].locks[0].at, "netif_freeze_queues+0x4b/0x90");
    EXPECT_EQ(r[0].locks[1].role, LockRole::Held);
    EXPECT_EQ(r[0].locks[1].held_index, 0);
    EXPECT_EQ(r[0].locks[2].role, LockRole::Held);
    EXPECT_EQ(r[0].locks[2].held_index, 1);
    EXPECT_EQ(r[0].locks[2].printed_name, "&dev->tx_global_lock");
    EXPECT_EQ(r[0].locks[2].inner, 2);
}

TEST(LogParser, Circular510WithContinuationLines) {
    auto r = parse_lockdep_reports(kCircular510);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].kind, ReportKind::Circular);
    EXPECT_EQ(r[0].task, "kswapd0/79");
    ASSERT_EQ(r[0].locks.size(), 2u);  // the chain's "-> #1 (name)" has no address
    EXPECT_EQ(r[0].locks[0].role, LockRole::Trying);
    EXPECT_EQ(r[0].locks[0].printed_name, "&c->mark_lock");
    EXPECT_EQ(r[0].locks[0].at, "bch2_clear_page_bits+0x12a/0x140 [bcachefs]");
    EXPECT_EQ(r[0].locks[1].role, LockRole::Held);
    EXPECT_EQ(r[0].locks[1].held_index, -1);
    EXPECT_EQ(r[0].locks[1].addr, 0xffffffffba151dc0ULL);
    EXPECT_TRUE(r[0].truncated);  // the excerpt ends before "stack backtrace:"
}

TEST(LogParser, Circular56WithoutWaitTypes) {
    auto r = parse_lockdep_reports(kCircular56);
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].locks.size(), 2u);
    EXPECT_EQ(r[0].locks[0].outer, -1);
    EXPECT_EQ(r[0].locks[0].printed_name, "&wp->lock");
    EXPECT_EQ(r[0].locks[1].printed_name, "fs_reclaim");
}

TEST(LogParser, OldFormatWithoutAddressesStillFindsTheReport) {
    auto r = parse_lockdep_reports(kOld45);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].title, "INFO: possible circular locking dependency detected");
    EXPECT_EQ(r[0].kind, ReportKind::Circular);
    EXPECT_TRUE(r[0].locks.empty());
}

TEST(LogParser, NamesWithParentheses) {
    LoggedLock l;
    ASSERT_TRUE(parse_lock_line(
        "ffffc90000067e70 ((work_completion)(&(&w->work)->work)){+.+.}-{0:0}, at: process_one_work+0x1f0/0x5a0", l));
    EXPECT_EQ(l.printed_name, "(work_completion)(&(&w->work)->work)");
    EXPECT_EQ(l.inner, 0);
}

TEST(LogParser, ClassMismatchWarning) {
    auto r = parse_lockdep_reports(
        "[    3.760148] Looking for class \"wait_static_spin\" with key ws_key [lockalias_scenarios], "
        "but found a different class \"wait_static_mutex\" with the same key\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].kind, ReportKind::ClassMismatch);
    EXPECT_EQ(r[0].wanted_name, "wait_static_spin");
    EXPECT_EQ(r[0].found_name, "wait_static_mutex");
    EXPECT_EQ(r[0].key_text, "ws_key [lockalias_scenarios]");
}

// 5.10's form of the same check: a bare WARN_ON_ONCE, no names.
TEST(LogParser, BareLookUpLockClassWarning) {
    auto r = parse_lockdep_reports(
        "[    2.000100] ------------[ cut here ]------------\n"
        "[    2.000200] WARNING: CPU: 0 PID: 41 at kernel/locking/lockdep.c:894 look_up_lock_class+0x5a/0x120\n"
        "[    2.000300] Modules linked in: lockalias_scenarios(O+)\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].kind, ReportKind::ClassMismatch);
    EXPECT_EQ(r[0].line, 2u);
    EXPECT_EQ(r[0].task, "pid 41");
    EXPECT_TRUE(r[0].wanted_name.empty());
    EXPECT_NE(r[0].title.find("kernel/locking/lockdep.c:894"), std::string::npos);
    // Any other WARNING is not a lockdep report.
    EXPECT_TRUE(parse_lockdep_reports(
        "WARNING: CPU: 0 PID: 1 at mm/slub.c:100 kmem_cache_alloc+0x1/0x2\n").empty());
}

// 6.1+ print the names, then the same WARNING: still one report.
TEST(LogParser, NamedMismatchAndItsWarningAreOneReport) {
    auto r = parse_lockdep_reports(
        "[    4.233408] Looking for class \"wait_static_spin\" with key ws_key [lockalias_scenarios], "
        "but found a different class \"wait_static_mutex\" with the same key\n"
        "[    4.234743] WARNING: CPU: 0 PID: 42 at kernel/locking/lockdep.c:936 look_up_lock_class+0xf5/0x109\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].wanted_name, "wait_static_spin");
}

TEST(LogParser, InterleavedLinesDoNotBreakTheReport) {
    std::string log = kSeed;
    // Another CPU's message lands between the held locks.
    log.insert(log.find("May 13 15:16:32 kern.warn kernel: [ 1880.242874]"),
               "[ 1880.242800] e1000e 0000:00:19.0 eth0: NIC Link is Up\n");
    auto r = parse_lockdep_reports(log);
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].locks.size(), 3u);
    EXPECT_EQ(r[0].locks[2].role, LockRole::Held);
    EXPECT_EQ(r[0].locks[2].held_index, 1);
}

TEST(LogParser, TruncatedReportIsMarked) {
    std::string log = kSeed;
    log = log.substr(0, log.find("context-{4:4}"));
    auto r = parse_lockdep_reports(log);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].truncated);
    EXPECT_EQ(r[0].context, -1);
    ASSERT_EQ(r[0].locks.size(), 1u);
}

TEST(LogParser, HugeNumbersDoNotThrow) {
    auto r = parse_lockdep_reports(
        "[ 1.0] =====\n[ 1.0] [ BUG: Invalid wait context ]\n[ 1.0] a/1 is trying to lock:\n"
        "[ 1.0] ffff888100e66298 (x){....}-{99999999999999:3}, at: f+0x1/0x2\n"
        "[ 1.0] context-{99999999999999999999:99999999999999999999}\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].context, -1);
    ASSERT_EQ(r[0].locks.size(), 1u);
    EXPECT_EQ(r[0].locks[0].outer, -1);
}

TEST(LogParser, GenericWarnIsNotALockdepReport) {
    auto r = parse_lockdep_reports(
        "[    1.0] ------------[ cut here ]------------\n"
        "[    1.0] WARNING: CPU: 0 PID: 1 at kernel/foo.c:12 foo+0x1/0x2\n");
    EXPECT_TRUE(r.empty());
}

TEST(LogParser, StandaloneHeldLockList) {
    auto r = parse_lockdep_reports(
        "[  100.0] Showing all locks held in the system:\n"
        "[  100.0] 1 lock held by lockalias_held/40:\n"
        "[  100.0]  #0: ffff888000be88b0 (&dev->mutex){+.+.}-{3:3}, at: held_thread+0x30/0x80\n"
        "[  100.0] =============================================\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].kind, ReportKind::HeldLocks);
    EXPECT_EQ(r[0].task, "lockalias_held/40");
    ASSERT_EQ(r[0].locks.size(), 1u);
    EXPECT_EQ(r[0].locks[0].role, LockRole::Held);
    EXPECT_EQ(r[0].locks[0].held_index, 0);
}

// The names JSON and text print, which the integration tests read.
TEST(LogParser, KindNamesAndRoleTexts) {
    EXPECT_STREQ(report_kind_name(ReportKind::InvalidWaitContext), "invalid-wait-context");
    EXPECT_STREQ(report_kind_name(ReportKind::Circular), "circular");
    EXPECT_STREQ(report_kind_name(ReportKind::Recursive), "recursive");
    EXPECT_STREQ(report_kind_name(ReportKind::Inconsistent), "inconsistent");
    EXPECT_STREQ(report_kind_name(ReportKind::ClassMismatch), "class-mismatch");
    EXPECT_STREQ(report_kind_name(ReportKind::HeldLocks), "held-locks");
    EXPECT_STREQ(report_kind_name(ReportKind::Other), "other");
    LoggedLock l;
    EXPECT_EQ(role_text(l), "lock");
    l.role = LockRole::Trying;
    EXPECT_EQ(role_text(l), "trying");
    l.role = LockRole::Held;
    EXPECT_EQ(role_text(l), "held");
    l.held_index = 0;
    EXPECT_EQ(role_text(l), "held #0");
    l.held_index = 12;
    EXPECT_EQ(role_text(l), "held #12");
}

// A lock line with no cue before it, and one after the trying lock: "lock".
TEST(LogParser, UncuedLockLinesAndOtherKind) {
    auto r = parse_lockdep_reports(
        "[ 1.0] =====\n[ 1.0] WARNING: inconsistent lock state\n"
        "[ 1.0] ffff888100e66298 (a){....}-{3:3}, at: f+0x1/0x2\n"
        "[ 1.0] =====\n[ 1.0] WARNING: suspicious RCU usage\n"
        "[ 1.0] x/1 is trying to lock:\n"
        "[ 1.0] ffff888100e66298 (b){....}-{3:3}, at: f+0x1/0x2\n"
        "[ 1.0] ffff888100e662a0 (c){....}-{3:3}, at: f+0x1/0x2\n");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].kind, ReportKind::Inconsistent);
    ASSERT_EQ(r[0].locks.size(), 1u);
    EXPECT_EQ(r[0].locks[0].role, LockRole::Lock);
    EXPECT_EQ(r[1].kind, ReportKind::Other);
    ASSERT_EQ(r[1].locks.size(), 2u);
    EXPECT_EQ(r[1].locks[0].role, LockRole::Trying);
    EXPECT_EQ(r[1].locks[1].role, LockRole::Lock);
    EXPECT_EQ(r[1].locks[1].held_index, -1);
}

}  // namespace
}  // namespace lockalias
