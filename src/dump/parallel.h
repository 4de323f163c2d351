// Runs independent pieces of pure work (no Target calls) on several
// threads. The helper threads start with every signal blocked, so a host's
// signal handlers (crash longjmps out of its SIGINT handler) only ever run
// on the host's own thread.
#pragma once
#include <cstddef>
#include <functional>

namespace lockalias {

// Calls work(0) .. work(parts - 1), part 0 on the calling thread, the others
// on helper threads; returns when all are done. When no thread can be
// started the remaining parts run on the caller.
void run_parallel(size_t parts, const std::function<void(size_t)>& work);

// Threads worth using on this machine: the online CPUs, at most 4 (beyond
// that the scan is bound by memory bandwidth).
unsigned worker_threads();

}  // namespace lockalias
