// The data that flows through the engine: documents, log entries and change
// events. Formats are described in README.md ("Words"); the constants here are the
// single source of the limits stated there.
#ifndef UNBUNDLED_CORE_TYPES_H_
#define UNBUNDLED_CORE_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/doc.h"
#include "core/limits.h"
#include "core/shared_key.h"

namespace unbundled {

using Json = nlohmann::json;
// A document is a JSON object. Absent documents are JSON null.
using Document = nlohmann::json;

// Stored documents (Doc, shared through DocRef) are kept as their compact
// JSON text: core/doc.h.

// Log sequence number. The first log entry has LSN 1; 0 means "nothing yet".
using Lsn = std::uint64_t;

// kMaxKeyBytes, kMaxValueBytes and the other limits: core/limits.h.

enum class LogOp { kPut, kDelete };

// log_entry := lsn, op ("put" | "delete"), key, value (put only), request_id (optional)
struct LogEntry {
  Lsn lsn = 0;
  LogOp op = LogOp::kPut;
  std::string key;
  Document value;  // null for a delete
  std::string request_id;  // the client's end-to-end request id; empty = none
};

// Debezium's op codes: create, update, delete, read (snapshot).
enum class ChangeOp : char { kCreate = 'c', kUpdate = 'u', kDelete = 'd', kRead = 'r' };

// change_event := lsn, op, key, before (null | document), after (null | document)
// Events are not stored: the change stream builds each from the log when it
// is asked for (core/change_stream.h), sharing the log's documents.
struct ChangeEvent {
  Lsn lsn = 0;
  ChangeOp op = ChangeOp::kCreate;
  SharedKey key;  // shared with storage and the derived systems that keep it
  DocRef before;  // null for c and r
  DocRef after;   // null for d
};

Json ToJson(const LogEntry& entry);
Json ToJson(const ChangeEvent& event);
// The same JSON as ToJson(event), written as text (its documents copied as
// they are stored).
class JsonText;
void WriteJson(const ChangeEvent& event, JsonText* out);

// Checks a key: non-empty, valid UTF-8, at most kMaxKeyBytes bytes.
// `field` names it in the error (e.g. "key").
class Status;
Status ValidateKey(std::string_view key, const std::string& field);
// Checks a value: a JSON object whose compact serialization (valid UTF-8) is at
// most kMaxValueBytes bytes, nested at most kMaxValueDepth levels, with field
// names of at most kMaxFieldNameBytes bytes and integers of at most
// kMaxExactInteger in magnitude.
// When `compact` is not null it receives that serialization.
Status ValidateValue(const Document& value, const std::string& field,
                     std::string* compact = nullptr);
// True when `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);
// Length of the well-formed UTF-8 sequence at p (p < end), or 0 when it is
// not one: overlong forms, surrogates and code points past U+10FFFF are not.
std::size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_TYPES_H_
