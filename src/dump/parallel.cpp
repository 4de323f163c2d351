#include "dump/parallel.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

namespace lockalias {

void run_parallel(size_t parts, const std::function<void(size_t)>& work) {
    if (parts == 0) return;
    // An exception (bad_alloc) must not escape a helper thread: that would
    // terminate the host. The first one is rethrown here after the join.
    std::vector<std::exception_ptr> failed(parts);
    auto guarded = [&](size_t p) {
        try {
            work(p);
        } catch (...) {
            failed[p] = std::current_exception();
        }
    };
    std::vector<std::thread> helpers;
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);  // inherited by the helpers
    size_t started = 1;
    try {
        for (; started < parts; started++) helpers.emplace_back(guarded, started);
    } catch (const std::system_error&) {
        // No thread to be had: the parts not started run on this one.
    }
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    for (size_t p = started; p < parts; p++) guarded(p);
    guarded(0);
    for (auto& h : helpers) h.join();
    for (auto& e : failed)
        if (e) std::rethrow_exception(e);
}

unsigned worker_threads() {
    return std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
}

}  // namespace lockalias
