// The small pure pieces: class-pointer search, argument parsing, JSON.
#include <gtest/gtest.h>

#include <cstring>

#include "class_pointer_search.h"
#include "command_line.h"
#include "json_writer.h"

namespace lockalias {
namespace {

TEST(ClassPointerSearch, FindsOnlySlotStartsInsideTheArray) {
    ClassSlots s{0xffffffff82000000ULL, 200, 10};
    uint64_t words[] = {
        s.base,                 // slot 0
        s.base + 200 * 9,       // last slot
        s.base + 200 * 10,      // one past the end
        s.base + 8,             // inside a slot, not its start
        s.base - 200,           // before the array
        0, ~0ULL,
    };
    std::vector<uint32_t> hits;
    find_class_pointers(reinterpret_cast<const uint8_t*>(words), sizeof words, s, hits);
    EXPECT_EQ(hits, (std::vector<uint32_t>{0, 8}));
}

TEST(ClassPointerSearch, IgnoresTrailingPartialWord) {
    ClassSlots s{0x1000, 64, 4};
    uint8_t buf[12] = {};
    uint64_t v = 0x1000;
    std::memcpy(buf, &v, 8);
    std::vector<uint32_t> hits;
    find_class_pointers(buf, sizeof buf, s, hits);
    EXPECT_EQ(hits.size(), 1u);
}

TEST(CommandLine, ParsesOptionsAndAddresses) {
    auto c = parse_command_line({"-j", "-v", "-c", "0xffffffff82a00000", "-n", "*xmit*"});
    EXPECT_EQ(c.error, "");
    EXPECT_TRUE(c.json);
    EXPECT_TRUE(c.verbose);
    EXPECT_EQ(c.class_addr, 0xffffffff82a00000ULL);
    EXPECT_EQ(c.name_pattern, "*xmit*");
    EXPECT_EQ(parse_command_line({"-n", "'*xmit*'"}).name_pattern, "*xmit*");
    EXPECT_NE(parse_command_line({"-q"}).error, "");
    EXPECT_NE(parse_command_line({"-c"}).error, "");
    EXPECT_EQ(parse_command_line({"jiffies"}).symbols.at(0), "jiffies");
    EXPECT_EQ(parse_command_line({"ffff888003a4d298"}).addresses.at(0), 0xffff888003a4d298ULL);
}

TEST(Json, EscapesAndNests) {
    JsonWriter j;
    j.begin_object().field("s", "a\"b\\c\n\x01").key("a").begin_array().value(1).value(true).end_array();
    j.key("p").address(0xff).end_object();
    EXPECT_EQ(j.str(), "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"a\":[1,true],\"p\":\"0x00000000000000ff\"}");
}

}  // namespace
}  // namespace lockalias
