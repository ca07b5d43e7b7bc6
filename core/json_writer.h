// Compact JSON text of a document, byte for byte what nlohmann's dump()
// writes (the log's record format stores that text, so the two must never
// differ), in a fraction of its time: a put serializes its value once, and
// this was a sixth of a put's cost.
#ifndef UNBUNDLED_CORE_JSON_WRITER_H_
#define UNBUNDLED_CORE_JSON_WRITER_H_

#include <string>

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

// Appends the compact serialization of `value` to *out. False (with *out
// holding a partial text) when a string or an object's field name is not
// valid UTF-8, where dump() throws.
bool AppendCompactJson(const Json& value, std::string* out);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_JSON_WRITER_H_
