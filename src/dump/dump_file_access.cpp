#include "dump/dump_file_access.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace lockalias {

namespace {

bool pread_exact(int fd, void* buf, size_t len, uint64_t off) {
    auto* p = static_cast<uint8_t*>(buf);
    while (len) {
        ssize_t n = pread(fd, p, len, off_t(off));
        if (n <= 0) return false;
        p += n, len -= size_t(n), off += uint64_t(n);
    }
    return true;
}

uint64_t big_endian64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

class PlainFile final : public DumpFileAccess {
public:
    PlainFile(int fd, uint64_t size) : fd_(fd), size_(size) {}
    bool read(void* buf, size_t len, uint64_t off) const override {
        if (off > size_ || len > size_ - off) return false;
        return pread_exact(fd_.get(), buf, len, off);
    }
    uint64_t size() const override { return size_; }
    bool flattened() const override { return false; }

private:
    Fd fd_;
    uint64_t size_;
};

// makedumpfile.h: struct makedumpfile_header {char signature[16]
// ("makedumpfile"); int64_t type (1: flattened); int64_t version;}, in a
// block of MAX_SIZE_MDF_HEADER (4096) bytes, then records of struct
// makedumpfile_data_header {int64_t offset; int64_t buf_size;} and
// buf_size bytes, up to one whose offset is END_FLAG_FLAT_HEADER (-1).
// Every integer is big-endian (makedumpfile.c: write_buffer()).
constexpr uint64_t kFlatHeaderBlock = 4096, kRecordHeader = 16;
constexpr int64_t kFlatEnd = -1;

// One entry per record: makedumpfile writes page data and descriptors
// through its write cache in records of page_size << block_order (64 KiB
// by default), headers and bitmaps in smaller ones; 24 bytes per 64 KiB is
// about 0.4 MiB of index per GiB of flattened file (crash keeps the same
// index, 24 bytes a record).
class FlattenedFile final : public DumpFileAccess {
public:
    struct Record {
        uint64_t offset;  // in the rearranged file
        uint64_t at;      // in the flattened file
        uint64_t size;
    };
    FlattenedFile(int fd, std::vector<Record> records) : fd_(fd), records_(std::move(records)) {}
    bool read(void* buf, size_t len, uint64_t off) const override {
        auto* p = static_cast<uint8_t*>(buf);
        if (off > size() || len > size() - off) return false;
        // The last record starting at or before off.
        auto it = std::upper_bound(records_.begin(), records_.end(), off,
                                   [](uint64_t o, const Record& r) { return o < r.offset; });
        while (len) {
            if (it != records_.begin() && off < std::prev(it)->offset + std::prev(it)->size) {
                const Record& r = *std::prev(it);
                const size_t n = size_t(std::min<uint64_t>(len, r.offset + r.size - off));
                if (!pread_exact(fd_.get(), p, n, r.at + (off - r.offset))) return false;
                p += n, len -= n, off += n;
            } else {
                // Between records: bytes makedumpfile skipped over (a hole
                // in a plain file), zeros as crash reads them.
                const size_t n = size_t(std::min<uint64_t>(len, it->offset - off));
                std::memset(p, 0, n);
                p += n, len -= n, off += n;
            }
            if (it != records_.end() && off >= it->offset) ++it;
        }
        return true;
    }
    uint64_t size() const override { return records_.empty() ? 0 : records_.back().offset + records_.back().size; }
    bool flattened() const override { return true; }

private:
    Fd fd_;
    std::vector<Record> records_;  // sorted by offset, none overlapping
};

std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", (unsigned long long)v);
    return b;
}

// The records of a flattened file, one pass over their headers; empty with
// why on damage.
std::vector<FlattenedFile::Record> index_records(int fd, uint64_t file_size, std::string& why) {
    std::vector<FlattenedFile::Record> records;
    uint64_t pos = kFlatHeaderBlock;
    // Headers are read through a buffer: one pread per record would be a
    // syscall per 64 KiB.
    std::vector<uint8_t> buf;
    uint64_t buf_at = 0;
    for (;;) {
        if (pos + kRecordHeader > file_size) {
            why = "flattened kdump is cut short (no end record after " + std::to_string(records.size()) + " records)";
            return {};
        }
        if (pos < buf_at || pos + kRecordHeader > buf_at + buf.size()) {
            buf.resize(size_t(std::min<uint64_t>(64 << 10, file_size - pos)));
            buf_at = pos;
            if (!pread_exact(fd, buf.data(), buf.size(), pos)) {
                why = "flattened kdump: cannot read the record at " + hex(pos);
                return {};
            }
        }
        const int64_t offset = int64_t(big_endian64(&buf[pos - buf_at]));
        const int64_t size = int64_t(big_endian64(&buf[pos - buf_at + 8]));
        if (offset == kFlatEnd) break;
        pos += kRecordHeader;
        if (offset < 0 || size < 0 || uint64_t(size) > file_size - pos ||
            uint64_t(offset) + uint64_t(size) < uint64_t(offset)) {
            why = "flattened kdump: record at " + hex(pos - kRecordHeader) + " (offset " + hex(uint64_t(offset)) +
                  ", " + std::to_string(size) + " bytes) lies outside the file";
            return {};
        }
        if (size) records.push_back({uint64_t(offset), pos, uint64_t(size)});
        pos += uint64_t(size);
    }
    // Mostly in order already: makedumpfile writes forward, with the
    // headers and bitmaps interleaved.
    std::stable_sort(records.begin(), records.end(),
                     [](const FlattenedFile::Record& a, const FlattenedFile::Record& b) { return a.offset < b.offset; });
    for (size_t i = 1; i < records.size(); i++) {
        if (records[i].offset < records[i - 1].offset + records[i - 1].size) {
            why = "flattened kdump: two records hold offset " + hex(records[i].offset);
            return {};
        }
    }
    if (records.empty()) why = "flattened kdump holds no data";
    return records;
}

}  // namespace

std::unique_ptr<DumpFileAccess> open_dump_file_access(const std::string& path, std::string& why) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        why = "cannot open " + path;
        return nullptr;
    }
    auto fail = [&](const std::string& complaint) -> std::unique_ptr<DumpFileAccess> {
        ::close(fd);
        if (!complaint.empty()) why = complaint;
        return nullptr;
    };
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return fail("not a regular file: " + path);
    const uint64_t file_size = uint64_t(st.st_size);
    uint8_t h[32];
    const bool flat = file_size >= kFlatHeaderBlock && pread_exact(fd, h, sizeof h, 0) &&
                      std::memcmp(h, "makedumpfile", 13) == 0 && big_endian64(h + 16) == 1;
    if (!flat) return std::make_unique<PlainFile>(fd, file_size);
    std::vector<FlattenedFile::Record> records = index_records(fd, file_size, why);
    if (records.empty()) return fail("");
    return std::make_unique<FlattenedFile>(fd, std::move(records));
}

}  // namespace lockalias
