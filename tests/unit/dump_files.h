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
    // A file of a split dump (split set) holds the pages of
    // [split_start, split_end): their descriptors and data; its bitmap is
    // the whole dump's, as makedumpfile copies it into every file.
    uint64_t split_start = 0, split_end = 0;
    uint64_t max_mapnr = 0;  // 0: the number of pages in memory
    uint32_t block = 4096;
    // makedumpfile writes a page of zeros once and points every zero
    // page's descriptor at that copy (write_kdump_pages_cyclic(): pd_zero).
    bool share_zero_pages = false;
    // ... and stores that copy as it is (flags 0, a page long), whatever
    // the other pages' packing, as makedumpfile (pd_zero) and QEMU do; when
    // false it is packed as the others, which a reader must also read.
    bool zero_copy_as_it_is = false;
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
    const bool ranged = s.split && s.split_end > s.split_start;
    auto in_file = [&](uint64_t pfn) { return !ranged || (pfn >= s.split_start && pfn < s.split_end); };
    const uint64_t dumped_n = [&] {
        uint64_t n = 0;
        for (uint64_t pfn = 0; pfn < pages; pfn++) n += s.dumped(pfn) && in_file(pfn);
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
    put<uint64_t>(b, block + 16, s.split_start);  // start_pfn, end_pfn
    put<uint64_t>(b, block + 24, s.split_end);
    put<uint64_t>(b, block + 80, s.split_start);  // start_pfn_64, end_pfn_64
    put<uint64_t>(b, block + 88, s.split_end);
    put<uint64_t>(b, block + 96, s.max_mapnr ? s.max_mapnr : pages);  // max_mapnr_64
    const uint64_t ram_bitmap = 2 * block, dump_bitmap = ram_bitmap + bitmap_blocks * block;
    for (uint64_t pfn = 0; pfn < pages; pfn++) {
        b[ram_bitmap + pfn / 8] |= uint8_t(1 << (pfn % 8));
        if (s.dumped(pfn)) b[dump_bitmap + pfn / 8] |= uint8_t(1 << (pfn % 8));
    }
    uint64_t desc = desc_at, data = b.size();
    int64_t zero_copy = -1;  // where the shared zero page's copy is, once written
    uint32_t zero_size = 0, zero_flags = 0;
    for (uint64_t pfn = 0; pfn < pages; pfn++) {
        if (!s.dumped(pfn) || !in_file(pfn)) continue;
        std::vector<uint8_t> page(s.memory.begin() + long(pfn * block), s.memory.begin() + long((pfn + 1) * block));
        const bool zero = s.share_zero_pages && std::all_of(page.begin(), page.end(), [](uint8_t c) { return !c; });
        if (zero && zero_copy >= 0) {
            put<int64_t>(b, desc, zero_copy);
            put<uint32_t>(b, desc + 8, zero_size);
            put<uint32_t>(b, desc + 12, zero_flags);
            desc += 24;
            continue;
        }
        const Packing how = zero && s.zero_copy_as_it_is ? Packing::Plain : s.packing(pfn);
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
        if (zero) zero_copy = int64_t(data), zero_size = size, zero_flags = uint32_t(how) | s.extra_flags(pfn);
        desc += 24;
        b.resize(data + size);
        if (size) std::memcpy(&b[data], packed.data(), size);
        data += size;
    }
    return write_temp_file(b, "lockalias_kdump");
}

// A split dump of s (makedumpfile --split): one file per range of pfns,
// cut at `cuts` (ascending, inside the memory), in pfn order.
inline std::vector<std::string> write_split_kdump(KdumpSpec s, const std::vector<uint64_t>& cuts) {
    std::vector<std::string> paths;
    const uint64_t pages = s.memory.size() / s.block;
    uint64_t start = 0;
    for (size_t i = 0; i <= cuts.size(); i++) {
        s.split = true;
        s.split_start = start;
        s.split_end = i < cuts.size() ? cuts[i] : pages;
        paths.push_back(write_kdump(s));
        start = s.split_end;
    }
    return paths;
}

inline std::vector<uint8_t> read_whole_file(const std::string& path) {
    std::vector<uint8_t> b;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return b;
    uint8_t chunk[65536];
    for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, f)) > 0;) b.insert(b.end(), chunk, chunk + n);
    std::fclose(f);
    return b;
}

// How a kdump is wrapped into makedumpfile's flattened format (-F;
// makedumpfile.h: a 4096-byte makedumpfile_header {"makedumpfile", type 1,
// version 1}, then records {int64 offset; int64 buf_size;} + bytes, then
// an end record of offset -1; every integer big-endian).
struct FlatSpec {
    std::vector<size_t> sizes = {464, 4096, 65536, 1000};  // record sizes, in turn
    bool swap_pairs = true;   // records out of order (makedumpfile writes bitmaps and pages interleaved)
    bool skip_zeros = true;   // records wholly zero left out: holes read as zeros
    enum class Lie { None, Overlap, PastEnd, NoEnd, Negative } lie = Lie::None;
};

inline void put_be64(std::vector<uint8_t>& b, int64_t v) {
    for (int i = 7; i >= 0; i--) b.push_back(uint8_t(uint64_t(v) >> (8 * i)));
}

inline std::string write_flattened(const std::string& kdump_path, const FlatSpec& f = {}) {
    const std::vector<uint8_t> in = read_whole_file(kdump_path);
    struct Rec {
        uint64_t offset, size;
    };
    std::vector<Rec> recs;
    for (uint64_t at = 0, k = 0; at < in.size(); k++) {
        const uint64_t n = std::min<uint64_t>(f.sizes[k % f.sizes.size()], in.size() - at);
        const bool zeros = std::all_of(in.begin() + long(at), in.begin() + long(at + n), [](uint8_t c) { return !c; });
        if (!(f.skip_zeros && zeros && at + n < in.size())) recs.push_back({at, n});
        at += n;
    }
    if (f.swap_pairs)
        for (size_t i = 0; i + 1 < recs.size(); i += 2) std::swap(recs[i], recs[i + 1]);
    std::vector<uint8_t> out(4096, 0);
    std::memcpy(out.data(), "makedumpfile", 12);
    for (int i = 0; i < 8; i++) out[16 + i] = uint8_t(i == 7), out[24 + i] = uint8_t(i == 7);
    for (size_t i = 0; i < recs.size(); i++) {
        Rec r = recs[i];
        int64_t offset = int64_t(r.offset), size = int64_t(r.size);
        if (f.lie == FlatSpec::Lie::Overlap && i == recs.size() / 2) offset += 1;
        if (f.lie == FlatSpec::Lie::Negative && i == recs.size() / 2) offset = -4096;
        if (f.lie == FlatSpec::Lie::PastEnd && i + 1 == recs.size()) size += 100;  // bytes the file lacks
        put_be64(out, offset);
        put_be64(out, size);
        out.insert(out.end(), in.begin() + long(r.offset), in.begin() + long(r.offset + r.size));
    }
    if (f.lie != FlatSpec::Lie::NoEnd) put_be64(out, -1), put_be64(out, -1);
    return write_temp_file(out, "lockalias_flat");
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
