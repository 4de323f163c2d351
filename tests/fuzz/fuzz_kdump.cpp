// libFuzzer: KdumpPages and KdumpReader on arbitrary file contents (a
// damaged or hostile makedumpfile dump). Every call must return an answer
// or refuse; never read outside its buffers. Seeded with small valid
// dumps (512-byte blocks) in corpus/kdump/.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "dump/kdump_pages.h"
#include "dump/kdump_reader.h"

using namespace lockalias;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static char path[] = "/tmp/fuzz_kdumpXXXXXX";
    static int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != ssize_t(size)) abort();
    KdumpPages pages;
    if (!pages.open(path)) return 0;
    const uint64_t page = pages.page_size();
    const uint64_t limit = std::min<uint64_t>(pages.max_pfn(), 1 << 16);  // bounded work per input
    KdumpReader reader(pages, 2);
    unsigned sum = 0;
    int views = 0;
    for (const PhysRange& part : pages.dumped_parts({0, limit * page})) {
        if (part.start % page || part.end <= part.start) abort();  // parts are page runs
        for (uint64_t pos = part.start; pos < part.end && views < 64; pos += KdumpReader::kMaxSpan, views++) {
            const size_t len = size_t(std::min<uint64_t>(KdumpReader::kMaxSpan, part.end - pos));
            if (const uint8_t* s = reader.span(pos, len)) sum += s[0] + s[len - 1];
        }
        if (!pages.dumped(part.start / page)) abort();
    }
    for (uint64_t pfn : {uint64_t(0), limit / 2, limit}) (void)pages.rank(pfn);
    return int(sum & 0);
}
