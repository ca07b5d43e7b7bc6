#include "core/json_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "core/json_writer.h"
#include "core/limits.h"

namespace unbundled {

namespace {

class PlainReader {
 public:
  explicit PlainReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool Document(Json* out) {
    if (!Value(out, 0)) return false;
    Space();
    return p_ == end_;
  }

 private:
  void Space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // `depth`: the containers this value is in. nlohmann's reader (as
  // ParseUserJson limits it) takes at most kMaxJsonDepth nested containers.
  bool Value(Json* out, std::size_t depth) {
    Space();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return Object(out, depth);
      case '[':
        return Array(out, depth);
      case '"': {
        std::string s;
        if (!String(&s)) return false;
        *out = std::move(s);
        return true;
      }
      case 't':
        if (!Literal("true")) return false;
        *out = true;
        return true;
      case 'f':
        if (!Literal("false")) return false;
        *out = false;
        return true;
      case 'n':
        if (!Literal("null")) return false;
        *out = nullptr;
        return true;
      default:
        return Number(out);
    }
  }

  bool Object(Json* out, std::size_t depth) {
    if (depth >= kMaxJsonDepth) return false;
    ++p_;  // {
    Json object(Json::value_t::object);
    auto& fields = object.get_ref<Json::object_t&>();
    Space();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      *out = std::move(object);
      return true;
    }
    for (;;) {
      Space();
      std::string key;
      if (p_ == end_ || *p_ != '"' || !String(&key) || key.size() > kMaxKeyBytes) return false;
      Space();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      Json value;
      if (!Value(&value, depth + 1)) return false;
      // A repeated name keeps its last value, as nlohmann's reader does.
      fields.insert_or_assign(std::move(key), std::move(value));
      Space();
      if (p_ == end_) return false;
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != '}') return false;
      ++p_;
      *out = std::move(object);
      return true;
    }
  }

  bool Array(Json* out, std::size_t depth) {
    if (depth >= kMaxJsonDepth) return false;
    ++p_;  // [
    Json array(Json::value_t::array);
    auto& items = array.get_ref<Json::array_t&>();
    Space();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      *out = std::move(array);
      return true;
    }
    for (;;) {
      items.emplace_back();
      if (!Value(&items.back(), depth + 1)) return false;
      Space();
      if (p_ == end_) return false;
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != ']') return false;
      ++p_;
      *out = std::move(array);
      return true;
    }
  }

  // A string with no escape and no control character, of UTF-8.
  bool String(std::string* s) {
    ++p_;  // "
    const char* start = p_;
    bool ascii = true;
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') break;
      if (c == '\\' || c < 0x20) return false;
      if (c >= 0x80) ascii = false;
      ++p_;
    }
    if (p_ == end_) return false;
    s->assign(start, static_cast<std::size_t>(p_ - start));
    ++p_;  // "
    return ascii || IsValidUtf8(*s);
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: an integer of at most
  // kMaxExactInteger in magnitude (unsigned when not negative, as nlohmann
  // keeps it), or a finite double read by strtod as nlohmann reads it.
  bool Number(Json* out) {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    std::uint64_t magnitude = 0;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        magnitude = magnitude * 10 + static_cast<std::uint64_t>(*p_ - '0');
        if (magnitude > static_cast<std::uint64_t>(kMaxExactInteger)) return false;
        ++p_;
      }
    }
    bool fraction = false;
    if (p_ < end_ && *p_ == '.') {
      fraction = true;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      fraction = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (!fraction) {
      if (negative) {
        *out = -static_cast<std::int64_t>(magnitude);
      } else {
        *out = magnitude;
      }
      return true;
    }
    const std::size_t n = static_cast<std::size_t>(p_ - start);
    if (n > 64) return false;
    char buffer[65];
    std::copy(start, p_, buffer);
    buffer[n] = '\0';
    char* parsed_end = nullptr;
    const double v = std::strtod(buffer, &parsed_end);
    if (parsed_end != buffer + n || !std::isfinite(v)) return false;
    *out = v;
    return true;
  }

  const char* p_;
  const char* end_;
};

// Reads a document's compact text as the log stores it, without building
// anything (IsStoredForm).
class StoredFormReader {
 public:
  explicit StoredFormReader(std::string_view text)
      : p_(reinterpret_cast<const unsigned char*>(text.data())), end_(p_ + text.size()) {}

  bool Document() {
    if (p_ == end_ || *p_ != '{' || !Object(1)) return false;
    return p_ == end_;
  }

 private:
  // A container at `depth` (the document itself is at 1), as CheckShape
  // (core/types.cc) counts it.
  bool Value(std::size_t depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return Object(depth + 1);
      case '[':
        return Array(depth + 1);
      case '"': {
        std::string_view s;
        return String(&s);
      }
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Integer();
    }
  }

  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(reinterpret_cast<const char*>(p_), word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // Field names in strictly increasing byte order: the order of nlohmann's
  // object (a std::map), and no name twice.
  bool Object(std::size_t depth) {
    if (depth > kMaxValueDepth) return false;
    ++p_;  // {
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    std::string_view last;
    for (bool first = true;; first = false) {
      std::string_view name;
      if (!String(&name) || name.size() > kMaxFieldNameBytes) return false;
      if (!first && !(last < name)) return false;
      last = name;
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      if (!Value(depth)) return false;
      if (p_ == end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
    }
  }

  bool Array(std::size_t depth) {
    if (depth > kMaxValueDepth) return false;
    ++p_;  // [
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      if (!Value(depth)) return false;
      if (p_ == end_) return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
    }
  }

  // No escape at all (the writer escapes only what must be escaped, which
  // a plain string does not hold), no control character, UTF-8.
  bool String(std::string_view* out) {
    if (p_ == end_ || *p_ != '"') return false;
    const unsigned char* start = ++p_;
    for (;;) {
      while (p_ < end_ && kPlainStringBytes[*p_]) ++p_;
      if (p_ == end_) return false;
      if (*p_ == '"') break;
      if (*p_ < 0x80) return false;  // a backslash or a control character
      const std::size_t n = Utf8SequenceLength(p_, end_);
      if (n == 0) return false;
      p_ += n;
    }
    *out = std::string_view(reinterpret_cast<const char*>(start),
                            static_cast<std::size_t>(p_ - start));
    ++p_;  // "
    return true;
  }

  // -?(0|[1-9][0-9]*), at most kMaxExactInteger in magnitude, not -0:
  // what the writer writes for an integer. A fraction or an exponent
  // (a double, whose shortest form only nlohmann's writer knows) is not.
  bool Integer() {
    const bool negative = *p_ == '-';
    if (negative) ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') {
      ++p_;
      if (negative) return false;
    } else {
      std::uint64_t magnitude = 0;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        magnitude = magnitude * 10 + static_cast<std::uint64_t>(*p_ - '0');
        if (magnitude > static_cast<std::uint64_t>(kMaxExactInteger)) return false;
        ++p_;
      }
    }
    return p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E' && (*p_ < '0' || *p_ > '9'));
  }

  const unsigned char* p_;
  const unsigned char* end_;
};

}  // namespace

bool IsStoredForm(std::string_view text) {
  return text.size() <= kMaxValueBytes && StoredFormReader(text).Document();
}

bool ReadPlainJson(std::string_view text, Json* out) {
  Json value;
  PlainReader reader(text);
  if (!reader.Document(&value)) return false;
  *out = std::move(value);
  return true;
}

}  // namespace unbundled
