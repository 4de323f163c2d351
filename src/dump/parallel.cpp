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

    void run(size_t parts, const std::function<void(size_t)>& work) {
        std::lock_guard<std::mutex> one_caller(run_m_);
        grow(std::min<size_t>(parts - 1, kMaxWorkers));
        std::vector<std::exception_ptr> failed(parts);
        {
            std::lock_guard<std::mutex> g(m_);
            work_ = &work;
            failed_ = &failed;
            parts_ = parts;
            next_ = 1;  // part 0 is the caller's
            done_ = 0;
            generation_++;
        }
        wake_.notify_all();
        do_part(0);
        take_parts();
        {
            std::unique_lock<std::mutex> g(m_);
            all_done_.wait(g, [&] { return done_ == parts_; });
            work_ = nullptr;
        }
        for (auto& e : failed)
            if (e) std::rethrow_exception(e);
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
        sigset_t all, saved;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &saved);  // inherited by the workers
        try {
            while (threads_.size() < n) {
                std::lock_guard<std::mutex> g(m_);
                threads_.emplace_back([this, seen = generation_] { serve(seen); });
            }
        } catch (const std::system_error&) {
        }
        pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    }

    void serve(unsigned long seen) {
        in_a_part = true;
        for (;;) {
            {
                std::unique_lock<std::mutex> g(m_);
                wake_.wait(g, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
            }
            take_parts();
        }
    }

    // Takes parts until none is left in this round.
    void take_parts() {
        for (;;) {
            size_t p;
            {
                std::lock_guard<std::mutex> g(m_);
                if (!work_ || next_ >= parts_) return;
                p = next_++;
            }
            do_part(p);
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
        if (++done_ == parts_) all_done_.notify_one();
    }

    std::mutex run_m_;  // one round at a time
    std::mutex m_;      // guards everything below
    std::condition_variable wake_, all_done_;
    std::vector<std::thread> threads_;
    const std::function<void(size_t)>* work_ = nullptr;
    std::vector<std::exception_ptr>* failed_ = nullptr;
    size_t parts_ = 0, next_ = 0, done_ = 0;
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

void run_parallel(size_t parts, const std::function<void(size_t)>& work) {
    if (parts == 0) return;
    if (parts == 1 || in_a_part) {
        std::exception_ptr first;
        for (size_t p = 0; p < parts; p++) {
            try {
                work(p);
            } catch (...) {
                if (!first) first = std::current_exception();
            }
        }
        if (first) std::rethrow_exception(first);
        return;
    }
    pool().run(parts, work);
}

unsigned worker_threads() {
    return std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
}

size_t workers_started() { return pool().size(); }

}  // namespace lockalias
