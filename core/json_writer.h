// Compact JSON text of a document, byte for byte what nlohmann's dump()
// writes (the log's record format stores that text, so the two must never
// differ), in a fraction of its time: a put serializes its value once, and
// this was a sixth of a put's cost.
#ifndef UNBUNDLED_CORE_JSON_WRITER_H_
#define UNBUNDLED_CORE_JSON_WRITER_H_

#include <string>

#include "core/types.h"

namespace unbundled {

// Appends the compact serialization of `value` to *out. False (with *out
// holding a partial text) when a string or an object's field name is not
// valid UTF-8, where dump() throws.
bool AppendCompactJson(const Json& value, std::string* out);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_JSON_WRITER_H_
