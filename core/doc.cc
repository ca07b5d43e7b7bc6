#include "core/doc.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstring>
#include <new>
#include <ostream>

#include "core/json_writer.h"
#include "core/node_pool.h"

namespace unbundled {

namespace {

// The content of a string literal's text (with its quotes), unescaped.
std::string Unescape(std::string_view literal) {
  if (literal.find('\\') == std::string_view::npos) {
    return std::string(literal.substr(1, literal.size() - 2));
  }
  return nlohmann::json::parse(literal).get<std::string>();
}

}  // namespace

std::string DocValue::String() const {
  assert(is_string());
  return Unescape(raw_);
}

bool DocValue::PlainString(std::string_view* view) const {
  if (!is_string() || raw_.find('\\') != std::string_view::npos) return false;
  *view = raw_.substr(1, raw_.size() - 2);
  return true;
}

bool DocValue::Integer(std::int64_t* value) const {
  if (!is_number() || raw_.find_first_of(".eE") != std::string_view::npos) return false;
  const auto r = std::from_chars(raw_.data(), raw_.data() + raw_.size(), *value);
  return r.ec == std::errc() && r.ptr == raw_.data() + raw_.size();
}

nlohmann::json DocValue::ToJson() const { return nlohmann::json::parse(raw_); }

nlohmann::json Doc::ToJson() const { return nlohmann::json::parse(text()); }

const char* Doc::SkipString(const char* p) {
  ++p;  // the opening quote
  for (;;) {
    if (*p == '\\') {
      p += 2;  // an escape never ends the string; \uXXXX's digits are plain
    } else if (*p++ == '"') {
      return p;
    }
  }
}

const char* Doc::SkipValue(const char* p) {
  switch (*p) {
    case '"':
      return SkipString(p);
    case '{':
    case '[': {
      int depth = 0;
      for (;;) {
        const char c = *p;
        if (c == '"') {
          p = SkipString(p);
          continue;
        }
        ++p;
        if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          return p;
        }
      }
    }
    default:  // a number, true, false or null: up to the next separator
      while (*p != ',' && *p != '}' && *p != ']') ++p;
      return p;
  }
}

bool Doc::Find(std::string_view name, DocValue* value) const {
  // A name without a character JSON escapes is written as it is: then a
  // field matches when its text is the name followed by the closing quote.
  const bool plain = std::none_of(name.begin(), name.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
  const std::size_t n = name.size();
  const char* p = data() + 1;            // after '{', at a field name's quote
  const char* end = data() + size_ - 1;  // at '}'
  while (p < end) {
    const char* name_end;
    bool match;
    if (plain) {
      match = static_cast<std::size_t>(end - p) > n + 1 && p[n + 1] == '"' &&
              std::memcmp(p + 1, name.data(), n) == 0;
      name_end = match ? p + n + 2 : SkipString(p);
    } else {
      name_end = SkipString(p);
      match = Unescape(std::string_view(p, static_cast<std::size_t>(name_end - p))) == name;
    }
    const char* start = name_end + 1;  // after ':'
    const char* stop = SkipValue(start);
    if (match) {
      *value = DocValue(std::string_view(start, static_cast<std::size_t>(stop - start)));
      return true;
    }
    p = stop + 1;  // after ','
  }
  return false;
}

bool operator==(const Doc& a, const Doc& b) {
  return a.text() == b.text() || a.ToJson() == b.ToJson();
}

bool operator==(const Doc& a, const nlohmann::json& b) { return a.ToJson() == b; }

std::ostream& operator<<(std::ostream& os, const Doc& doc) { return os << doc.text(); }

std::ostream& operator<<(std::ostream& os, const DocRef& ref) {
  if (!ref) return os << "(absent)";
  return os << *ref;
}

void DocRef::Release() {
  if (doc_ != nullptr && --doc_->refs_ == 0) {
    const std::size_t bytes = sizeof(Doc) + doc_->size_;
    doc_->~Doc();
    node_pool::Free(doc_, bytes);
  }
  doc_ = nullptr;
}

DocRef MakeDocFromText(std::string_view compact) {
  assert(compact.size() >= 2 && compact.front() == '{' && compact.back() == '}');
  void* memory = node_pool::Allocate(sizeof(Doc) + compact.size());
  Doc* doc = new (memory) Doc(static_cast<std::uint32_t>(compact.size()));
  std::memcpy(static_cast<char*>(memory) + sizeof(Doc), compact.data(), compact.size());
  return DocRef(doc);
}

DocRef MakeDoc(const nlohmann::json& object) {
  assert(object.is_object());
  std::string text;
  if (!AppendCompactJson(object, &text)) {
    // Not UTF-8 (values are validated before they are stored, so only a
    // caller's mistake gets here): dump() with replacement characters
    // still writes well-formed text, which the field readers rely on.
    text = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return MakeDocFromText(text);
}

std::optional<std::string> IndexTerm(const DocValue& value) {
  if (value.is_string()) return value.String();
  if (value.is_number() || value.is_boolean()) return std::string(value.raw());
  return std::nullopt;
}

}  // namespace unbundled
