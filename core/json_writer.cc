#include "core/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>

namespace unbundled {

namespace {

// Appends `s` as a JSON string literal, escaping as nlohmann's serializer
// does with ensure_ascii off: the two-character escapes for ", \, \b, \f,
// \n, \r and \t, \u00xx (lower-case hex) for the other control characters,
// every other code point as its UTF-8 bytes. False when `s` is not UTF-8.
bool AppendString(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const auto* run = p;  // start of bytes still to copy as they are
  auto flush = [&](const unsigned char* upto) {
    out->append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(upto - run));
  };
  while (p < end) {
    // Most bytes are printable ASCII, copied as they are: skip them by
    // a table lookup each.
    while (p < end && kPlainStringBytes[*p]) ++p;
    if (p == end) break;
    const unsigned char c = *p;
    if (c >= 0x80) {
      const std::size_t n = Utf8SequenceLength(p, end);
      if (n == 0) return false;
      p += n;
      continue;
    }
    const char* escape = nullptr;
    switch (c) {
      case '"': escape = "\\\""; break;
      case '\\': escape = "\\\\"; break;
      case '\b': escape = "\\b"; break;
      case '\f': escape = "\\f"; break;
      case '\n': escape = "\\n"; break;
      case '\r': escape = "\\r"; break;
      case '\t': escape = "\\t"; break;
      default: break;
    }
    flush(p);
    if (escape != nullptr) {
      out->append(escape, 2);
    } else {
      const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out->append(u, 6);
    }
    run = ++p;
  }
  flush(p);
  out->push_back('"');
  return true;
}

template <typename T>
void AppendInteger(T v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<std::size_t>(r.ptr - buf));
}

}  // namespace

bool AppendCompactJson(const Json& value, std::string* out) {
  switch (value.type()) {
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [name, item] : value.get_ref<const Json::object_t&>()) {
        if (!first) out->push_back(',');
        first = false;
        if (!AppendString(name, out)) return false;
        out->push_back(':');
        if (!AppendCompactJson(item, out)) return false;
      }
      out->push_back('}');
      return true;
    }
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : value.get_ref<const Json::array_t&>()) {
        if (!first) out->push_back(',');
        first = false;
        if (!AppendCompactJson(item, out)) return false;
      }
      out->push_back(']');
      return true;
    }
    case Json::value_t::string:
      return AppendString(value.get_ref<const std::string&>(), out);
    case Json::value_t::number_integer:
      AppendInteger(value.get<std::int64_t>(), out);
      return true;
    case Json::value_t::number_unsigned:
      AppendInteger(value.get<std::uint64_t>(), out);
      return true;
    case Json::value_t::boolean:
      out->append(value.get<bool>() ? "true" : "false");
      return true;
    case Json::value_t::null:
      out->append("null");
      return true;
    default:
      // Floating-point numbers (nlohmann's shortest round-trip form) and
      // the kinds a parse never makes: its own serializer.
      try {
        out->append(value.dump());
      } catch (const Json::exception&) {
        return false;
      }
      return true;
  }
}

std::string JsonText::Release() {
  buf_.resize(size_);
  size_ = 0;
  empty_ = 0;
  depth_ = 0;
  after_key_ = false;
  return std::move(buf_);
}

void JsonText::Grow(std::size_t n) {
  // A kilobyte more at a time (resize writes zeros over what it adds), in
  // an allocation that doubles.
  const std::size_t want = size_ + std::max<std::size_t>(n, 1024);
  if (want > buf_.capacity()) buf_.reserve(std::max(want, 2 * buf_.capacity()));
  buf_.resize(want);
}

template <typename F>
void JsonText::AppendWith(F append) {
  buf_.resize(size_);
  append(&buf_);
  size_ = buf_.size();
}

void JsonText::Open(char c) {
  if (depth_ == kMaxDepth) throw std::length_error("JsonText: nested more than kMaxDepth deep");
  Separate();
  Put(c);
  empty_ |= std::uint64_t{1} << depth_;
  ++depth_;
}

void JsonText::Escaped(std::string_view s) {
  AppendWith([s](std::string* out) {
    const std::size_t at = out->size();
    if (!AppendString(s, out)) {
      out->resize(at);
      out->append(Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace));
    }
  });
}

void JsonText::Uint(std::uint64_t v) {
  Separate();
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, v);
  Put(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
}

void JsonText::Value(const Json& value) {
  Separate();
  AppendWith([&value](std::string* out) {
    const std::size_t at = out->size();
    if (!AppendCompactJson(value, out)) {
      out->resize(at);
      out->append(value.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
  });
}

}  // namespace unbundled
