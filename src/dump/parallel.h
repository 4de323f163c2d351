// Runs independent pieces of pure work (no Target calls) on several
// threads. The threads are started once, on first use, and kept for the
// next call: a scan asks for a parallel step per 16 MiB view (thousands on
// a large dump), and starting threads for each one costs more than the step
// on small views. They start with every signal blocked, so a host's signal
// handlers (crash longjmps out of its SIGINT handler) only ever run on the
// host's own thread, and they are joined when the library is unloaded
// (crash's `extend -u`) or the program exits.
#pragma once
#include <cstddef>
#include <functional>
#include <thread>

namespace lockalias {

// Calls work(0) .. work(parts - 1) and returns when all are done: part 0
// and any part no worker took on the calling thread, the others on the
// workers. With no worker to be had (or when called from inside a part),
// every part runs on the caller. The first exception a part throws is
// rethrown here, after all parts are done.
void run_parallel(size_t parts, const std::function<void(size_t)>& work);

// As run_parallel() on at most `threads` threads (the caller's included:
// parts may outnumber the CPUs), and meanwhile, on the calling thread, done(p) for
// p = 0, 1, ... in order, each as soon as parts 0..p have all returned (the
// caller takes parts itself while the next one is not ready). Work that
// must stay on the caller's thread and go in order (the scan's judging,
// which reads through crash) thus runs beside the later parts instead of
// after all of them. done() is not called for a part that threw, nor for
// any part after it.
void run_parallel_in_order(size_t parts, unsigned threads, const std::function<void(size_t)>& work,
                           const std::function<void(size_t)>& done);

// fn on a thread of its own, started with every signal blocked as the
// workers are (for work that runs beside the caller's instead of in parts:
// a dump source's read-ahead). Throws std::system_error when no thread can
// be had.
std::thread start_quiet_thread(std::function<void()> fn);

// Threads worth using on this machine: the online CPUs, at most 4 (beyond
// that the scan is bound by memory bandwidth).
unsigned worker_threads();

// Workers started so far (for tests: they are reused, not restarted).
size_t workers_started();

}  // namespace lockalias
