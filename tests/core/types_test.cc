#include "core/types.h"

#include <gtest/gtest.h>

#include "core/json_writer.h"
#include "core/status.h"

namespace unbundled {
namespace {

TEST(ValidateKey, AcceptsKeyOfExactlyMaxBytes) {
  EXPECT_TRUE(ValidateKey(std::string(kMaxKeyBytes, 'k'), "key").ok());
}

TEST(ValidateKey, RejectsKeyOneByteOverMaxAndNamesTheField) {
  Status s = ValidateKey(std::string(kMaxKeyBytes + 1, 'k'), "key");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "key: must be at most 256 bytes (got 257)");
}

TEST(ValidateKey, RejectsEmptyKey) {
  EXPECT_EQ(ValidateKey("", "key").message(), "key: must not be empty");
}

TEST(ValidateKey, RejectsInvalidUtf8) {
  EXPECT_FALSE(ValidateKey("a\xff", "key").ok());
  EXPECT_FALSE(ValidateKey("\xc0\xaf", "key").ok());          // overlong '/'
  EXPECT_FALSE(ValidateKey("\xed\xa0\x80", "key").ok());      // surrogate
  EXPECT_FALSE(ValidateKey("\xe2\x82", "key").ok());          // truncated
  EXPECT_TRUE(ValidateKey("caf\xc3\xa9 \xf0\x9f\x93\x9a", "key").ok());  // café 📚
}

TEST(ValidateValue, RejectsNonObjects) {
  EXPECT_EQ(ValidateValue(Json::array(), "value").message(),
            "value: must be a JSON object (got array)");
  EXPECT_FALSE(ValidateValue(Json("text"), "value").ok());
  EXPECT_FALSE(ValidateValue(Json(nullptr), "value").ok());
}

TEST(ValidateValue, LimitIsOnTheCompactSerialization) {
  // {"s":"..."} is 8 bytes of framing around the string.
  Json at_limit = {{"s", std::string(kMaxValueBytes - 8, 'x')}};
  ASSERT_EQ(at_limit.dump().size(), kMaxValueBytes);
  EXPECT_TRUE(ValidateValue(at_limit, "value").ok());
  Json over = {{"s", std::string(kMaxValueBytes - 7, 'x')}};
  Status s = ValidateValue(over, "value");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("value: must serialize to at most 65536 bytes"), std::string::npos);
}

TEST(ValidateValue, RejectsStringsThatAreNotUtf8) {
  Json bad = {{"name", std::string("\xff\xfe")}};
  EXPECT_EQ(ValidateValue(bad, "value").message(),
            "value: contains a string that is not valid UTF-8");
}

TEST(ToJson, LogEntryOfADeleteHasNoValue) {
  LogEntry e{4, LogOp::kDelete, "u1", Json()};
  EXPECT_EQ(ToJson(e).dump(), R"({"key":"u1","lsn":4,"op":"delete"})");
}

TEST(ToJson, ChangeEventUsesDebeziumOpCodes) {
  ChangeEvent e{3, ChangeOp::kUpdate, "u1", MakeDoc({{"a", 1}}), MakeDoc({{"a", 2}})};
  EXPECT_EQ(ToJson(e).dump(), R"({"after":{"a":2},"before":{"a":1},"key":"u1","lsn":3,"op":"u"})");
}

TEST(WriteJson, ChangeEventTextIsWhatToJsonDumps) {
  const ChangeEvent events[] = {
      {1, ChangeOp::kCreate, "u1", nullptr, MakeDoc({{"a", 1}, {"s", "x \" y"}})},
      {3, ChangeOp::kUpdate, "u\u00e9", MakeDoc({{"a", 1}}), MakeDoc({{"a", Json::array({2, nullptr})}})},
      {4, ChangeOp::kDelete, "u1", MakeDoc({{"a", 2}}), nullptr},
      {9, ChangeOp::kRead, "k", nullptr, MakeDoc(Json::object())},
  };
  for (const ChangeEvent& e : events) {
    JsonText out;
    WriteJson(e, &out);
    EXPECT_EQ(out.Release(), ToJson(e).dump());
  }
}

}  // namespace
}  // namespace unbundled
