// The compact writer must write exactly what nlohmann's dump() writes: the
// log's records hold that text, and tools compare their bytes.
#include "core/json_writer.h"

#include <random>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace unbundled {
namespace {

std::string Dumped(const Json& value) {
  std::string out;
  EXPECT_TRUE(AppendCompactJson(value, &out));
  return out;
}

TEST(JsonWriter, WritesWhatDumpWritesForEveryKind) {
  const Json cases[] = {
      Json::parse(R"({})"),
      Json::parse(R"({"a":[],"b":{},"c":null,"d":true,"e":false})"),
      Json::parse(R"({"n":-9223372036854775808,"u":18446744073709551615,"z":0,"m":-1})"),
      Json::parse(R"({"f":[0.1,1e100,-0.0,1.5e-7,3.0,2.5,123456789.125,1e-300]})"),
      Json::parse(R"({"s":"quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f"})"),
      Json::parse(R"({"c":"\u0000\u0001\u001f\u007f \u00e9 \u20ac \ud83d\ude00"})"),
      Json::parse(R"({"k\u0007ey":{"nested":[[1,[2,{"x":"y"}]]]}})"),
  };
  for (const Json& value : cases) EXPECT_EQ(Dumped(value), value.dump()) << value.dump();
}

// Random documents: every kind of value, strings drawn from bytes that need
// escaping, ASCII and multi-byte characters, nested a few levels deep.
class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  Json Value(int depth) {
    switch (Pick(depth > 3 ? 5 : 7)) {
      case 0: return nullptr;
      case 1: return Pick(2) == 0;
      case 2: return static_cast<std::int64_t>(rng_()) - (1ll << 31) * Pick(3);
      case 3: return static_cast<std::uint64_t>(rng_()) << 32 | rng_();
      case 4: return Pick(2) ? Json(String()) : Json(Double());
      case 5: {
        Json a = Json::array();
        for (int i = Pick(4); i > 0; --i) a.push_back(Value(depth + 1));
        return a;
      }
      default: {
        Json o = Json::object();
        for (int i = Pick(4); i > 0; --i) o[String()] = Value(depth + 1);
        return o;
      }
    }
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<unsigned>(n)); }
  double Double() {
    std::uniform_real_distribution<double> d(-1e6, 1e6);
    double x = d(rng_);
    return Pick(3) == 0 ? x * 1e-200 : x;
  }
  std::string String() {
    static const char* kPieces[] = {"a", "Z", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r",
                                    "\t", std::string(1, '\0').c_str(), "\x01", "\x1f", "\x7f",
                                    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "0", "~"};
    std::string s;
    for (int i = Pick(8); i > 0; --i) {
      const int k = Pick(20);
      if (k == 11) {
        s.push_back('\0');
      } else {
        s += kPieces[k];
      }
    }
    return s;
  }
  std::mt19937 rng_;
};

TEST(JsonWriter, MatchesDumpOnRandomDocuments) {
  for (unsigned seed = 0; seed < 3000; ++seed) {
    Generator g(seed);
    Json doc = Json::object();
    for (int i = 0; i < 4; ++i) doc["f" + std::to_string(i)] = g.Value(0);
    ASSERT_EQ(Dumped(doc), doc.dump()) << "seed " << seed;
  }
}

TEST(JsonWriter, RefusesWhatDumpRefuses) {
  const std::string bad[] = {
      "\xff", "\xc3", "a\xc3(", "\xe2\x82", "\xed\xa0\x80" /* a surrogate */,
      "\xc0\x80" /* overlong NUL */, "\xf4\x90\x80\x80" /* past U+10FFFF */, "\x80",
  };
  for (const std::string& s : bad) {
    for (const Json& value : {Json{{"v", s}}, Json{{s, 1}}, Json{{"a", Json::array({1, s})}}}) {
      std::string out;
      EXPECT_FALSE(AppendCompactJson(value, &out)) << testing::PrintToString(s);
      EXPECT_THROW(value.dump(), Json::exception);
    }
  }
}

