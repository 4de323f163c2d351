// Zero-copy view of an ELF vmcore's physical memory: the file mapped once,
// each PT_LOAD's [p_paddr, p_paddr + bytes present in the file) resolved to
// a pointer. Reading through crash costs a syscall and a copy per page;
// this turns the scan of an ELF dump into a memory scan. Used only for
// plain ELF cores (libelf), checked against crash's reads before use.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lockalias {

class ElfDumpMap {
public:
    ElfDumpMap() = default;
    ~ElfDumpMap();
    ElfDumpMap(const ElfDumpMap&) = delete;
    ElfDumpMap& operator=(const ElfDumpMap&) = delete;

    // False (with why()) when the file is not an ELF64 core with PT_LOADs.
    bool open(const std::string& path);
    // Pointer to len bytes at paddr when one PT_LOAD holds all of them in
    // the file, else nullptr (a hole, a truncated tail, a segment boundary).
    // Valid until the next call: the file is mapped through one sliding
    // window, so memory use does not grow with the dump.
    const uint8_t* span(uint64_t paddr, size_t len);
    const std::string& why() const { return why_; }

private:
    struct Segment {
        uint64_t paddr, offset, bytes;  // bytes actually in the file
    };
    static constexpr uint64_t kWindow = 16ULL << 20;
    std::vector<Segment> segments_;
    int fd_ = -1;
    uint64_t file_size_ = 0;
    const uint8_t* window_ = nullptr;   // maps [window_off_, window_off_ + window_len_)
    uint64_t window_off_ = 0, window_len_ = 0;
    std::string why_;
};

}  // namespace lockalias
