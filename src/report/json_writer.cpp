#include "report/json_writer.h"

#include <cstdio>

namespace lockalias {

std::string json_escape(const std::string& s) {
    std::string o = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': o += "\\\""; break;
        case '\\': o += "\\\\"; break;
        case '\n': o += "\\n"; break;
        case '\t': o += "\\t"; break;
        case '\r': o += "\\r"; break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                o += buf;
            } else {
                o += char(c);
            }
        }
    }
    return o + "\"";
}

void JsonWriter::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_ += ",";
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::begin_object() { separate(); out_ += "{"; first_.push_back(true); return *this; }
JsonWriter& JsonWriter::end_object() { out_ += "}"; first_.pop_back(); return *this; }
JsonWriter& JsonWriter::begin_array() { separate(); out_ += "["; first_.push_back(true); return *this; }
JsonWriter& JsonWriter::end_array() { out_ += "]"; first_.pop_back(); return *this; }

JsonWriter& JsonWriter::key(const std::string& k) {
    separate();
    out_ += json_escape(k) + ":";
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::value(const std::string& s) { separate(); out_ += json_escape(s); return *this; }
JsonWriter& JsonWriter::value(int64_t v) { separate(); out_ += std::to_string(v); return *this; }
JsonWriter& JsonWriter::value(uint64_t v) { separate(); out_ += std::to_string(v); return *this; }
JsonWriter& JsonWriter::value(bool b) { separate(); out_ += b ? "true" : "false"; return *this; }
JsonWriter& JsonWriter::null() { separate(); out_ += "null"; return *this; }

JsonWriter& JsonWriter::value(double v) {
    separate();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    out_ += buf;
    return *this;
}

JsonWriter& JsonWriter::address(uint64_t a) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "\"0x%016llx\"", static_cast<unsigned long long>(a));
    separate();
    out_ += buf;
    return *this;
}

}  // namespace lockalias