// Writes `value` through JsonText's calls, member by member (objects are
// std::maps, so members come in name order), a sub-value now and then as
// Raw text or as a whole Value.
void WriteThrough(const Json& value, std::mt19937* rng, JsonText* out) {
  switch ((*rng)() % 8) {
    case 0: out->Raw(value.dump()); return;
    case 1: out->Value(value); return;
    default: break;
  }
  switch (value.type()) {
    case Json::value_t::object:
      out->BeginObject();
      for (const auto& [name, item] : value.items()) {
        out->Key(name);
        WriteThrough(item, rng, out);
      }
      out->EndObject();
      return;
    case Json::value_t::array:
      out->BeginArray();
      for (const auto& item : value) WriteThrough(item, rng, out);
      out->EndArray();
      return;
    case Json::value_t::string: out->String(value.get<std::string>()); return;
    case Json::value_t::number_unsigned: out->Uint(value.get<std::uint64_t>()); return;
    case Json::value_t::boolean: out->Bool(value.get<bool>()); return;
    case Json::value_t::null: out->Null(); return;
    default: out->Value(value); return;
  }
}

TEST(JsonText, WritesWhatDumpWritesOfTheSameValue) {
  for (unsigned seed = 0; seed < 3000; ++seed) {
    Generator g(seed);
    std::mt19937 rng(seed);
    Json doc = Json::object();
    for (int i = 0; i < 4; ++i) doc["f" + std::to_string(i)] = g.Value(0);
    const Json list = Json::array({doc, Json::object(), Json::array(), doc["f0"]});
    JsonText out;
    WriteThrough(list, &rng, &out);
    ASSERT_EQ(out.Release(), list.dump()) << "seed " << seed;
  }
}

TEST(JsonText, WritesTextThatIsNotUtf8AsDumpDoesWhenToldToReplace) {
  const std::string bad[] = {"\xff", "a\xc3(", "\xed\xa0\x80", "ok \x80 ok"};
  for (const std::string& s : bad) {
    JsonText out;
    out.BeginArray();
    out.BeginObject();
    out.Member(s, s);
    out.EndObject();
    out.String(s);
    out.Uint(7);
    out.EndArray();
    const Json same = Json::array({Json{{s, s}}, s, 7});
    EXPECT_EQ(out.Release(), same.dump(-1, ' ', false, Json::error_handler_t::replace))
        << testing::PrintToString(s);
  }
}

TEST(JsonText, EveryByteAtEveryPlaceOfAWordIsEscapedAsDumpEscapesIt) {
  for (int b = 0; b < 256; ++b) {
    for (std::size_t at = 0; at < 17; ++at) {
      std::string s(17, 'a');
      s[at] = static_cast<char>(b);
      JsonText out;
      out.String(s);
      ASSERT_EQ(out.Release(), Json(s).dump(-1, ' ', false, Json::error_handler_t::replace))
          << "byte " << b << " at " << at;
    }
  }
}

TEST(JsonText, CopyBytesCopiesEveryLengthAndWritesNothingOutsideIt) {
  // Each length the short cases and memcpy take, at every alignment, between
  // guard bytes that must stay as they were.
  std::string from(64, '\0');
  for (std::size_t i = 0; i < from.size(); ++i) from[i] = static_cast<char>('a' + i % 26);
  for (std::size_t n = 0; n <= 40; ++n) {
    for (std::size_t at = 0; at < 8; ++at) {
      std::string to(64, '#');
      CopyBytes(&to[8 + at], from.data() + at, n);
      std::string want(64, '#');
      want.replace(8 + at, n, from, at, n);
      ASSERT_EQ(to, want) << n << " bytes at offset " << at;
    }
  }
  // Strings of each length are written whole, quoted.
  for (std::size_t n = 0; n <= 40; ++n) {
    JsonText out;
    out.String(from.substr(0, n));
    ASSERT_EQ(out.Release(), "\"" + from.substr(0, n) + "\"") << n;
  }
}

TEST(JsonText, NestsUpToItsDepthAndRefusesDeeperAndReleaseStartsAgain) {
  JsonText out;
  for (int d = 0; d < JsonText::kMaxDepth; ++d) out.BeginArray();
  EXPECT_THROW(out.BeginArray(), std::length_error);
  for (int d = 0; d < JsonText::kMaxDepth; ++d) out.EndArray();
  EXPECT_EQ(out.Release(), std::string(JsonText::kMaxDepth, '[') + std::string(JsonText::kMaxDepth, ']'));
  out.BeginObject();
  out.Member("a", std::uint64_t{1});
  out.EndObject();
  EXPECT_EQ(out.Release(), R"({"a":1})");
}

}  // namespace
}  // namespace unbundled
