// Hand-made dump files for unit tests: a compressed kdump in makedumpfile's
// format (diskdump_mod.h: header, sub-header, two bitmaps, page
// descriptors, pages) and an ELF64 core with one PT_LOAD. Written from the
// formats' definitions, never from lockalias's readers; the pages are
// compressed with the real libraries (libdeflate's zlib, lzo1x_1, snappy,
// zstd), as makedumpfile does it.
#pragma once
#include <libdeflate.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
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

// How a page is stored, and its descriptor's flag (diskdump_mod.h's
// DUMP_DH_COMPRESSED_*; 0 for plain).
enum class Packing : uint32_t { Plain = 0, Zlib = 0x1, Lzo = 0x2, Snappy = 0x4, Zstd = 0x20 };

// A page stored wrong on purpose (the descriptor still says Packing's flag):
// Short and Long compress half a page or two pages (of the page repeated);
// Truncated drops the last bytes of the compressed page; Garbage replaces
// them with noise of the same length.
enum class Damage { None, Short, Long, Truncated, Garbage };

struct KdumpSpec {
    std::vector<uint8_t> memory;          // the pages, pfn 0 first
    std::function<bool(uint64_t)> dumped;  // which pages the dump holds
    // Each page's compression: by default even pages zlib, odd ones plain.
    std::function<Packing(uint64_t)> packing = [](uint64_t pfn) {
        return pfn % 2 == 0 ? Packing::Zlib : Packing::Plain;
    };
    std::function<Damage(uint64_t)> damage = [](uint64_t) { return Damage::None; };
    // Bits added to a page's descriptor flags (a test may add another
    // compression's bit, or one makedumpfile does not define).
    std::function<uint32_t(uint64_t)> extra_flags = [](uint64_t) { return 0u; };
    bool split = false;
    uint64_t max_mapnr = 0;  // 0: the number of pages in memory
    uint32_t block = 4096;
};

// `in` compressed with the library makedumpfile uses for it (it calls
// compress2(), lzo1x_1_compress(), snappy_compress(), ZSTD_compressCCtx()),
// or copied for Plain; empty when the library fails.
inline std::vector<uint8_t> pack_page(Packing how, const std::vector<uint8_t>& in) {
    std::vector<uint8_t> out(2 * in.size() + 4096);
    size_t n = 0;
    switch (how) {
    case Packing::Plain:
        return in;
    case Packing::Zlib: {
        libdeflate_compressor* c = libdeflate_alloc_compressor(6);
        n = libdeflate_zlib_compress(c, in.data(), in.size(), out.data(), out.size());
        libdeflate_free_compressor(c);
        break;
    }
    case Packing::Lzo: {
        if (lzo_init() != LZO_E_OK) return {};
        std::vector<uint8_t> work(LZO1X_1_MEM_COMPRESS);
        lzo_uint got = out.size();
        if (lzo1x_1_compress(in.data(), in.size(), out.data(), &got, work.data()) != LZO_E_OK) return {};
        n = got;
        break;
    }
    case Packing::Snappy: {
        n = out.size();
        if (snappy_compress(reinterpret_cast<const char*>(in.data()), in.size(),
                            reinterpret_cast<char*>(out.data()), &n) != SNAPPY_OK)
            return {};
        break;
    }
    case Packing::Zstd:
        n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 1);
        if (ZSTD_isError(n)) return {};
        break;
    }
    out.resize(n);
    return out;
}

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
    uint64_t desc = desc_at, data = b.size();
    for (uint64_t pfn = 0; pfn < pages; pfn++) {
        if (!s.dumped(pfn)) continue;
        std::vector<uint8_t> page(s.memory.begin() + long(pfn * block), s.memory.begin() + long((pfn + 1) * block));
        const Packing how = s.packing(pfn);
        const Damage damage = s.damage(pfn);
        if (damage == Damage::Short) page.resize(block / 2);
        if (damage == Damage::Long) page.insert(page.end(), page.begin(), page.end());
        std::vector<uint8_t> packed = pack_page(how, page);
        if (damage == Damage::Truncated) packed.resize(packed.size() - std::min<size_t>(packed.size() / 4, 16));
        if (damage == Damage::Garbage) {
            uint32_t x = uint32_t(pfn) * 2654435761u + 1;
            for (uint8_t& byte : packed) byte = uint8_t((x = x * 1103515245u + 12345u) >> 23);
        }
        const uint32_t size = uint32_t(packed.size());
        put<int64_t>(b, desc, int64_t(data));
        put<uint32_t>(b, desc + 8, size);
        put<uint32_t>(b, desc + 12, uint32_t(how) | s.extra_flags(pfn));
        desc += 24;
        b.resize(data + size);
        if (size) std::memcpy(&b[data], packed.data(), size);
        data += size;
    }
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
