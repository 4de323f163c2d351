#include "dump/elf_dump_map.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace lockalias {

ElfDumpMap::~ElfDumpMap() {
    if (window_) munmap(const_cast<uint8_t*>(window_), window_len_);
    if (fd_ >= 0) ::close(fd_);
}

bool ElfDumpMap::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        why_ = "cannot open " + path;
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        ::close(fd);
        why_ = "cannot stat " + path;
        return false;
    }
    elf_version(EV_CURRENT);
    Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
    GElf_Ehdr eh;
    size_t phnum = 0;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || eh.e_type != ET_CORE ||
        gelf_getclass(elf) != ELFCLASS64 || elf_getphdrnum(elf, &phnum) != 0) {
        if (elf) elf_end(elf);
        ::close(fd);
        why_ = "not an ELF64 core file";
        return false;
    }
    const uint64_t file_size = uint64_t(st.st_size);
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, int(i), &ph) || ph.p_type != PT_LOAD || ph.p_offset >= file_size) continue;
        // A truncated dump holds only part of its last segments.
        uint64_t bytes = std::min<uint64_t>(ph.p_filesz, file_size - ph.p_offset);
        if (bytes) segments_.push_back({ph.p_paddr, ph.p_offset, bytes});
    }
    elf_end(elf);
    if (segments_.empty()) {
        ::close(fd);
        why_ = "no PT_LOAD segment in the file";
        return false;
    }
    fd_ = fd;
    file_size_ = file_size;
    return true;
}

const uint8_t* ElfDumpMap::span(uint64_t paddr, size_t len) {
    const Segment* seg = nullptr;
    for (const Segment& s : segments_)
        if (paddr >= s.paddr && paddr - s.paddr <= s.bytes && len <= s.bytes - (paddr - s.paddr)) seg = &s;
    if (!seg) return nullptr;
    const uint64_t off = seg->offset + (paddr - seg->paddr);
    if (!window_ || off < window_off_ || off + len > window_off_ + window_len_) {
        if (window_) munmap(const_cast<uint8_t*>(window_), window_len_);
        window_ = nullptr;
        const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
        window_off_ = off / page * page;
        window_len_ = std::min<uint64_t>(std::max<uint64_t>(kWindow, off + len - window_off_),
                                         file_size_ - window_off_);
        void* p = mmap(nullptr, window_len_, PROT_READ, MAP_PRIVATE, fd_, off_t(window_off_));
        if (p == MAP_FAILED) return nullptr;
        madvise(p, window_len_, MADV_SEQUENTIAL);
        window_ = static_cast<const uint8_t*>(p);
    }
    return window_ + (off - window_off_);
}

}  // namespace lockalias
