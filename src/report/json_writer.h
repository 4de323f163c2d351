// A minimal streaming JSON writer: enough for lockalias's documents, with
// correct string escaping. No dependency for ~60 lines.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lockalias {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(const std::string& k);
    JsonWriter& value(const std::string& s);
    JsonWriter& value(const char* s) { return value(std::string(s)); }
    JsonWriter& value(int64_t v);
    JsonWriter& value(long long v) { return value(int64_t(v)); }
    JsonWriter& value(uint64_t v);
    JsonWriter& value(int v) { return value(int64_t(v)); }
    JsonWriter& value(unsigned v) { return value(uint64_t(v)); }
    JsonWriter& value(double v);
    JsonWriter& value(bool b);
    JsonWriter& null();
    JsonWriter& address(uint64_t a);  // "0xffff..." string
    template <typename T>
    JsonWriter& field(const std::string& k, const T& v) { key(k); return value(v); }

    const std::string& str() const { return out_; }

private:
    void separate();
    std::string out_;
    std::vector<bool> first_;  // per open container: no element written yet
    bool after_key_ = false;
};

std::string json_escape(const std::string& s);

}  // namespace lockalias
