// ElfDumpMap on a hand-made ELF core: spans inside a PT_LOAD, across its
// end, in a truncated tail, and a file that is not a core.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dump/elf_dump_map.h"

namespace lockalias {
namespace {

void put16(std::vector<uint8_t>& b, size_t o, uint16_t v) { std::memcpy(&b[o], &v, 2); }
void put32(std::vector<uint8_t>& b, size_t o, uint32_t v) { std::memcpy(&b[o], &v, 4); }
void put64(std::vector<uint8_t>& b, size_t o, uint64_t v) { std::memcpy(&b[o], &v, 8); }

// Two PT_LOADs: 0x100 bytes of 0xAA for paddr 0x1000 at offset 0x200, and
// 0x1000 bytes for paddr 0x10000 at offset 0x300 of which the file keeps
// only up to 0x800 (a truncated dump).
std::string write_core(uint16_t e_type) {
    std::vector<uint8_t> b(0x800, 0);
    const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(b.data(), ident, sizeof ident);
    put16(b, 16, e_type);
    put16(b, 18, 62);   // EM_X86_64
    put32(b, 20, 1);
    put64(b, 32, 64);   // e_phoff
    put16(b, 52, 64);   // e_ehsize
    put16(b, 54, 56);   // e_phentsize
    put16(b, 56, 2);    // e_phnum
    auto phdr = [&](size_t at, uint64_t off, uint64_t paddr, uint64_t size) {
        put32(b, at, 1);  // PT_LOAD
        put64(b, at + 8, off);
        put64(b, at + 24, paddr);
        put64(b, at + 32, size);
        put64(b, at + 40, size);
    };
    phdr(64, 0x200, 0x1000, 0x100);
    phdr(120, 0x300, 0x10000, 0x1000);
    std::memset(&b[0x200], 0xAA, 0x100);
    std::memset(&b[0x300], 0xBB, 0x500);
    char path[] = "/tmp/elf_dump_map_testXXXXXX";
    int fd = mkstemp(path);
    FILE* f = fdopen(fd, "wb");
    fwrite(b.data(), 1, b.size(), f);
    fclose(f);
    return path;
}

TEST(ElfDumpMap, SpansInsideSegmentsOnly) {
    std::string path = write_core(4);  // ET_CORE
    ElfDumpMap m;
    ASSERT_TRUE(m.open(path)) << m.why();
    const uint8_t* p = m.span(0x1000, 0x100);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p[0], 0xAA);
    EXPECT_EQ(p[0xff], 0xAA);
    EXPECT_EQ(m.span(0x1000, 0x101), nullptr);   // past the segment
    EXPECT_EQ(m.span(0x2000, 8), nullptr);       // a hole
    ASSERT_NE(m.span(0x10000, 0x500), nullptr);  // what the truncated file holds
    EXPECT_EQ(m.span(0x10000, 0x501), nullptr);  // beyond the file's end
    EXPECT_EQ(m.span(0x10000, 0x500)[0x4ff], 0xBB);
    std::remove(path.c_str());
}

TEST(ElfDumpMap, RefusesWhatIsNotACore) {
    std::string path = write_core(2);  // ET_EXEC: a vmlinux, not a dump
    ElfDumpMap m;
    EXPECT_FALSE(m.open(path));
    EXPECT_EQ(m.why(), "not an ELF64 core file");
    std::remove(path.c_str());
}

}  // namespace
}  // namespace lockalias
