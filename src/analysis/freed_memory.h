// Memory the kernel freed keeps what it held, lockdep_map included: such a
// map is no lock. A slab object is free when it is on one of SLUB's
// freelists or in a sheaf (slab_freelists.h); when those cannot be
// followed, a stale map whose key word is where SLUB keeps its free
// pointer is free too (the pointer overwrote the key: why its class no
// longer matches). A page outside the slabs is free when the buddy
// allocator holds it (buddy_pages.h) or a CPU's list of freed pages does
// (pcp_pages.h); a file's or a process's page holds no lock either (on a
// live system, the reader's own copies of kernel memory). Used by the scan
// (every map it would report) and by explain (the one map asked about).
#pragma once
#include <string>
#include <vector>

#include "analysis/scan.h"
#include "kernel/address_locator.h"
#include "kernel/buddy_pages.h"
#include "kernel/pcp_pages.h"
#include "kernel/slab_freelists.h"

namespace lockalias {

class FreedMemory {
public:
    FreedMemory(Target& t, AddressLocator& locator, long key_offset)
        : locator_(locator), key_offset_(key_offset), freelists_(t), buddy_(t), pcp_(t) {}
    // How f's memory is known to be free ("slab-freelist", "slab-sheaf",
    // "free-pointer", "buddy-free", "pcp-free", "user-page"), or nullptr.
    // Locates f first when it is not yet.
    const char* how(MapFinding& f);
    // Why some memory could not be judged (partial answers), once each.
    std::vector<std::string> problems() const;

private:
    AddressLocator& locator_;
    long key_offset_;
    SlabFreelists freelists_;
    BuddyPages buddy_;
    PcpPages pcp_;
};

}  // namespace lockalias
