// Object sizes from a vmlinux's symbol table: the symbol at the kernel's
// address of the name (static names repeat), after the KASLR relocation.
#include <gtest/gtest.h>

#include <elf.h>

#include "dump/elf_symbol_sizes.h"
#include "dump_files.h"

namespace lockalias::test {
namespace {

struct Sym {
    std::string name;
    uint64_t value, size;
    int type;
};

// An ELF64 executable with a .symtab and its .strtab, nothing else.
std::string write_vmlinux(const std::vector<Sym>& syms, bool terminate_strings = true) {
    std::vector<uint8_t> strtab(1, 0);
    std::vector<Elf64_Sym> table(1);  // symbol 0 is the null symbol
    for (const Sym& s : syms) {
        Elf64_Sym e{};
        e.st_name = uint32_t(strtab.size());
        e.st_info = uint8_t(ELF64_ST_INFO(STB_LOCAL, s.type));
        e.st_value = s.value;
        e.st_size = s.size;
        e.st_shndx = 1;
        table.push_back(e);
        strtab.insert(strtab.end(), s.name.begin(), s.name.end());
        strtab.push_back(0);
    }
    if (!terminate_strings) strtab.back() = 'x';
    const size_t symtab_at = 64, strtab_at = symtab_at + table.size() * sizeof(Elf64_Sym);
    const size_t shoff = (strtab_at + strtab.size() + 7) / 8 * 8;
    std::vector<uint8_t> b(shoff + 3 * sizeof(Elf64_Shdr), 0);
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_shoff = shoff;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 3;
    std::memcpy(b.data(), &eh, sizeof eh);
    std::memcpy(b.data() + symtab_at, table.data(), table.size() * sizeof(Elf64_Sym));
    std::memcpy(b.data() + strtab_at, strtab.data(), strtab.size());
    Elf64_Shdr sh[3] = {};
    sh[1].sh_type = SHT_SYMTAB;
    sh[1].sh_offset = symtab_at;
    sh[1].sh_size = table.size() * sizeof(Elf64_Sym);
    sh[1].sh_link = 2;
    sh[1].sh_entsize = sizeof(Elf64_Sym);
    sh[1].sh_addralign = 8;
    sh[2].sh_type = SHT_STRTAB;
    sh[2].sh_offset = strtab_at;
    sh[2].sh_size = strtab.size();
    sh[2].sh_addralign = 1;
    std::memcpy(b.data() + shoff, sh, sizeof sh);
    return write_temp_file(b, "lockalias_vmlinux");
}

constexpr uint64_t kStext = 0xffffffff81000000ULL;

TEST(ElfObjectSizes, TheSymbolAtTheAddressAfterRelocation) {
    const uint64_t reloc = 0x3c00000;  // KASLR: the kernel runs this far up
    const std::string path = write_vmlinux({
        {"_stext", kStext, 0, STT_FUNC},
        {"stack_trace", kStext + 0x100000, 0x400000, STT_OBJECT},  // lockdep.c's
        {"stack_trace", kStext + 0x900000, 0x80, STT_OBJECT},      // another file's static
        {"list_entries", kStext + 0x200000, 0x1c0000, STT_OBJECT},
        {"chain_hlocks", kStext + 0x300000, 0, STT_OBJECT},        // no size
        {"lock_chains", kStext + 0x400000, 0x1000, STT_FUNC},      // not an object
    });
    auto sizes = elf_object_sizes(path,
                                  {{"stack_trace", kStext + 0x100000 + reloc},
                                   {"stack_trace", kStext + 0x900000 + reloc},
                                   {"list_entries", kStext + 0x200000 + reloc},
                                   {"list_entries", kStext + 0x200000},  // not relocated: not the kernel's
                                   {"chain_hlocks", kStext + 0x300000 + reloc},
                                   {"lock_chains", kStext + 0x400000 + reloc},
                                   {"lock_classes", kStext + 0x500000 + reloc}},
                                  kStext + reloc);
    ASSERT_EQ(sizes.size(), 7u);
    EXPECT_EQ(sizes[0], std::optional<uint64_t>(0x400000));
    EXPECT_EQ(sizes[1], std::optional<uint64_t>(0x80));
    EXPECT_EQ(sizes[2], std::optional<uint64_t>(0x1c0000));
    EXPECT_FALSE(sizes[3]);
    EXPECT_FALSE(sizes[4]);
    EXPECT_FALSE(sizes[5]);
    EXPECT_FALSE(sizes[6]);
    std::remove(path.c_str());
}

TEST(ElfObjectSizes, NothingWithoutStextASymbolTableOrItsEnd) {
    const ObjectSymbol want{"list_entries", kStext + 0x200000};
    const std::string no_stext = write_vmlinux({{"list_entries", kStext + 0x200000, 64, STT_OBJECT}});
    EXPECT_FALSE(elf_object_sizes(no_stext, {want}, kStext)[0]);
    const std::string unterminated = write_vmlinux(
        {{"_stext", kStext, 0, STT_FUNC}, {"list_entries", kStext + 0x200000, 64, STT_OBJECT}}, false);
    EXPECT_FALSE(elf_object_sizes(unterminated, {want}, kStext)[0]);
    const std::string not_elf = write_temp_file(std::vector<uint8_t>(4096, 0x5a), "lockalias_noise");
    EXPECT_FALSE(elf_object_sizes(not_elf, {want}, kStext)[0]);
    EXPECT_FALSE(elf_object_sizes("/nonexistent/vmlinux", {want}, kStext)[0]);
    for (const std::string& p : {no_stext, unterminated, not_elf}) std::remove(p.c_str());
}

}  // namespace
}  // namespace lockalias::test
