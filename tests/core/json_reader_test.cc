// ReadPlainJson (core/json_reader.h) against nlohmann's parser: whatever it
// reads, nlohmann reads as the very same value (types included: an integer
// that is not negative is unsigned), and what it gives up on is left to
// nlohmann, so ParseUserJson says the same as before.
#include "core/json_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include "core/limits.h"
#include "core/user_json.h"

namespace unbundled {
namespace {

// Equal values of equal types, all the way down (nlohmann's == takes 5 and
// 5u, and 1 and 1.0, as equal).
::testing::AssertionResult Same(const Json& a, const Json& b, const std::string& at = "") {
  if (a.type() != b.type()) {
    return ::testing::AssertionFailure() << "type differs at '" << at << "': " << a.type_name()
                                         << " vs " << b.type_name() << " (" << a.dump() << " vs "
                                         << b.dump() << ")";
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return ::testing::AssertionFailure() << "size differs at " << at;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto jt = b.find(it.key());
      if (jt == b.end()) return ::testing::AssertionFailure() << "no " << it.key() << " at " << at;
      auto r = Same(*it, *jt, at + "." + it.key());
      if (!r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return ::testing::AssertionFailure() << "size differs at " << at;
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto r = Same(a[i], b[i], at + "[" + std::to_string(i) + "]");
      if (!r) return r;
    }
    return ::testing::AssertionSuccess();
  }
  if (a.is_number_float()) {
    // Bit for bit (both read the text with strtod).
    const double x = a.get<double>(), y = b.get<double>();
    if (std::memcmp(&x, &y, sizeof x) != 0) {
      return ::testing::AssertionFailure() << "double differs at " << at;
    }
    return ::testing::AssertionSuccess();
  }
  if (a != b) return ::testing::AssertionFailure() << a.dump() << " vs " << b.dump() << " at " << at;
  return ::testing::AssertionSuccess();
}

// Checks one text: if the fast reader takes it, nlohmann takes it as the
// same value. Returns whether the fast reader took it.
bool Check(const std::string& text) {
  Json fast = Json("untouched");
  const bool took = ReadPlainJson(text, &fast);
  const Json slow = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (took) {
    EXPECT_FALSE(slow.is_discarded()) << "read text nlohmann refuses: " << text;
    EXPECT_TRUE(Same(fast, slow)) << text;
  } else {
    EXPECT_EQ(fast, Json("untouched")) << "changed its output when giving up: " << text;
  }
  return took;
}

TEST(JsonReader, ReadsPlainJsonAsNlohmannDoes) {
  for (const char* text : {
           R"({"op":"put","key":"u1","value":{"name":"user 1","city":"Oslo","age":21}})",
           R"([{"op":"flush"},{"op":"put","key":"k","value":{}}])",
           R"(  {"a" : [1, -2, 0, -0, 3.5, -0.0, 1e3, 2E-2, 1.5e+10, true, false, null, [], {}]}  )",
           R"({"big":9007199254740991,"neg":-9007199254740991})",
           R"({"é":"naïve ☃ 😀"})",
           R"({"dup":1,"dup":2})",
           R"("just a string")", "17", "-3", "0.1", "true", "null", "[]", "{}",
       }) {
    EXPECT_TRUE(Check(text)) << "plain JSON not read fast: " << text;
  }
}

TEST(JsonReader, LeavesToNlohmannWhatIsNotPlain) {
  for (const std::string text : {
           std::string(R"({"a":"line\nbreak"})"),         // an escape
           std::string(R"({"a":"\u00e9"})"),              // an escape
           std::string("{\"a\":\"tab\there\"}"),           // a control character
           std::string("{\"a\":\"\xff\"}"),                // not UTF-8
           std::string("{\"a\":\"\xed\xa0\x80\"}"),        // a surrogate in UTF-8
           std::string("\xef\xbb\xbf{}"),                  // a byte-order mark
           std::string(R"({"big":9007199254740992})"),    // past 2^53 - 1
           std::string(R"({"big":-9007199254740992})"),
           std::string(R"({"x":1e400})"),                 // not finite
           std::string(R"({"x":01})"), std::string(R"({"x":1.})"), std::string(R"({"x":.5})"),
           std::string(R"({"x":-})"), std::string(R"({"x":1e})"), std::string(R"({"x":+1})"),
           std::string(R"({"a":1,})"), std::string(R"([1,])"), std::string(R"({"a" 1})"),
           std::string(R"({a:1})"), std::string(R"({"a":tru})"), std::string(R"({"a":nul})"),
           std::string("{} {}"), std::string(""), std::string("   "), std::string("{"),
           std::string(R"({"a":"unterminated)"),
           "{\"" + std::string(kMaxKeyBytes + 1, 'k') + "\":1}",  // a field name too long
           std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'),
       }) {
    EXPECT_FALSE(Check(text)) << "read fast: " << text;
  }
  // As deep as the limit allows is still read.
  EXPECT_TRUE(Check(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']')));
}

// Random values, written by nlohmann, then cut, changed and added to at
// random bytes: whatever the fast reader takes, nlohmann takes the same.
Json RandomValue(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 3 ? 5 : 7);
  static const char* kStrings[] = {"", "a", "user 12", "Oslo", "naïve", "😀", "quote\"d",
                                   "back\\slash", "ctl\x01", "x y z"};
  switch (kind(rng)) {
    case 0: return nullptr;
    case 1: return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    case 2: return std::uniform_int_distribution<std::int64_t>(-kMaxExactInteger - 5, kMaxExactInteger + 5)(rng);
    case 3: return std::uniform_int_distribution<int>(-1000, 1000)(rng);
    case 4: return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    case 5: return kStrings[std::uniform_int_distribution<int>(0, 9)(rng)];
    case 6: {
      Json a = Json::array();
      for (int i = std::uniform_int_distribution<int>(0, 4)(rng); i > 0; --i) a.push_back(RandomValue(rng, depth + 1));
      return a;
    }
    default: {
      Json o = Json::object();
      for (int i = std::uniform_int_distribution<int>(0, 4)(rng); i > 0; --i) {
        o[kStrings[std::uniform_int_distribution<int>(0, 9)(rng)]] = RandomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

// `text` (not empty) with one byte changed to one of `bytes` (m = 0), one
// inserted (1), one removed (2), or cut short (3).
std::string Mutated(std::mt19937& rng, std::string text, int m, std::string_view bytes) {
  std::uniform_int_distribution<std::size_t> at(0, text.size() - 1);
  const char b = bytes[std::uniform_int_distribution<std::size_t>(0, bytes.size() - 1)(rng)];
  switch (m) {
    case 0: text[at(rng)] = b; break;
    case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at(rng)), b); break;
    case 2: text.erase(at(rng), 1); break;
    default: text.resize(at(rng)); break;
  }
  return text;
}

TEST(JsonReader, RandomTextsAndTheirMutationsReadAsNlohmannReadsThem) {
  std::mt19937 rng(20261205);
  int took = 0, mutated_took = 0;
  for (int round = 0; round < 3000; ++round) {
    const Json value = RandomValue(rng, 0);
    std::string text = value.dump(round % 3 == 0 ? 1 : -1);
    if (Check(text)) ++took;
    if (text.empty()) continue;
    for (int m = 0; m < 4; ++m) {
      if (Check(Mutated(rng, text, m, " \t\n{}[]:,\"\\-+.0123456789eEtrufalsn\xc3\xa9\xff"))) ++mutated_took;
    }
  }
  // The fast path is taken for most plain texts (the rest hold escapes or
  // integers past 2^53), and for some mutations that are still JSON.
  EXPECT_GT(took, 1000);
  EXPECT_GT(mutated_took, 100);
}

TEST(JsonReader, ParseUserJsonGivesTheSameErrorsAsBefore) {
  // Refused text goes to nlohmann's reader, which words the reason.
  Json out = Json("kept");
  Status s = ParseUserJson(R"({"big":9007199254740992})", "step", &out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("beyond 9007199254740991"), std::string::npos) << s.message();
  EXPECT_EQ(out, Json("kept"));
  s = ParseUserJson(R"({"a":1,})", "step", &out);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not valid JSON"), std::string::npos) << s.message();
  EXPECT_EQ(out, Json("kept"));
  // Escapes are read (by nlohmann) as before.
  ASSERT_TRUE(ParseUserJson(R"({"a":"line\nbreak"})", "step", &out).ok());
  EXPECT_EQ(out, (Json{{"a", "line\nbreak"}}));
}


// IsStoredForm: a text it accepts is a valid document whose compact
// serialization is that text, byte for byte, so a put may log it as it is.
// Returns whether it accepted `text`.
bool CheckStored(const std::string& text) {
  if (!IsStoredForm(text)) return false;
  Json parsed;
  Status s = ParseUserJson(text, "value", &parsed);
  EXPECT_TRUE(s.ok()) << "stored form that does not parse: " << text << ": " << s.message();
  if (!s.ok()) return true;
  std::string compact;
  s = ValidateValue(parsed, "value", &compact);
  EXPECT_TRUE(s.ok()) << "stored form of an invalid value: " << text << ": " << s.message();
  EXPECT_EQ(compact, text) << "stored form that is not the compact text";
  return true;
}

TEST(StoredForm, AcceptsCompactObjectsInFieldOrder) {
  for (const std::string text : {
           R"({})", R"({"a":1})", R"({"age":42,"city":"Lima","name":"Margaret Liskov"})",
           R"({"a":[],"b":{},"c":[1,-2,true,false,null,"x",[{"y":[]}]]})",
           R"({"":0,"A":1,"a":2,"é":3})", "{\"s\":\"naïve 😀 \x7f\"}",
           R"({"max":9007199254740991,"min":-9007199254740991,"zero":0})",
       }) {
    EXPECT_TRUE(CheckStored(text)) << text;
  }
  // As deep and as large as a value may be.
  std::string deep = "{\"a\":" + std::string(kMaxValueDepth - 1, '[') +
                     std::string(kMaxValueDepth - 1, ']') + "}";
  EXPECT_TRUE(CheckStored(deep));
  std::string big = "{\"a\":\"" + std::string(kMaxValueBytes - 8, 'x') + "\"}";
  ASSERT_EQ(big.size(), kMaxValueBytes);
  EXPECT_TRUE(CheckStored(big));
  std::string name(kMaxFieldNameBytes, 'n');
  EXPECT_TRUE(CheckStored("{\"" + name + "\":1}"));
}

TEST(StoredForm, RefusesWhatAPutWouldWriteDifferentlyOrRefuse) {
  for (const std::string text : {
           // Not an object, or not JSON.
           "", "[]", "1", "\"a\"", "null", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1}x",
           "{\"a\":tru}", "{\"a\":[1,]}",
           // Spaces, field order, a name twice.
           " {}", "{} ", "{\"a\": 1}", "{\"a\":1 }", "{\"b\":1,\"a\":2}", "{\"a\":1,\"a\":2}",
           // Escapes (even needed ones), control characters, bytes not UTF-8.
           R"({"a":"\n"})", R"({"a":"\u0041"})", R"({"a":"\""})", "{\"a\":\"\x01\"}",
           "{\"a\":\"\xff\"}", "{\"a\":\"\xc3\"}", "{\"\xed\xa0\x80\":1}",
           // Numbers a writer would write otherwise, or not exactly.
           "{\"a\":-0}", "{\"a\":01}", "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":+1}", "{\"a\":-}",
           "{\"a\":9007199254740992}", "{\"a\":-9007199254740992}",
       }) {
    EXPECT_FALSE(IsStoredForm(text)) << text;
  }
  // Past the limits of a value.
  EXPECT_FALSE(IsStoredForm("{\"a\":" + std::string(kMaxValueDepth, '[') +
                            std::string(kMaxValueDepth, ']') + "}"));
  EXPECT_FALSE(IsStoredForm("{\"a\":\"" + std::string(kMaxValueBytes - 7, 'x') + "\"}"));
  EXPECT_FALSE(IsStoredForm("{\"" + std::string(kMaxFieldNameBytes + 1, 'n') + "\":1}"));
}

