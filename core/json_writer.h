// Compact JSON text of a document, byte for byte what nlohmann's dump()
// writes (the log's record format stores that text, so the two must never
// differ), in a fraction of its time: a put serializes its value once, and
// this was a sixth of a put's cost.
#ifndef UNBUNDLED_CORE_JSON_WRITER_H_
#define UNBUNDLED_CORE_JSON_WRITER_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/types.h"

namespace unbundled {

// The bytes a string's compact text holds as they are (printable ASCII
// other than " and \); every other byte is escaped or is UTF-8. The stored
// form's reader (IsStoredForm, core/json_reader.h) takes the same ones.
struct PlainStringBytes {
  bool plain[256] = {};
  constexpr PlainStringBytes() {
    for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  }
  constexpr bool operator[](unsigned char c) const { return plain[c]; }
};
inline constexpr PlainStringBytes kPlainStringBytes;

// Whether every byte of `s` is plain (kPlainStringBytes), eight at a time:
// a word has a byte below 0x20, at or above 0x80, or equal to '"' or '\\'
// exactly when one of these tests sets that byte's top bit.
__attribute__((always_inline)) inline bool IsPlainString(std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    const std::uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
    if ((x & kHigh) | below_space | has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\'))) {
      return false;
    }
  }
  for (; i < s.size(); ++i) {
    if (!kPlainStringBytes[static_cast<unsigned char>(s[i])]) return false;
  }
  return true;
}

// Copies n bytes, as memcpy does. A key or a term is a few bytes long: up
// to 16 bytes they are copied as two words that may overlap, with no call
// (in WebAssembly a memcpy of a length not known is a call to a loop).
__attribute__((always_inline)) inline void CopyBytes(char* to, const char* from, std::size_t n) {
  if (n >= 8 && n <= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, from, 8);
    std::memcpy(&b, from + n - 8, 8);
    std::memcpy(to, &a, 8);
    std::memcpy(to + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    std::uint32_t a, b;
    std::memcpy(&a, from, 4);
    std::memcpy(&b, from + n - 4, 4);
    std::memcpy(to, &a, 4);
    std::memcpy(to + n - 4, &b, 4);
  } else if (n < 4) {
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
  } else {
    std::memcpy(to, from, n);
  }
}

// Appends the compact serialization of `value` to *out. False (with *out
// holding a partial text) when a string or an object's field name is not
// valid UTF-8, where dump() throws.
bool AppendCompactJson(const Json& value, std::string* out);

// Writes compact JSON text as it goes, for replies built from the engine's
// own data without an nlohmann value in between (a view's documents are
// stored as compact text already, and are copied as they are). The caller
// writes an object's members in name order, so that the text is byte for
// byte what dump() writes of the same value. Text that is not valid UTF-8
// is written as dump() writes it with error_handler_t::replace.
//
// The small writes (a plain string, a key, a separator, bytes) are always
// inlined: left to itself, LLVM kept them calls in WebAssembly, where a
// view writes some 3,000 short strings.
class JsonText {
 public:
  JsonText() = default;

  // The text written so far, given up by the writer (which starts again
  // empty).
  std::string Release();

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // An object member's name; its value is written next.
  __attribute__((always_inline)) void Key(std::string_view name) {
    String(name);
    Put(':');
    after_key_ = true;
  }

  __attribute__((always_inline)) void String(std::string_view s) {
    Separate();
    if (!IsPlainString(s)) {
      Escaped(s);
      return;
    }
    // Nothing to escape or check: most keys and terms.
    char* d = Room(s.size() + 2);
    d[0] = '"';
    CopyBytes(d + 1, s.data(), s.size());
    d[s.size() + 1] = '"';
    size_ += s.size() + 2;
  }
  void Uint(std::uint64_t v);
  void Bool(bool v) {
    Separate();
    Put(v ? std::string_view("true") : std::string_view("false"));
  }
  void Null() {
    Separate();
    Put("null");
  }
  void Value(const Json& value);
  // Text that is already one compact JSON value (a stored document).
  void Raw(std::string_view compact) {
    Separate();
    Put(compact);
  }

  // Shorthands for a member: Key(name) then the value.
  void Member(std::string_view name, std::string_view s) { Key(name); String(s); }
  void Member(std::string_view name, const char* s) { Key(name); String(s); }
  void Member(std::string_view name, const std::string& s) { Key(name); String(s); }
  template <typename T, std::enable_if_t<std::is_unsigned<T>::value, int> = 0>
  void Member(std::string_view name, T v) {
    Key(name);
    if constexpr (std::is_same<T, bool>::value) {
      Bool(v);
    } else {
      Uint(v);
    }
  }
  void Member(std::string_view name, const Json& value) { Key(name); Value(value); }
  // A number, or null when there is none.
  void Member(std::string_view name, std::optional<std::uint64_t> v) {
    Key(name);
    if (v) {
      Uint(*v);
    } else {
      Null();
    }
  }

  // Objects and arrays may nest this deep (a Value inside is not counted).
  static constexpr int kMaxDepth = 64;

 private:
  // The bytes are written into buf_ by hand, with size_ the end of the text
  // and buf_ grown ahead of it: in WebAssembly each std::string push_back or
  // append is a call, and they were a third of a view's time.
  __attribute__((always_inline)) char* Room(std::size_t n) {
    if (buf_.size() - size_ < n) Grow(n);
    return &buf_[size_];
  }
  void Grow(std::size_t n);
  // A string with bytes to escape, or that is not UTF-8.
  void Escaped(std::string_view s);
  __attribute__((always_inline)) void Put(char c) {
    *Room(1) = c;
    ++size_;
  }
  __attribute__((always_inline)) void Put(std::string_view s) {
    CopyBytes(Room(s.size()), s.data(), s.size());
    size_ += s.size();
  }
  // A comma before a value that is not an object's or array's first.
  __attribute__((always_inline)) void Separate() {
    if (after_key_) {
      after_key_ = false;
    } else if (depth_ > 0) {
      const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
      if ((empty_ & bit) == 0) Put(',');
      empty_ &= ~bit;
    }
  }
  void Open(char c);
  void Close(char c) {
    --depth_;
    Put(c);
  }
  // Writes with a function that appends to a std::string.
  template <typename F>
  void AppendWith(F append);

  std::string buf_;
  std::size_t size_ = 0;
  std::uint64_t empty_ = 0;  // bit d: the object or array at depth d + 1 has nothing yet
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_JSON_WRITER_H_
