// Work on a span's bytes where a dump source makes them. A compressed
// kdump's span is decompressed in parts, one per thread; the scan's word
// search then costs as much as the decompression (issue 16: lzo at 16 GiB
// was 1.6x its decompression floor with the search done after, on one
// thread, over bytes already out of cache). Handed the work, the source
// runs it on each part on the thread that made it, right after.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lockalias {

class SpanWork {
public:
    virtual ~SpanWork() = default;
    // The span comes in n parts: parts(n) on the calling thread, then
    // part(p, ...) once for each p < n, on any thread and at the same time
    // (not for a part the source could not make: the span is then refused).
    // Part p holds span[from, to); parts are in address order and cover the
    // span with no gap and no overlap.
    virtual void parts(size_t n) = 0;
    virtual void part(size_t p, const uint8_t* span, size_t from, size_t to) = 0;
    // Instead of part(): part p is all zeros, made without a read (a
    // kdump's pages that all name its shared zero page). By default worked
    // on as any part.
    virtual void zero_part(size_t p, const uint8_t* span, size_t from, size_t to) { part(p, span, from, to); }
    // On the calling thread, in part order, once part p and every part
    // before it are done (the span's bytes up to part p's end are made):
    // work that must stay on that thread and go in address order (the
    // scan's judging reads through crash) runs there while later parts are
    // made. Not called for a part that could not be made, nor for any part
    // after it; the span is then refused.
    virtual void done(size_t p) { (void)p; }
    // The span made in one piece (mapped in place, or read): the work
    // decides how to split it.
    virtual void whole(const uint8_t* span, size_t len) = 0;
};

}  // namespace lockalias
