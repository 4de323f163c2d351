// lockalias._core: the C++ core for Python front ends (drgn's, first).
//
// Python implements the Target's questions (lockalias/drgn_target.py); this
// file only carries them across: a trampoline that turns each virtual call
// into a method call on the Python object, and run_command(). The core does
// not change for Python: the heavy reads still go through its own dump
// sources (ELF and kdump in place), chosen from Target::dump_file().
//
// The GIL stays held while a command runs: the core calls the Target from
// the calling thread only (its worker threads decompress and search pages,
// they never call the Target).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "command/command.h"
#include "command/command_line.h"
#include "dump/target.h"

namespace py = pybind11;
using lockalias::DumpFile;
using lockalias::DumpFormat;
using lockalias::EnumValues;
using lockalias::PhysRange;

namespace {

// A Python exception inside a Target question must not unwind through the
// core: it is kept (the first one) and re-raised when the command returns,
// and the question is answered "unreadable / unknown".
class PyTarget final : public lockalias::Target {
public:
    explicit PyTarget(py::object impl) : impl_(std::move(impl)) {}

    bool read_kv(uint64_t a, void* b, size_t n) override { return read("read_kv", a, b, n); }
    bool read_phys(uint64_t a, void* b, size_t n) override { return read("read_phys", a, b, n); }
    std::vector<PhysRange> memory_node_spans() override {
        std::vector<PhysRange> out;
        ask<std::vector<std::pair<uint64_t, uint64_t>>>("memory_node_spans", [&](auto spans) {
            for (auto& s : spans) out.push_back({s.first, s.second});
        });
        return out;
    }
    size_t page_size() override {
        if (!page_size_) ask<size_t>("page_size", [&](size_t v) { page_size_ = v; });
        return page_size_ ? page_size_ : 4096;
    }
    std::optional<uint64_t> kv_to_phys(uint64_t kv) override { return maybe<uint64_t>("kv_to_phys", kv); }
    uint64_t phys_to_direct_map(uint64_t p) override {
        return maybe<uint64_t>("phys_to_direct_map", p).value_or(0);
    }
    std::optional<uint64_t> page_struct_of_phys(uint64_t p) override {
        return maybe<uint64_t>("page_struct_of_phys", p);
    }
    std::optional<uint64_t> symbol_address(const std::string& n) override {
        return maybe<uint64_t>("symbol_address", n);
    }
    std::string symbol_at(uint64_t a) override { return maybe<std::string>("symbol_at", a).value_or(""); }
    std::optional<long> type_size(const std::string& t) override { return maybe<long>("type_size", t); }
    std::optional<long> member_offset(const std::string& t, const std::string& m) override {
        return maybe<long>("member_offset", t, m);
    }
    std::optional<long> member_size(const std::string& t, const std::string& m) override {
        return maybe<long>("member_size", t, m);
    }
    std::optional<long> enum_value(const std::string& e) override { return maybe<long>("enum_value", e); }
    std::optional<EnumValues> enumerators(const std::string& t) override {
        return maybe<EnumValues>("enumerators", t);
    }
    std::optional<long> array_length(const std::string& s) override { return maybe<long>("array_length", s); }
    std::optional<std::pair<long, long>> member_bits(const std::string& t, const std::string& m) override {
        return maybe<std::pair<long, long>>("member_bits", t, m);
    }
    DumpFile dump_file() override {
        DumpFile f;
        ask<std::optional<std::pair<std::string, std::string>>>("dump_file", [&](auto v) {
            if (!v) return;
            if (v->first == "elf") f = {DumpFormat::Elf, v->second};
            else if (v->first == "diskdump") f = {DumpFormat::Diskdump, v->second};
        });
        return f;
    }
    std::optional<std::string> kernel_log() override { return maybe<std::string>("kernel_log"); }
    bool interrupted() override {
        // Ctrl-C: Python's handler runs here. Its KeyboardInterrupt stops
        // the command the way Ctrl-C in crash does: what was found so far
        // is returned, marked partial; any other exception is kept.
        if (!stop_ && PyErr_CheckSignals() != 0) {
            if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) PyErr_Clear();
            else keep(py::error_already_set());
            stop_ = true;
        }
        return stop_ || failed();
    }
    int debug_level() override {
        if (debug_level_ < 0) {
            debug_level_ = 0;
            ask<int>("debug_level", [&](int v) { debug_level_ = v; });
        }
        return debug_level_;
    }
    void debug(const std::string& message) override { call("debug", message); }
    bool live() override {
        if (live_ < 0) live_ = maybe<bool>("live").value_or(false) ? 1 : 0;
        return live_ == 1;
    }
    std::string reader_name() override {
        if (reader_.empty()) reader_ = maybe<std::string>("reader_name").value_or("the target");
        return reader_;
    }

