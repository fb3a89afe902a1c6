// The JSON-reading toolkit every memsoak reader uses (engine/json_input.hpp): one wording, the JSON path in every
// error, and the line and column when the text is at hand.

#include <gtest/gtest.h>

#include <string>

#include "memsoak/engine/error.hpp"
#include "memsoak/engine/json_input.hpp"

namespace memsoak::engine {
namespace {

namespace in = json_input;

constexpr const char* kText = R"({
  "name": "day",
  "workload": [
    {"action": "tick", "every": "1m"},
    {"action": "log",
     "every": 5}
  ],
  "limits": {"os.rss_bytes": {"peak": "50 MiB"}, "os": 3}
})";

// The message of what `read` throws when reading kText as "day.json" with positions.
template <typename Read>
Error error_reading(Read read) {
    const in::Document document = in::parse_document(kText, "day.json");
    try {
        in::read_with_positions(document, [&](const in::Json& root) {
            read(root);
            return 0;
        });
    } catch (const Error& e) {
        return e;
    }
    ADD_FAILURE() << "nothing thrown";
    return Error("nothing thrown");
}

TEST(JsonInput, LocatesValuesByPathIncludingKeysWithDots) {
    const std::string text = kText;
    EXPECT_EQ(in::locate(text, "$"), 0u);
    EXPECT_EQ(in::locate(text, "$.name"), text.find("\"day\""));
    EXPECT_EQ(in::locate(text, "$.workload[1].every"), text.find("5}"));
    EXPECT_EQ(in::locate(text, "$.limits.os.rss_bytes.peak"), text.find("\"50 MiB\""));
    EXPECT_EQ(in::locate(text, "$.limits[\"os.rss_bytes\"].peak"), text.find("\"50 MiB\""));
    EXPECT_EQ(in::locate(text, "$.limits.os"), text.find("3}"));
    EXPECT_EQ(in::locate(text, "$.workload[2]"), std::nullopt);
    EXPECT_EQ(in::locate(text, "$.nothing"), std::nullopt);
}

TEST(JsonInput, AWrongValueNamesFileLineColumnPathAndExpectation) {
    const Error e = error_reading([](const in::Json& root) {
        in::duration(root["workload"][1]["every"], "day.json", "$.workload[1].every", "15m");
    });
    EXPECT_STREQ(e.what(), "day.json:6:15: $.workload[1].every: expected a duration such as \"15m\", got 5");
    EXPECT_EQ(e.kind(), ErrorKind::bad_input);
    ASSERT_NE(e.json_place(), nullptr);
    EXPECT_EQ(e.json_place()->path, "$.workload[1].every");
    EXPECT_EQ(e.json_place()->line, 6u);
}

TEST(JsonInput, AMissingFieldIsPlacedAtItsObject) {
    const Error e = error_reading([](const in::Json& root) {
        in::require(root["workload"][0], "for", "how long each freeze lasts", "day.json", "$.workload[0]");
    });
    EXPECT_STREQ(e.what(), "day.json:4:5: $.workload[0].for: missing; expected how long each freeze lasts");
}

TEST(JsonInput, AnUnknownFieldListsTheKnownOnes) {
    const Error e = error_reading([](const in::Json& root) {
        in::check_object(root, {"name", "workload"}, "a scenario object", "day.json", "$");
    });
    EXPECT_STREQ(e.what(), "day.json:8:13: $.limits: unknown field; expected one of name, workload");
}

TEST(JsonInput, WithoutTheTextAnErrorNamesFileAndPath) {
    try {
        in::whole_number(in::Json(-1), "s.json", "$.seed", 0, 10, "an integer from 0 to 10");
        FAIL() << "nothing thrown";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "s.json: $.seed: expected an integer from 0 to 10, got -1");
    }
}

TEST(JsonInput, RangesAreChecked) {
    EXPECT_EQ(in::whole_number(in::Json(10), "s.json", "$.n", 1, 10, "1 to 10"), 10u);
    EXPECT_THROW(in::whole_number(in::Json(11), "s.json", "$.n", 1, 10, "1 to 10"), Error);
    EXPECT_THROW(in::whole_number(in::Json(1.5), "s.json", "$.n", 1, 10, "1 to 10"), Error);
    EXPECT_THROW(in::integer(in::Json(18446744073709551615ull), "s.json", "$.n", -5, 5, "-5 to 5"), Error);
    EXPECT_EQ(in::integer(in::Json(-5), "s.json", "$.n", -5, 5, "-5 to 5"), -5);
    EXPECT_THROW(in::positive_duration(in::Json("0s"), "s.json", "$.d", "1m"), Error);
}

TEST(JsonInput, AFieldGivenTwiceIsNamedWithItsPlace) {
    try {
        in::parse_document("{\"a\": {\"b\": 1,\n \"b\": 2}}", "s.json");
        FAIL() << "nothing thrown";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "s.json:1:13: $.a.b: a field given twice; expected each field once");
    }
}

TEST(JsonInput, NestingIsBoundedAt64Levels) {
    const std::string ok = std::string(64, '[') + std::string(64, ']');
    EXPECT_NO_THROW(in::parse_text(ok, "s.json"));
    const std::string deep = std::string(65, '[') + std::string(65, ']');
    try {
        in::parse_text(deep, "s.json");
        FAIL() << "nothing thrown";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nested deeper than 64 levels"), std::string::npos) << e.what();
    }
}

TEST(JsonInput, AnErrorKeepsItsKindWhenPlacedAndCanBeReclassified) {
    const Error usage("--seed: expected a number", ErrorKind::usage);
    EXPECT_EQ(usage.kind(), ErrorKind::usage);
    EXPECT_EQ(usage.as(ErrorKind::internal).kind(), ErrorKind::internal);
    EXPECT_STREQ(usage.as(ErrorKind::internal).what(), usage.what());
    const Error e = error_reading([](const in::Json&) {
        throw Error(JsonPlace{"day.json", "$.name", "expected x"}).as(ErrorKind::internal);
    });
    EXPECT_EQ(e.kind(), ErrorKind::internal);
    EXPECT_STREQ(e.what(), "day.json:2:11: $.name: expected x");
}

}  // namespace
}  // namespace memsoak::engine
