// Hand-made dump files for unit tests: a compressed kdump in makedumpfile's
// format (diskdump_mod.h: header, sub-header, two bitmaps, page
// descriptors, pages) and an ELF64 core with one PT_LOAD. Written from the
// formats' definitions, never from lockalias's readers.
#pragma once
#include <libdeflate.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace lockalias {
namespace test {

template <typename T>
void put(std::vector<uint8_t>& b, size_t o, T v) {
    if (b.size() < o + sizeof v) b.resize(o + sizeof v);
    std::memcpy(&b[o], &v, sizeof v);
}

inline std::string write_temp_file(const std::vector<uint8_t>& bytes, const char* stem) {
    std::string path = std::string("/tmp/") + stem + "XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) return "";
    FILE* f = fdopen(fd, "wb");
    fwrite(bytes.data(), 1, bytes.size(), f);
    fclose(f);
    return path;
}

struct KdumpSpec {
    std::vector<uint8_t> memory;          // the pages, pfn 0 first
    std::function<bool(uint64_t)> dumped;  // which pages the dump holds
    // Per-page descriptor flags: by default even pages zlib (0x1), odd ones
    // stored plain; a test may add another compression's bit to one page.
    std::function<uint32_t(uint64_t)> extra_flags = [](uint64_t) { return 0u; };
    bool split = false;
    uint64_t max_mapnr = 0;  // 0: the number of pages in memory
    uint32_t block = 4096;
};

// Blocks: 0 header, 1 sub-header, 2..(2+2n) bitmaps (RAM, dumped), then
// page descriptors, then page data.
inline std::string write_kdump(const KdumpSpec& s) {
    const uint64_t block = s.block, pages = s.memory.size() / block;
    const uint64_t bitmap_blocks = ((pages + 7) / 8 + block - 1) / block;  // per bitmap
    const uint64_t dumped_n = [&] {
        uint64_t n = 0;
        for (uint64_t pfn = 0; pfn < pages; pfn++) n += s.dumped(pfn);
        return n;
    }();
    const uint64_t desc_at = (2 + 2 * bitmap_blocks) * block;
    std::vector<uint8_t> b(desc_at + (dumped_n * 24 + block - 1) / block * block, 0);
    std::memcpy(b.data(), "KDUMP   ", 8);
    put<int32_t>(b, 8, 6);  // header_version
    put<int32_t>(b, 428, int32_t(block));
    put<int32_t>(b, 432, 1);  // sub_hdr_size (blocks)
    put<uint32_t>(b, 436, uint32_t(2 * bitmap_blocks));
    put<uint32_t>(b, 440, uint32_t(pages));  // max_mapnr (32-bit copy)
    put<int32_t>(b, block + 12, s.split);
    put<uint64_t>(b, block + 96, s.max_mapnr ? s.max_mapnr : pages);  // max_mapnr_64
    const uint64_t ram_bitmap = 2 * block, dump_bitmap = ram_bitmap + bitmap_blocks * block;
    for (uint64_t pfn = 0; pfn < pages; pfn++) {
        b[ram_bitmap + pfn / 8] |= uint8_t(1 << (pfn % 8));
        if (s.dumped(pfn)) b[dump_bitmap + pfn / 8] |= uint8_t(1 << (pfn % 8));
    }
    libdeflate_compressor* c = libdeflate_alloc_compressor(6);
    uint64_t desc = desc_at, data = b.size();
    for (uint64_t pfn = 0; pfn < pages; pfn++) {
        if (!s.dumped(pfn)) continue;
        std::vector<uint8_t> page(s.memory.begin() + long(pfn * block), s.memory.begin() + long((pfn + 1) * block));
        std::vector<uint8_t> packed(2 * block);
        uint32_t flags = 0, size = uint32_t(block);
        if (pfn % 2 == 0) {
            size = uint32_t(libdeflate_zlib_compress(c, page.data(), block, packed.data(), packed.size()));
            flags = 0x1;
        } else {
            packed = page;
        }
        flags |= s.extra_flags(pfn);
        put<int64_t>(b, desc, int64_t(data));
        put<uint32_t>(b, desc + 8, size);
        put<uint32_t>(b, desc + 12, flags);
        desc += 24;
        b.resize(data + size);
        std::memcpy(&b[data], packed.data(), size);
        data += size;
    }
    libdeflate_free_compressor(c);
    return write_temp_file(b, "lockalias_kdump");
}

// An ELF64 core whose one PT_LOAD holds memory at physical address 0.
inline std::string write_elf_core(const std::vector<uint8_t>& memory) {
    const uint64_t data_at = 0x1000;
    std::vector<uint8_t> b(data_at, 0);
    const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(b.data(), ident, sizeof ident);
    put<uint16_t>(b, 16, 4);   // ET_CORE
    put<uint16_t>(b, 18, 62);  // EM_X86_64
    put<uint32_t>(b, 20, 1);
    put<uint64_t>(b, 32, 64);  // e_phoff
    put<uint16_t>(b, 52, 64);  // e_ehsize
    put<uint16_t>(b, 54, 56);  // e_phentsize
    put<uint16_t>(b, 56, 1);   // e_phnum
    put<uint32_t>(b, 64, 1);   // PT_LOAD
    put<uint64_t>(b, 64 + 8, data_at);
    put<uint64_t>(b, 64 + 24, 0);  // p_paddr
    put<uint64_t>(b, 64 + 32, memory.size());
    put<uint64_t>(b, 64 + 40, memory.size());
    b.insert(b.end(), memory.begin(), memory.end());
    return write_temp_file(b, "lockalias_elf");
}

}  // namespace test
}  // namespace lockalias