    bool stopped() const { return stop_; }

    // The first exception a question raised, to raise again in Python.
    void rethrow() {
        if (error_) {
            auto e = std::move(*error_);
            error_.reset();
            e.restore();
            throw py::error_already_set();
        }
    }

private:
    bool failed() const { return error_.has_value(); }
    bool has(const char* method) {
        auto it = has_.find(method);
        if (it == has_.end()) it = has_.emplace(method, py::hasattr(impl_, method)).first;
        return it->second;
    }
    void keep(py::error_already_set&& e) {
        if (!error_) error_.emplace(std::move(e));
    }
    template <typename... A>
    py::object call(const char* method, A&&... args) {
        if (failed() || stop_) return py::none();  // one failure is enough: answer the rest "unknown"
        // The Target's optional questions (those with a default in
        // target.h) may be missing from a Python target: the default then.
        if (!has(method)) return py::none();
        try {
            return impl_.attr(method)(std::forward<A>(args)...);
        } catch (py::error_already_set& e) {
            // Ctrl-C mostly lands inside a question (Python runs the
            // handler at its next bytecode): it stops the command, as in
            // interrupted(); what was found so far is returned.
            if (e.matches(PyExc_KeyboardInterrupt)) stop_ = true;
            else keep(std::move(e));
        } catch (const py::cast_error& e) {
            PyErr_SetString(PyExc_TypeError, (std::string(method) + ": " + e.what()).c_str());
            keep(py::error_already_set());
        }
        return py::none();
    }
    // None from Python means "no such thing" / "unreadable".
    template <typename T, typename... A>
    std::optional<T> maybe(const char* method, A&&... args) {
        std::optional<T> out;
        ask<T>(method, [&](T v) { out = std::move(v); }, std::forward<A>(args)...);
        return out;
    }
    template <typename T, typename Use, typename... A>
    void ask(const char* method, Use use, A&&... args) {
        py::object r = call(method, std::forward<A>(args)...);
        if (r.is_none()) return;
        try {
            use(r.cast<T>());
        } catch (const py::cast_error& e) {
            PyErr_SetString(PyExc_TypeError, (std::string(method) + " returned the wrong type").c_str());
            keep(py::error_already_set());
        }
    }
    bool read(const char* method, uint64_t addr, void* buf, size_t len) {
        py::object r = call(method, addr, len);
        if (r.is_none()) return false;
        char* data;
        Py_ssize_t n;
        if (!PyBytes_Check(r.ptr()) || PyBytes_AsStringAndSize(r.ptr(), &data, &n) != 0 || size_t(n) != len) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, (std::string(method) + " must return bytes of the length asked, or None").c_str());
            keep(py::error_already_set());
            return false;
        }
        std::memcpy(buf, data, len);
        return true;
    }

    py::object impl_;
    std::optional<py::error_already_set> error_;
    size_t page_size_ = 0;
    int debug_level_ = -1;
    std::string reader_;
    int live_ = -1;  // asked once
    std::map<std::string, bool> has_;
    bool stop_ = false;
};

// run_command(target, args) -> (output, [error lines], interrupted): the
// same words and the same text and JSON as `lockalias ARGS` in crash.
std::tuple<std::string, std::vector<std::string>, bool> run_command(py::object impl,
                                                                    const std::vector<std::string>& args) {
    PyTarget target(std::move(impl));
    lockalias::CommandResult r = lockalias::run_command(target, args);
    target.rethrow();
    return {std::move(r.output), std::move(r.errors), target.stopped()};
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "lockalias's C++ core: run_command(target, args) on any Python Target";
    m.def("run_command", &run_command, py::arg("target"), py::arg("args"),
          "Runs one lockalias command line on TARGET (an object answering the Target's "
          "questions, see lockalias.drgn_target) and returns (output, errors, interrupted).");
    m.def(
        "takes_next_word",
        [](const std::string& word, std::optional<std::string> next) {
            return lockalias::takes_next_word(word, next ? &*next : nullptr);
        },
        py::arg("word"), py::arg("next"),
        "Whether the lockalias option word WORD takes NEXT (None: no next word) as its "
        "operand, by the core's own command-line rules.");
    m.def("is_task_operand", &lockalias::is_task_operand, py::arg("word"),
          "Whether WORD is what -t's operand must be: a decimal PID or a task address.");
}
