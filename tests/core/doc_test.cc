// Doc: a stored document kept as its compact JSON text. Its field readers
// must agree with a parsed nlohmann object on every document a put can
// store: that is what lets the derived systems index the text directly.
#include "core/doc.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/derived_system.h"
#include "core/types.h"

namespace unbundled {
namespace {

TEST(Doc, TextIsTheCompactSerializationAndParsesBack) {
  const Json value = {{"b", {1, 2.5, "x"}}, {"a", "caf\xc3\xa9"}, {"c", {{"d", nullptr}}}};
  DocRef doc = MakeDoc(value);
  EXPECT_EQ(doc->text(), value.dump());
  EXPECT_EQ(doc->ToJson(), value);
  EXPECT_EQ(MakeDoc(Json::object())->text(), "{}");
}

TEST(Doc, AStringThatIsNotUtf8IsWrittenWithReplacementCharacters) {
  DocRef doc = MakeDoc({{"a", "x\xff"}, {"b", 1}});
  EXPECT_EQ(doc->text(), "{\"a\":\"x\xef\xbf\xbd\",\"b\":1}");
  DocValue v;
  ASSERT_TRUE(doc->Find("b", &v));
  EXPECT_EQ(v.raw(), "1");
}

TEST(Doc, FindReadsTopLevelFieldsOnly) {
  DocRef doc = MakeDoc({{"a", {{"city", "Oslo"}}}, {"city", "Lima"}, {"n", -12}});
  DocValue v;
  ASSERT_TRUE(doc->Find("city", &v));
  EXPECT_EQ(v.raw(), "\"Lima\"");
  EXPECT_EQ(v.String(), "Lima");
  ASSERT_TRUE(doc->Find("a", &v));
  EXPECT_EQ(v.raw(), "{\"city\":\"Oslo\"}");
  EXPECT_FALSE(doc->Find("cit", &v));
  EXPECT_FALSE(doc->Find("Oslo", &v));
  std::int64_t n = 0;
  ASSERT_TRUE(doc->Find("n", &v));
  EXPECT_TRUE(v.Integer(&n));
  EXPECT_EQ(n, -12);
  EXPECT_FALSE(MakeDoc(Json::object())->Find("a", &v));
}

TEST(Doc, EscapedStringsAndFieldNamesAreUnescaped) {
  const std::string tricky = "say \"hi\"\\ \n\t\x01 }],{";
  DocRef doc = MakeDoc({{"q\"uote", 1}, {"s", tricky}});
  DocValue v;
  ASSERT_TRUE(doc->Find("s", &v));
  EXPECT_EQ(v.String(), tricky);
  std::string_view plain;
  EXPECT_FALSE(v.PlainString(&plain));  // it has escapes
  ASSERT_TRUE(doc->Find("q\"uote", &v));
  EXPECT_EQ(v.raw(), "1");
  EXPECT_FALSE(doc->Find("q\\\"uote", &v));  // the written form is not the name
}

TEST(Doc, NumbersThatAreNotExactIntegersAreNotReadAsIntegers) {
  DocRef doc = MakeDoc({{"f", 2.5}, {"e", 1e300}, {"big", 18446744073709551615ULL}});
  DocValue v;
  std::int64_t n;
  ASSERT_TRUE(doc->Find("f", &v));
  EXPECT_TRUE(v.is_number());
  EXPECT_FALSE(v.Integer(&n));
  ASSERT_TRUE(doc->Find("e", &v));
  EXPECT_FALSE(v.Integer(&n));
  ASSERT_TRUE(doc->Find("big", &v));
  EXPECT_FALSE(v.Integer(&n));  // past int64
  EXPECT_EQ(v.ToJson(), Json(18446744073709551615ULL));
}

TEST(Doc, ReferencesShareOneDocumentAndNullIsAbsent) {
  DocRef a = MakeDoc({{"x", 1}});
  DocRef b = a;
  EXPECT_EQ(a.get(), b.get());
  DocRef c = std::move(b);
  EXPECT_EQ(b, nullptr);
  EXPECT_EQ(c.get(), a.get());
  c = nullptr;
  EXPECT_FALSE(c);
  EXPECT_EQ(a->text(), "{\"x\":1}");  // still held by a
  DocRef none;
  EXPECT_EQ(none, nullptr);
}

TEST(Doc, EqualityIsJsonEquality) {
  EXPECT_TRUE(*MakeDoc({{"a", 1}}) == *MakeDoc({{"a", 1}}));
  EXPECT_TRUE(*MakeDoc({{"a", 1}}) == *MakeDoc({{"a", 1.0}}));  // as nlohmann compares
  EXPECT_FALSE(*MakeDoc({{"a", 1}}) == *MakeDoc({{"a", 2}}));
  EXPECT_TRUE(*MakeDoc({{"a", "x"}}) == (Json{{"a", "x"}}));
  EXPECT_TRUE(*MakeDoc({{"a", "x"}}) != (Json{{"a", "y"}}));
}

// Random documents of every shape a put accepts, checked field by field
// against nlohmann's own reading of the same object.
class RandomDocuments {
 public:
  explicit RandomDocuments(std::uint32_t seed) : rng_(seed) {}

