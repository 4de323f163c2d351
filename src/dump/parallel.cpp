#include "dump/parallel.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace lockalias {

namespace {

thread_local bool in_a_part = false;  // nested run_parallel() runs inline

// Every signal blocked on this thread while it lives, and so in the threads
// it starts meanwhile: crash's SIGINT and SIGPIPE handlers longjmp to its
// command loop, which must only ever happen on crash's own thread.
class AllSignalsBlocked {
public:
    AllSignalsBlocked() {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &saved_);
    }
    ~AllSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
    AllSignalsBlocked(const AllSignalsBlocked&) = delete;
    AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

private:
    sigset_t saved_;
};

class WorkerPool {
public:
    ~WorkerPool() {
        {
            std::lock_guard<std::mutex> g(m_);
            stop_ = true;
        }
        wake_.notify_all();
        for (auto& t : threads_) t.join();
    }

    // done: nullptr, or called on this thread in part order as parts finish
    // (run_parallel_in_order()).
    // At most `threads` threads take parts, the caller's included.
    void run(size_t parts, size_t threads, const std::function<void(size_t)>& work,
             const std::function<void(size_t)>* done) {
        std::lock_guard<std::mutex> one_caller(run_m_);
        const size_t helpers = std::min({parts - 1, threads - 1, kMaxWorkers});
        grow(helpers);
        std::vector<std::exception_ptr> failed(parts);
        std::vector<char> finished(parts, 0);
        unsigned long round;
        {
            std::lock_guard<std::mutex> g(m_);
            work_ = &work;
            failed_ = &failed;
            finished_ = &finished;
            parts_ = parts;
            next_ = 1;  // part 0 is the caller's
            done_ = 0;
            helpers_left_ = helpers;
            round = ++generation_;
        }
        wake_.notify_all();
        do_part(0);
        std::exception_ptr done_failed;
        if (done) {
            try {
                call_done_in_order(*done, round);
            } catch (...) {
                done_failed = std::current_exception();
            }
        }
        take_parts(round);
        {
            std::unique_lock<std::mutex> g(m_);
            all_done_.wait(g, [&] { return done_ == parts_; });
            work_ = nullptr;
            finished_ = nullptr;
        }
        for (auto& e : failed)
            if (e) std::rethrow_exception(e);
        if (done_failed) std::rethrow_exception(done_failed);
    }

    size_t size() {
        std::lock_guard<std::mutex> g(m_);
        return threads_.size();
    }

private:
    static constexpr size_t kMaxWorkers = 15;

    // Starts workers up to n; a thread that cannot be had is simply not
    // there (its parts run on the others, or on the caller).
    void grow(size_t n) {
        if (threads_.size() >= n) return;
        AllSignalsBlocked quiet;  // inherited by the workers
        try {
            while (threads_.size() < n) {
                std::lock_guard<std::mutex> g(m_);
                threads_.emplace_back([this, seen = generation_] { serve(seen); });
            }
        } catch (const std::system_error&) {
        }
    }

    void serve(unsigned long seen) {
        in_a_part = true;
        for (;;) {
            {
                std::unique_lock<std::mutex> g(m_);
                wake_.wait(g, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
                if (!helpers_left_) continue;  // enough threads on this round
                helpers_left_--;
            }
            take_parts(seen);
        }
    }

    // The caller's loop: done(p) for each part in order as soon as it and
    // those before it have finished, taking parts itself while it waits.
    // Stops at a part that threw.
    void call_done_in_order(const std::function<void(size_t)>& done, unsigned long round) {
        for (size_t p = 0; p < parts_;) {
            bool ready, failed;
            {
                std::unique_lock<std::mutex> g(m_);
                ready = (*finished_)[p];
                failed = ready && (*failed_)[p];
            }
            if (failed) return;
            if (ready) {
                done(p++);
                continue;
            }
            if (take_one_part(round)) continue;
            std::unique_lock<std::mutex> g(m_);
            all_done_.wait(g, [&] { return bool((*finished_)[p]); });
        }
    }

    // Runs one part not yet taken in this round; false when none is left,
    // or the round is over (a worker slow to come back from its last part
    // must not join the next round uncounted: at most `threads` per round).
    bool take_one_part(unsigned long round) {
        size_t p;
        {
            std::lock_guard<std::mutex> g(m_);
            if (!work_ || next_ >= parts_ || generation_ != round) return false;
            p = next_++;
        }
        do_part(p);
        return true;
    }

    // Takes parts until none is left in this round.
    void take_parts(unsigned long round) {
        while (take_one_part(round)) {
        }
    }

    void do_part(size_t p) {
        const bool was = in_a_part;
        in_a_part = true;
        try {
            (*work_)(p);
        } catch (...) {
            (*failed_)[p] = std::current_exception();
        }
        in_a_part = was;
        std::lock_guard<std::mutex> g(m_);
        (*finished_)[p] = 1;
        // (only the caller waits on all_done_: for every part, or the next one in order)
        ++done_;
        all_done_.notify_one();
    }

    std::mutex run_m_;  // one round at a time
    std::mutex m_;      // guards everything below
    std::condition_variable wake_, all_done_;
    std::vector<std::thread> threads_;
    const std::function<void(size_t)>* work_ = nullptr;
    std::vector<std::exception_ptr>* failed_ = nullptr;
    std::vector<char>* finished_ = nullptr;  // per part, set when it has returned
    size_t parts_ = 0, next_ = 0, done_ = 0;
    size_t helpers_left_ = 0;  // workers that may still join this round
    unsigned long generation_ = 0;
    bool stop_ = false;
};

// Constructed on first use; destroyed (workers joined) when the library is
// unloaded or the program exits.
WorkerPool& pool() {
    static WorkerPool p;
    return p;
}

}  // namespace

namespace {

// Every part on the calling thread, each followed by its done() when given.
void run_inline(size_t parts, const std::function<void(size_t)>& work, const std::function<void(size_t)>* done) {
    std::exception_ptr first;
    for (size_t p = 0; p < parts; p++) {
        try {
            work(p);
        } catch (...) {
            if (!first) first = std::current_exception();
        }
        if (done && !first) (*done)(p);
    }
    if (first) std::rethrow_exception(first);
}

}  // namespace

void run_parallel(size_t parts, const std::function<void(size_t)>& work) {
    if (parts == 0) return;
    if (parts == 1 || in_a_part) return run_inline(parts, work, nullptr);
    pool().run(parts, parts, work, nullptr);
}

void run_parallel_in_order(size_t parts, unsigned threads, const std::function<void(size_t)>& work,
                           const std::function<void(size_t)>& done) {
    if (parts == 0) return;
    if (parts == 1 || threads <= 1 || in_a_part) return run_inline(parts, work, &done);
    pool().run(parts, threads, work, &done);
}

std::thread start_quiet_thread(std::function<void()> fn) {
    AllSignalsBlocked quiet;
    return std::thread(std::move(fn));
}

unsigned worker_threads() {
    return std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
}

size_t workers_started() { return pool().size(); }

}  // namespace lockalias