TEST(StoredForm, RandomDocumentsAndTheirMutations) {
  // Every valid document without a double or an escaped character is
  // accepted in its compact text; whatever is accepted, mutated or not,
  // is a valid document's compact text.
  std::mt19937 rng(20261206);
  int accepted = 0, mutated_accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    Json value = RandomValue(rng, 1);
    if (!value.is_object()) value = Json{{"v", value}};
    std::string compact;
    const bool valid = ValidateValue(value, "value", &compact).ok();
    if (CheckStored(compact)) ++accepted;
    // (A double is found by walking the value: "e" and "." appear in
    // names and strings too.)
    bool has_double = false;
    std::function<void(const Json&)> walk = [&](const Json& v) {
      if (v.is_number_float()) has_double = true;
      if (v.is_structured()) for (const auto& item : v) walk(item);
    };
    walk(value);
    if (valid && !has_double && compact.find('\\') == std::string::npos) {
      EXPECT_TRUE(IsStoredForm(compact)) << compact;
    }
    for (int m = 0; m < 4; ++m) {
      if (CheckStored(Mutated(rng, compact, m, " {}[]:,\"\\-+.0123456789eEtrufalsn\xc3\xa9\xff"))) {
        ++mutated_accepted;
      }
    }
  }
  EXPECT_GT(accepted, 500);
  EXPECT_GT(mutated_accepted, 50);
}

}  // namespace
}  // namespace unbundled
