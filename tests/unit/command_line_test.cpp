// lockalias's command line: getopt-style words, one mode per line, each
// modifier only in the modes that use it (docs/usage.md, "Options"),
// and usage errors as an outcome, never as a run.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "command/command_line.h"

namespace lockalias {
namespace {

using Args = std::vector<std::string>;

CommandLine ok(const Args& args) {
    CommandLine c = parse_command_line(args);
    EXPECT_EQ(c.outcome, ParseOutcome::Ok) << c.error;
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(c.error, "");
    return c;
}

// A usage error; returns its message.
std::string usage(const Args& args) {
    CommandLine c = parse_command_line(args);
    EXPECT_EQ(c.outcome, ParseOutcome::UsageError) << "accepted";
    EXPECT_FALSE(c.ok());
    EXPECT_NE(c.error, "");
    // crash's error() names the command itself.
    EXPECT_NE(c.error.rfind("lockalias", 0), 0u) << c.error;
    // Nothing to run: no mode, no modifier survives.
    EXPECT_EQ(c.mode, Mode::Scan);
    EXPECT_FALSE(c.held || c.log || c.classes || c.json || c.verbose);
    EXPECT_TRUE(c.addresses.empty() && c.symbols.empty());
    return c.error;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// ---- modes --------------------------------------------------------------------

TEST(CommandLineModes, NoArgumentsIsTheScan) {
    CommandLine c = ok({});
    EXPECT_EQ(c.mode, Mode::Scan);
    EXPECT_FALSE(c.held || c.log || c.classes || c.json || c.verbose);
}

TEST(CommandLineModes, EachModeAlone) {
    EXPECT_EQ(ok({"ffff888003a4d298"}).mode, Mode::Explain);
    EXPECT_EQ(ok({"jiffies"}).mode, Mode::Explain);
    CommandLine t = ok({"-t"});
    EXPECT_EQ(t.mode, Mode::Held);
    EXPECT_TRUE(t.held);
    EXPECT_FALSE(t.log || t.classes);
    CommandLine l = ok({"-l"});
    EXPECT_EQ(l.mode, Mode::Log);
    EXPECT_TRUE(l.log);
    EXPECT_FALSE(l.held || l.classes);
    CommandLine k = ok({"-C"});
    EXPECT_EQ(k.mode, Mode::Classes);
    EXPECT_TRUE(k.classes);
    EXPECT_FALSE(k.held || k.log);
}

TEST(CommandLineModes, RepeatingTheSameModeIsStillOneMode) {
    EXPECT_EQ(ok({"-l", "-l"}).mode, Mode::Log);
    EXPECT_EQ(ok({"-CC"}).mode, Mode::Classes);
    CommandLine c = ok({"ffff888003a4d298", "jiffies", "0xffff888003a4d000"});
    EXPECT_EQ(c.mode, Mode::Explain);
    EXPECT_EQ(c.addresses, (std::vector<uint64_t>{0xffff888003a4d298ULL, 0xffff888003a4d000ULL}));
    EXPECT_EQ(c.symbols, (std::vector<std::string>{"jiffies"}));
}

TEST(CommandLineModes, EveryPairOfModesConflicts) {
    struct Case {
        Args args;
        const char* first;
        const char* second;
    };
    const Case cases[] = {
        {{"-t", "-l"}, "-t", "-l"},
        {{"-l", "-t"}, "-l", "-t"},
        {{"-t", "-C"}, "-t", "-C"},
        {{"-C", "-l"}, "-C", "-l"},
        {{"-l", "-C"}, "-l", "-C"},
        {{"-lt"}, "-l", "-t"},  // (-tl: "l" would be -t's operand, as for getopt)
        {{"-lC"}, "-l", "-C"},
        {{"ffff888003a4d298", "-l"}, "ffff888003a4d298", "-l"},
        {{"-l", "ffff888003a4d298"}, "-l", "ffff888003a4d298"},
        {{"jiffies", "-C"}, "jiffies", "-C"},
        {{"-C", "jiffies"}, "-C", "jiffies"},
        {{"jiffies", "-t"}, "jiffies", "-t"},
        {{"-t", "33", "ffff888003a4d298"}, "-t", "ffff888003a4d298"},
        {{"-t", "--", "33"}, "-t", "33"},
    };
    for (const Case& k : cases) {
        std::string why = usage(k.args);
        EXPECT_TRUE(contains(why, k.first) && contains(why, k.second)) << why;
        EXPECT_TRUE(contains(why, "one mode")) << why;
    }
}

// ---- modifiers ------------------------------------------------------------------

TEST(CommandLineModifiers, AllFourInTheScan) {
    CommandLine c = ok({"-j", "-v", "-c", "0xffffffff82a00000", "-n", "*xmit*"});
    EXPECT_EQ(c.mode, Mode::Scan);
    EXPECT_TRUE(c.json);
    EXPECT_TRUE(c.verbose);
    EXPECT_EQ(c.class_addr, 0xffffffff82a00000ULL);
    EXPECT_EQ(c.name_pattern, "*xmit*");
}

TEST(CommandLineModifiers, JsonInEveryMode) {
    EXPECT_TRUE(ok({"-j"}).json);
    EXPECT_TRUE(ok({"-j", "jiffies"}).json);
    EXPECT_TRUE(ok({"-j", "-t"}).json);
    EXPECT_TRUE(ok({"-j", "-l"}).json);
    EXPECT_TRUE(ok({"-j", "-C"}).json);
}

TEST(CommandLineModifiers, TextTooOnlyWithJsonInTheScan) {
    EXPECT_TRUE(ok({"-jT"}).text_too);
    EXPECT_TRUE(ok({"-T", "-j"}).json);
    EXPECT_TRUE(contains(usage({"-T"}), "-T goes with -j"));
    EXPECT_TRUE(contains(usage({"-jT", "-l"}), "-T does not apply to -l"));
    EXPECT_TRUE(contains(usage({"-jT", "jiffies"}), "-T does not apply to"));
}

TEST(CommandLineModifiers, VerboseInScanAndExplainOnly) {
    EXPECT_TRUE(ok({"-v"}).verbose);
    EXPECT_TRUE(ok({"-v", "ffff888003a4d298"}).verbose);
    EXPECT_TRUE(contains(usage({"-t", "-v"}), "-v does not apply to -t"));
    EXPECT_TRUE(contains(usage({"-v", "-l"}), "-v does not apply to -l"));
    EXPECT_TRUE(contains(usage({"-Cv"}), "-v does not apply to -C"));
}

TEST(CommandLineModifiers, FiltersInTheScanOnly) {
    for (const char* mode : {"-t", "-l", "-C", "ffff888003a4d298", "jiffies"}) {
        std::string c = usage({mode, "-c", "ffffffff82a00000"});
        EXPECT_TRUE(contains(c, "-c does not apply to") && contains(c, mode)) << c;
        std::string n = usage({"-n", "*xmit*", mode});
        EXPECT_TRUE(contains(n, "-n does not apply to") && contains(n, mode)) << n;
    }
    // and together with -j, which is allowed there
    usage({"-jl", "-n", "x"});
}

// ---- getopt-style words ---------------------------------------------------------

TEST(CommandLineWords, BundledFlagsInAnyOrder) {
    for (const Args& a : {Args{"-jv"}, Args{"-vj"}, Args{"-j", "-v"}, Args{"-v", "-j"}}) {
        CommandLine c = ok(a);
        EXPECT_TRUE(c.json && c.verbose);
        EXPECT_EQ(c.mode, Mode::Scan);
    }
    CommandLine c = ok({"-jC"});
    EXPECT_TRUE(c.json);
    EXPECT_EQ(c.mode, Mode::Classes);
}

TEST(CommandLineWords, OperandsAttachedOrApart) {
    EXPECT_EQ(ok({"-cffffffff82a00000"}).class_addr, 0xffffffff82a00000ULL);
    EXPECT_EQ(ok({"-c", "ffffffff82a00000"}).class_addr, 0xffffffff82a00000ULL);
    EXPECT_EQ(ok({"-c0xffffffff82a00000"}).class_addr, 0xffffffff82a00000ULL);
    EXPECT_EQ(ok({"-n*xmit*"}).name_pattern, "*xmit*");
    EXPECT_EQ(ok({"-n", "*xmit*"}).name_pattern, "*xmit*");
    // in a bundle, the operand is the rest of the word, or the next word
    CommandLine c = ok({"-jvcffffffff82a00000"});
    EXPECT_TRUE(c.json && c.verbose);
    EXPECT_EQ(c.class_addr, 0xffffffff82a00000ULL);
    c = ok({"-jn", "*xmit*", "-v"});
    EXPECT_TRUE(c.json && c.verbose);
    EXPECT_EQ(c.name_pattern, "*xmit*");
    // a required operand is the next word whatever it looks like
    EXPECT_EQ(ok({"-n", "-weird-"}).name_pattern, "-weird-");
}

TEST(CommandLineWords, NameQuotesAreStripped) {
    EXPECT_EQ(ok({"-n", "'*xmit*'"}).name_pattern, "*xmit*");
    EXPECT_EQ(ok({"-n'*xmit*'"}).name_pattern, "*xmit*");
    EXPECT_EQ(ok({"-n", "'a b'"}).name_pattern, "a b");
    EXPECT_EQ(ok({"-n", "'"}).name_pattern, "'");  // one quote is the pattern itself
    EXPECT_TRUE(contains(usage({"-n", "''"}), "empty name pattern"));
}

TEST(CommandLineWords, OptionsAndPositionalsInAnyOrder) {
    CommandLine c = ok({"ffff888003a4d298", "-j", "jiffies", "-v"});
    EXPECT_EQ(c.mode, Mode::Explain);
    EXPECT_TRUE(c.json && c.verbose);
    EXPECT_EQ(c.addresses.size(), 1u);
    EXPECT_EQ(c.symbols, (std::vector<std::string>{"jiffies"}));
}

TEST(CommandLineWords, DoubleDashEndsTheOptions) {
    CommandLine c = ok({"-j", "--", "-odd_symbol", "-v", "ffff888003a4d298"});
    EXPECT_EQ(c.mode, Mode::Explain);
    EXPECT_TRUE(c.json);
    EXPECT_FALSE(c.verbose);  // "-v" after -- is a symbol
    EXPECT_EQ(c.symbols, (std::vector<std::string>{"-odd_symbol", "-v"}));
    EXPECT_EQ(c.addresses, (std::vector<uint64_t>{0xffff888003a4d298ULL}));
    // only the first -- is special
    EXPECT_EQ(ok({"--", "--"}).symbols, (std::vector<std::string>{"--"}));
    // nothing after it: the scan
    EXPECT_EQ(ok({"-j", "--"}).mode, Mode::Scan);
    // "-" alone is a word, not an option (as for getopt)
    EXPECT_EQ(ok({"-"}).symbols, (std::vector<std::string>{"-"}));
}

// ---- -t's optional operand ------------------------------------------------------

TEST(CommandLineHeld, NoOperand) {
    CommandLine c = ok({"-t"});
    EXPECT_EQ(c.held_pid, -1);
    EXPECT_EQ(c.held_task, 0u);
    c = ok({"-t", "-j"});  // an option is not the operand
    EXPECT_TRUE(c.json);
    EXPECT_EQ(c.held_pid, -1);
    EXPECT_EQ(c.held_task, 0u);
}

TEST(CommandLineHeld, PidOrTaskApartOrAttached) {
    EXPECT_EQ(ok({"-t", "33"}).held_pid, 33);
    EXPECT_EQ(ok({"-t33"}).held_pid, 33);
    EXPECT_EQ(ok({"-jt", "33"}).held_pid, 33);
    EXPECT_EQ(ok({"-jt33"}).held_pid, 33);
    EXPECT_EQ(ok({"-t", "0"}).held_pid, 0);
    CommandLine c = ok({"-t", "ffff888000bfa880"});
    EXPECT_EQ(c.held_task, 0xffff888000bfa880ULL);
    EXPECT_EQ(c.held_pid, -1);
    EXPECT_EQ(ok({"-t0xffff888000bfa880"}).held_task, 0xffff888000bfa880ULL);
    // ten digits or more: a (hex) address, as before
    EXPECT_EQ(ok({"-t", "1234567890"}).held_task, 0x1234567890ULL);
    c = ok({"-t", "33", "-j"});
    EXPECT_EQ(c.held_pid, 33);
    EXPECT_TRUE(c.json);
}

TEST(CommandLineHeld, TheWordAfterTIsItsOperandNotAnAddressToExplain) {
    CommandLine c = ok({"-t", "ffff888003a4d298"});
    EXPECT_EQ(c.mode, Mode::Held);
    EXPECT_EQ(c.held_task, 0xffff888003a4d298ULL);
    EXPECT_TRUE(c.addresses.empty());
}

TEST(CommandLineHeld, BadOperands) {
    EXPECT_TRUE(contains(usage({"-t", "jiffies"}), "-t: not a PID or task address: jiffies"));
    // as for getopt, the rest of the word is -t's operand: bundle -t last
    EXPECT_TRUE(contains(usage({"-tj"}), "-t: not a PID or task address: j"));
    EXPECT_TRUE(contains(usage({"-tl"}), "-t: not a PID or task address: l"));
    EXPECT_TRUE(contains(usage({"-t", "0x0"}), "-t: not a PID or task address"));
    EXPECT_TRUE(contains(usage({"-t", "-t"}), "-t given twice"));
    EXPECT_TRUE(contains(usage({"-t", "1", "-t", "2"}), "-t given twice"));
}

// ---- other usage errors ---------------------------------------------------------

TEST(CommandLineErrors, UnknownOptions) {
    EXPECT_EQ(usage({"-Q"}), "invalid option -- 'Q'");
    EXPECT_EQ(usage({"-jQ"}), "invalid option -- 'Q'");
    EXPECT_EQ(usage({"-q"}), "invalid option -- 'q'");
    EXPECT_EQ(usage({"--json"}), "unrecognized option '--json'");
    EXPECT_EQ(usage({"jiffies", "-x"}), "invalid option -- 'x'");
}

TEST(CommandLineErrors, MissingOrBadOperands) {
    EXPECT_TRUE(contains(usage({"-c"}), "option requires an argument -- 'c'"));
    EXPECT_TRUE(contains(usage({"-jc"}), "option requires an argument -- 'c'"));
    EXPECT_TRUE(contains(usage({"-n"}), "option requires an argument -- 'n'"));
    EXPECT_TRUE(contains(usage({"-c", "zzz"}), "-c: not a lock_class address: zzz"));
    EXPECT_TRUE(contains(usage({"-c", "0"}), "-c: not a lock_class address: 0"));
    EXPECT_TRUE(contains(usage({"-c", "-j"}), "-c: not a lock_class address: -j"));
    EXPECT_TRUE(contains(usage({"-c", "11111111111111111"}), "not a lock_class address"));  // 17 digits
}

TEST(CommandLineErrors, FiltersAtMostOnce) {
    EXPECT_EQ(usage({"-c", "ffffffff82a00000", "-c", "ffffffff82a00100"}), "-c given twice");
    EXPECT_EQ(usage({"-n", "a", "-nb"}), "-n given twice");
}

TEST(CommandLineErrors, EmptyPositional) {
    EXPECT_TRUE(contains(usage({""}), "empty"));
}

TEST(CommandLineErrors, TheFirstProblemIsTheOneReported) {
    EXPECT_EQ(usage({"-Q", "-c"}), "invalid option -- 'Q'");
    // a word error comes before a mode conflict
    EXPECT_EQ(usage({"-t", "-l", "-Z"}), "invalid option -- 'Z'");
}

// The rule a front end asks (lockalias-drgn, through the binding) to tell
// lockalias's words from its own: the same as the parser's.
TEST(TakesNextWord, AsTheParserDoes) {
    const std::string addr = "ffffffff82a00000", opt = "-j", file = "vmlinux", empty;
    EXPECT_TRUE(takes_next_word("-c", &addr));
    EXPECT_TRUE(takes_next_word("-jc", &opt));      // required: whatever it looks like
    EXPECT_FALSE(takes_next_word("-cffff", &addr));  // attached
    EXPECT_TRUE(takes_next_word("-n", &file));
    EXPECT_FALSE(takes_next_word("-c", nullptr));
    EXPECT_TRUE(takes_next_word("-t", &file));       // optional: any word but an option
    EXPECT_TRUE(takes_next_word("-jt", &addr));
    EXPECT_FALSE(takes_next_word("-t", &opt));
    EXPECT_FALSE(takes_next_word("-t", &empty));
    EXPECT_FALSE(takes_next_word("-t33", &addr));
    EXPECT_FALSE(takes_next_word("-jv", &addr));
    EXPECT_FALSE(takes_next_word("--", &addr));
    EXPECT_FALSE(takes_next_word("ffff", &addr));
    // and the parser consumed exactly those words
    EXPECT_EQ(ok({"-t", "33"}).held_pid, 33);
    EXPECT_EQ(usage({"-t", "vmlinux"}), "-t: not a PID or task address: vmlinux");
    EXPECT_TRUE(is_task_operand("33") && is_task_operand("ffff888000bfa880"));
    EXPECT_FALSE(is_task_operand("vmlinux") || is_task_operand("-1") || is_task_operand(""));
    EXPECT_TRUE(is_task_operand("0"));  // PID 0, the idle task
}

}  // namespace
}  // namespace lockalias
