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

namespace lockalias {

// Calls work(0) .. work(parts - 1) and returns when all are done: part 0
// and any part no worker took on the calling thread, the others on the
// workers. With no worker to be had (or when called from inside a part),
// every part runs on the caller. The first exception a part throws is
// rethrown here, after all parts are done.
void run_parallel(size_t parts, const std::function<void(size_t)>& work);

// Threads worth using on this machine: the online CPUs, at most 4 (beyond
// that the scan is bound by memory bandwidth).
unsigned worker_threads();

// Workers started so far (for tests: they are reused, not restarted).
size_t workers_started();

}  // namespace lockalias
