// The one door between lockalias's core and a kernel image: memory reads,
// debuginfo look-ups and address translation. crash implements it in
// extension/; tests implement it over synthetic memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lockalias {

using EnumValues = std::map<std::string, long>;

enum class DumpFormat {
    Other,
    Elf,       // an ELF core (kdump, netdump, QEMU)
    Diskdump,  // makedumpfile's compressed kdump (crash: DISKDUMP_DUMPFILE), plain,
               // flattened (-F) or split (--split): the files say which
};

struct DumpFile {
    DumpFormat format = DumpFormat::Other;
    std::string path;
    // Every file of a split dump, path among them; empty for one file.
    std::vector<std::string> paths = {};
};

// A data object by its symbol, at the address the running kernel has it
// (the name alone is ambiguous: static symbols repeat across files).
struct ObjectSymbol {
    std::string name;
    uint64_t address;
};

struct PhysRange {
    uint64_t start;  // first byte
    uint64_t end;    // one past the last byte
};

class Target {
public:
    virtual ~Target() = default;

    // Memory. Both return false when any byte is unreadable (not in the
    // dump, excluded by makedumpfile, unmapped).
    virtual bool read_kv(uint64_t kvaddr, void* buf, size_t len) = 0;
    virtual bool read_phys(uint64_t paddr, void* buf, size_t len) = 0;
    // The physical span of each memory node (crash's node_table), holes
    // included: kernel/system_ram.h narrows it to the System RAM to scan.
    virtual std::vector<PhysRange> memory_node_spans() = 0;
    virtual size_t page_size() = 0;

    // Translation.
    virtual std::optional<uint64_t> kv_to_phys(uint64_t kvaddr) = 0;
    virtual uint64_t phys_to_direct_map(uint64_t paddr) = 0;
    virtual std::optional<uint64_t> page_struct_of_phys(uint64_t paddr) = 0;

    // Debuginfo. nullopt means "this kernel has no such thing".
    virtual std::optional<uint64_t> symbol_address(const std::string& name) = 0;
    virtual std::string symbol_at(uint64_t addr) = 0;  // "sym+0x10" or ""
    virtual std::optional<long> type_size(const std::string& type) = 0;
    virtual std::optional<long> member_offset(const std::string& type,
                                              const std::string& member) = 0;
    virtual std::optional<long> member_size(const std::string& type,
                                            const std::string& member) = 0;
    virtual std::optional<long> enum_value(const std::string& enumerator) = 0;
    // Every enumerator of an enum type at once; nullopt when the target
    // cannot list them (then ask enum_value per name).
    virtual std::optional<EnumValues> enumerators(const std::string& enum_type) {
        (void)enum_type;
        return std::nullopt;
    }
    virtual std::optional<long> array_length(const std::string& symbol) = 0;
    // The byte sizes of data objects, asked all at once, where the reader
    // has them without a debuginfo look-up per name (crash: the vmlinux's
    // symbol table, elf_symbol_sizes.h; a gdb look-up is about 0.7 ms a
    // name). nullopt entries: ask array_length() and type_size().
    virtual std::vector<std::optional<uint64_t>> object_sizes(const std::vector<ObjectSymbol>& objects) {
        return std::vector<std::optional<uint64_t>>(objects.size());
    }
    // Bit position (from the start of the struct) and width of a bitfield.
    virtual std::optional<std::pair<long, long>> member_bits(const std::string& type,
                                                             const std::string& member) {
        (void)type, (void)member;
        return std::nullopt;
    }

    // The dump file(s) behind the Target, when it reads a format lockalias
    // can read in place too (see dump/dump_source.h); Other with an empty
    // path for anything else (live memory, remote dumps, ...).
    virtual DumpFile dump_file() { return {}; }

    // Whether this is the running kernel, not a dump: its memory changes
    // while it is read.
    virtual bool live() { return false; }

    // The kernel log as crash's `log` prints it; nullopt when unavailable.
    virtual std::optional<std::string> kernel_log() { return std::nullopt; }

    // What answers these questions, as reports name it ("pages read through
    // crash", "differ from drgn's reads").
    virtual std::string reader_name() { return "crash"; }

    // True once the user asked to stop (Ctrl-C); long loops poll it.
    virtual bool interrupted() = 0;

    // Diagnostics for whoever debugs lockalias itself (crash: `set debug N`):
    // a message of level n is worth saying when debug_level() >= n.
    virtual int debug_level() { return 0; }
    virtual void debug(const std::string& message) { (void)message; }
};

}  // namespace lockalias