  std::string Name() {
    // "q\\\"x" is how "q\"x" is written in the text: a different name.
    static const char* kNames[] = {"a",  "b", "city", "name", "q\"x", "q\\\"x", "back\\slash",
                                   "t\tab", "caf\xc3\xa9", "", "}", ",", ":", "aa"};
    return kNames[Pick(14)];
  }

  Json Value(int depth) {
    switch (Pick(depth > 2 ? 7 : 9)) {
      case 0: return nullptr;
      case 1: return Pick(2) == 1;
      case 2: return static_cast<std::int64_t>(Pick(2000001)) - 1000000;
      case 3: return static_cast<double>(Pick(100000)) / 64.0 - 500;
      case 4: return static_cast<std::uint64_t>(Pick(1000)) + (1ULL << 40);
      case 5:
      case 6: return String();
      case 7: {
        Json a = Json::array();
        for (int i = Pick(4); i > 0; --i) a.push_back(Value(depth + 1));
        return a;
      }
      default: return Object(depth + 1);
    }
  }

  Json Object(int depth) {
    Json o = Json::object();
    for (int i = Pick(6); i > 0; --i) o[Name()] = Value(depth);
    return o;
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint32_t>(n)); }
  std::string String() {
    static const char* kParts[] = {"London", " ", "\"", "\\", "\n", "\x01", "}", "]", ",",
                                   ":", "{", "[", "caf\xc3\xa9", "Graph", "42", "\\u0041"};
    std::string s;
    for (int i = Pick(5); i > 0; --i) s += kParts[Pick(16)];
    return s;
  }
  std::mt19937 rng_;
};

TEST(Doc, FieldReadsAgreeWithTheParsedObjectOnRandomDocuments) {
  RandomDocuments gen(7);
  for (int round = 0; round < 3000; ++round) {
    const Json object = gen.Object(0);
    DocRef doc = MakeDoc(object);
    ASSERT_EQ(doc->text(), object.dump());
    // Every field, in order, through ForEachField.
    std::vector<std::pair<std::string, Json>> seen;
    doc->ForEachField([&](std::string_view name, const DocValue& v) {
      // `name` is the name as written between its quotes.
      seen.emplace_back(Json::parse("\"" + std::string(name) + "\"").get<std::string>(),
                        v.ToJson());
    });
    ASSERT_EQ(seen.size(), object.size());
    std::size_t i = 0;
    for (const auto& [name, value] : object.items()) {
      ASSERT_EQ(seen[i].first, name);
      ASSERT_EQ(seen[i++].second, value) << name;
    }
    // Find, for present and absent names, against find().
    for (int probe = 0; probe < 6; ++probe) {
      const std::string name = gen.Name();
      DocValue v;
      const auto it = object.find(name);
      ASSERT_EQ(doc->Find(name, &v), it != object.end()) << object.dump() << " " << name;
      if (it == object.end()) continue;
      ASSERT_EQ(v.ToJson(), *it);
      ASSERT_EQ(v.is_string(), it->is_string());
      ASSERT_EQ(v.is_number(), it->is_number());
      ASSERT_EQ(v.is_boolean(), it->is_boolean());
      ASSERT_EQ(IndexTerm(v), IndexTerm(*it)) << it->dump();
      if (it->is_string()) {
        ASSERT_EQ(v.String(), it->get<std::string>());
        std::string_view plain;
        if (v.PlainString(&plain)) ASSERT_EQ(plain, it->get<std::string>());
      }
      std::int64_t n;
      if (v.Integer(&n)) {
        ASSERT_TRUE(it->is_number_integer());
        ASSERT_EQ(n, it->get<std::int64_t>());
      } else if (it->is_number_integer()) {
        ASSERT_GT(it->get<std::uint64_t>(), static_cast<std::uint64_t>(INT64_MAX));
      }
    }
  }
}

}  // namespace
}  // namespace unbundled
