#include "command/command_line.h"

#include <cctype>

#include "kernel/memory_util.h"

namespace lockalias {

namespace {

bool is_decimal_pid(const std::string& v) {
    return !v.empty() && v.find_first_not_of("0123456789") == std::string::npos && v.size() < 10;
}

class Parser {
public:
    explicit Parser(const std::vector<std::string>& args) : args_(args) {}

    CommandLine run() {
        if (words() && modes() && modifiers()) {
            c_.held = c_.mode == Mode::Held;
            c_.log = c_.mode == Mode::Log;
            c_.classes = c_.mode == Mode::Classes;
        }
        return c_;
    }

private:
    // A mode asked for, and the word that asked (for messages).
    struct Asked {
        Mode mode;
        std::string how;
    };

    bool usage(std::string why) {
        c_ = CommandLine();
        c_.outcome = ParseOutcome::UsageError;
        c_.error = std::move(why);
        return false;
    }

    void ask(Mode m, std::string how) {
        for (const Asked& a : asked_)
            if (a.mode == m) return;  // -l -l, or a second address: still one mode
        asked_.push_back({m, std::move(how)});
    }

    // Every word, getopt-style; false on the first usage error.
    bool words() {
        bool options = true;
        for (i_ = 0; i_ < args_.size(); i_++) {
            const std::string& a = args_[i_];
            if (options && a == "--") {
                options = false;
            } else if (options && a.size() > 1 && a[0] == '-') {
                if (a[1] == '-') return usage("unrecognized option '" + a + "'");
                if (!bundle(a)) return false;
            } else if (!positional(a)) {
                return false;
            }
        }
        return true;
    }

    // One word of options: "-j", "-jv", "-cADDR", "-jt33", ...
    bool bundle(const std::string& a) {
        for (size_t k = 1; k < a.size(); k++) {
            char o = a[k];
            std::string rest = a.substr(k + 1);
            switch (o) {
            case 'j': c_.json = true; break;
            case 'v': c_.verbose = true; break;
            case 'T': c_.text_too = true; break;
            case 'l': ask(Mode::Log, "-l"); break;
            case 'C': ask(Mode::Classes, "-C"); break;
            case 't': return held(rest);
            case 'c':
            case 'n': {
                std::string v;
                if (!operand(o, rest, v)) return false;
                return o == 'c' ? class_filter(v) : name_filter(v);
            }
            default:
                return usage(std::string("invalid option -- '") + o + "'");
            }
        }
        return true;
    }

    // The word after the current one, or nullptr.
    const std::string* next() const { return i_ + 1 < args_.size() ? &args_[i_ + 1] : nullptr; }

    // A required operand: the rest of the word, else the next word,
    // whatever it looks like (as getopt does).
    bool operand(char o, const std::string& rest, std::string& v) {
        if (!rest.empty()) {
            v = rest;
        } else if (takes_next_word(args_[i_], next())) {
            v = args_[++i_];
        } else {
            return usage(std::string("option requires an argument -- '") + o + "': " +
                         (o == 'c' ? "a lock_class address" : "a name pattern"));
        }
        return true;
    }

    bool once(bool& seen, const char* opt) {
        if (seen) return usage(std::string(opt) + " given twice");
        seen = true;
        return true;
    }

    // -t's operand is optional: the rest of the word, else the next word
    // unless it is an option (or empty). A decimal PID or a task address.
    bool held(const std::string& rest) {
        if (!once(seen_t_, "-t")) return false;
        ask(Mode::Held, "-t");
        std::string v = rest;
        if (takes_next_word(args_[i_], next())) v = args_[++i_];
        if (v.empty()) return true;
        if (!is_task_operand(v)) return usage("-t: not a PID or task address: " + v);
        if (is_decimal_pid(v)) c_.held_pid = parse_decimal(v, -1);
        else parse_address(v, c_.held_task);
        return true;
    }

    bool class_filter(const std::string& v) {
        if (!once(seen_c_, "-c")) return false;
        if (!parse_address(v, c_.class_addr) || !c_.class_addr)
            return usage("-c: not a lock_class address: " + v);
        return true;
    }

    bool name_filter(std::string v) {
        if (!once(seen_n_, "-n")) return false;
        // crash strips double quotes but passes single quotes through.
        if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
        if (v.empty()) return usage("-n: empty name pattern");
        c_.name_pattern = v;
        return true;
    }

    bool positional(const std::string& a) {
        if (a.empty()) return usage("empty address or symbol argument");
        uint64_t addr;
        if (parse_address(a, addr)) c_.addresses.push_back(addr);
        else c_.symbols.push_back(a);
        ask(Mode::Explain, a + " (explain)");
        return true;
    }

    // One mode at most.
    bool modes() {
        if (asked_.size() > 1)
            return usage(asked_[0].how + " and " + asked_[1].how +
                         " cannot be combined: one mode per command line");
        if (!asked_.empty()) {
            c_.mode = asked_[0].mode;
            how_ = asked_[0].how;
        }
        return true;
    }

    // Each modifier only in a mode that uses it.
    bool modifiers() {
        Mode m = c_.mode;
        if (seen_c_ && m != Mode::Scan) return usage("-c does not apply to " + how_ + ": it filters the scan");
        if (!c_.name_pattern.empty() && m != Mode::Scan)
            return usage("-n does not apply to " + how_ + ": it filters the scan");
        if (c_.verbose && m != Mode::Scan && m != Mode::Explain) return usage("-v does not apply to " + how_);
        if (c_.text_too && (m != Mode::Scan || !c_.json))
            return usage(m != Mode::Scan ? "-T does not apply to " + how_ + ": it adds the scan's text report"
                                         : std::string("-T goes with -j: the text report after the JSON document"));
        return true;
    }

    const std::vector<std::string>& args_;
    size_t i_ = 0;
    CommandLine c_;
    std::vector<Asked> asked_;
    std::string how_;  // the mode's word, once known
    bool seen_c_ = false, seen_n_ = false, seen_t_ = false;
};

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args) {
    return Parser(args).run();
}

bool takes_next_word(const std::string& word, const std::string* next) {
    if (!next || word.size() < 2 || word[0] != '-' || word[1] == '-') return false;
    for (size_t k = 1; k < word.size(); k++) {
        const bool attached = k + 1 < word.size();  // the rest of the word is the operand
        switch (word[k]) {
        case 'c':
        case 'n': return !attached;
        case 't': return !attached && !next->empty() && (*next)[0] != '-';
        default: break;  // a flag (-j, -v, ...) or an invalid option: no operand
        }
    }
    return false;
}

bool is_task_operand(const std::string& v) {
    uint64_t task = 0;
    return is_decimal_pid(v) || (parse_address(v, task) && task);
}

}  // namespace lockalias
