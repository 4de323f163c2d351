#include "dump/elf_symbol_sizes.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>

namespace lockalias {

namespace {

struct Found {
    uint64_t value, size;
    size_t wanted;  // index into the wanted list
};

// Every object symbol whose name is wanted, and _stext's link-time address.
bool read_symbols(Elf* elf, const std::vector<ObjectSymbol>& wanted, std::vector<Found>& found,
                  std::optional<uint64_t>& stext) {
    bool any = false;
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
        Elf_Data* data = elf_getdata(scn, nullptr);
        Elf_Scn* str_scn = elf_getscn(elf, sh.sh_link);
        Elf_Data* strings = str_scn ? elf_getdata(str_scn, nullptr) : nullptr;
        if (!data || !strings || !data->d_buf || !strings->d_buf) continue;
        any = true;
        // Read in place (libelf maps the file): a pass of gelf_getsym() and
        // elf_strptr() per symbol costs ten times as much.
        const auto* syms = static_cast<const Elf64_Sym*>(data->d_buf);
        const char* names = static_cast<const char*>(strings->d_buf);
        const size_t n = data->d_size / sizeof(Elf64_Sym), names_len = strings->d_size;
        if (!names_len || names[names_len - 1] != '\0') return false;  // damaged: a name could run off the table
        for (size_t i = 0; i < n; i++) {
            const Elf64_Sym& s = syms[i];
            if (s.st_name >= names_len) continue;
            const char* name = names + s.st_name;
            if (!stext && std::strcmp(name, "_stext") == 0) stext = s.st_value;
            if (ELF64_ST_TYPE(s.st_info) != STT_OBJECT || !s.st_size) continue;
            for (size_t w = 0; w < wanted.size(); w++)
                if (name[0] == wanted[w].name[0] && wanted[w].name == name) found.push_back({s.st_value, s.st_size, w});
        }
    }
    return any;
}

}  // namespace

std::vector<std::optional<uint64_t>> elf_object_sizes(const std::string& vmlinux,
                                                      const std::vector<ObjectSymbol>& wanted, uint64_t stext) {
    std::vector<std::optional<uint64_t>> sizes(wanted.size());
    if (elf_version(EV_CURRENT) == EV_NONE) return sizes;
    const int fd = ::open(vmlinux.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sizes;
    Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    std::vector<Found> found;
    std::optional<uint64_t> link_stext;
    const bool ok = elf && elf_kind(elf) == ELF_K_ELF && gelf_getclass(elf) == ELFCLASS64 &&
                    read_symbols(elf, wanted, found, link_stext) && link_stext;
    if (elf) elf_end(elf);
    ::close(fd);
    if (!ok) return sizes;
    const uint64_t relocation = stext - *link_stext;
    for (const Found& f : found)
        if (f.value + relocation == wanted[f.wanted].address) sizes[f.wanted] = f.size;
    return sizes;
}

}  // namespace lockalias
