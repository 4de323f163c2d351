// Bytes of a dump file at an offset, whatever form the file was written
// in: a plain file (pread), or makedumpfile's flattened format (`-F`, the
// form sent over a pipe or ssh), which is the same file cut into records
// `{offset, size, bytes}` written in whatever order makedumpfile produced
// them. crash reads a flattened file the same way (makedumpfile.c:
// store_flat_data_array() indexes the records once, read_flattened_format()
// maps each read), without rearranging it into a temporary file.
//
// The file says what it is: a flattened one starts with makedumpfile's
// header ("makedumpfile", type 1, big-endian); anything else is read plain.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lockalias {

class DumpFileAccess {
public:
    virtual ~DumpFileAccess() = default;
    // len bytes of the (rearranged) file at off; false when any of them
    // lies beyond its end or a read fails. Safe to call from several
    // threads at once.
    virtual bool read(void* buf, size_t len, uint64_t off) const = 0;
    // One past the last byte of the (rearranged) file.
    virtual uint64_t size() const = 0;
    virtual bool flattened() const = 0;
};

// The file at path, plain or flattened; nullptr (with why) when it cannot
// be opened, or says it is flattened but its records are damaged: cut
// short (no end marker), out of the file, negative, or overlapping.
std::unique_ptr<DumpFileAccess> open_dump_file_access(const std::string& path, std::string& why);

}  // namespace lockalias
