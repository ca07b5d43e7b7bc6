// A fast reader for the plain JSON that pages and files send (steps,
// scenarios): no escapes in strings, nothing near a limit. It builds the
// same nlohmann value nlohmann's own parser builds, about three times
// faster (nlohmann's lexer reads a character at a time through an input
// adapter and copies every token into a buffer), and gives up, changing
// nothing, on anything else: text that is not valid JSON, an escape in a
// string, a byte that is not UTF-8, a number that is not an exact integer
// of at most 2^53 - 1 or a finite double, nesting or a field name past the
// limits of core/limits.h, a byte-order mark. ParseUserJson
// (core/user_json.h) then reads the text with nlohmann's parser, which
// refuses what must be refused with its reasons.
#ifndef UNBUNDLED_CORE_JSON_READER_H_
#define UNBUNDLED_CORE_JSON_READER_H_

#include <string_view>

#include "core/types.h"

namespace unbundled {

// Reads `text` into *out and returns true; or returns false, leaving *out
// as it was, when the text is not plain JSON as described above.
bool ReadPlainJson(std::string_view text, Json* out);

// Whether `text` is a valid document's stored form: a JSON object that
// ValidateValue (core/types.h) accepts and whose compact serialization
// (AppendCompactJson) is `text` itself, byte for byte. Then a put can store
// the text as it is, with nothing parsed or written again. Conservative: a
// string with an escape or a number with a fraction or an exponent gives
// false even when stored so, and the caller takes the parsing path.
bool IsStoredForm(std::string_view text);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_JSON_READER_H_
