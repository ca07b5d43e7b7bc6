// log::Reader: reads records (core/log_format.h) back from the bytes of a
// log file, verifying each, and reports every problem with its byte offset.
//
// - A record cut short at the end of the file is a *torn tail*: the writer
//   died mid-record. It is a clean end, not corruption; its bytes are
//   reported as discarded.
// - A checksum mismatch, an unknown type, an impossible length, a payload
//   that does not decode, or an LSN that does not increase, anywhere before
//   the end, is *corruption*.
//
// After corruption the reader either stops there (everything from it on is
// dropped) or, when told to skip, scans forward byte by byte for the next
// record that verifies and resumes there.
#ifndef UNBUNDLED_CORE_LOG_READER_H_
#define UNBUNDLED_CORE_LOG_READER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/log_file.h"
#include "core/types.h"

namespace unbundled {
namespace log {

// One verified record, as it lies in the file.
struct Record {
  std::size_t offset = 0;  // of its first header byte
  std::size_t size = 0;    // header + payload
  std::uint32_t checksum = 0;  // as stored (masked)
  LogEntry entry;          // lsn, op, key, value, request_id, decoded from the payload
  // Only from a Reader told to KeepValuesAsText: a put's value as it lies in
  // the record when it is in the stored form (IsStoredForm,
  // core/json_reader.h), and then entry.value is null. Empty otherwise (a
  // delete, or a value written in another form, which entry.value holds
  // parsed).
  std::string value_text;
};

// A problem the reader found. `bytes` were dropped from `offset` on.
struct Problem {
  std::size_t offset = 0;
  std::size_t bytes = 0;
  bool torn_tail = false;       // else corruption
  std::optional<Lsn> lsn;       // the LSN the damaged record's header claims, if it has one
  std::string reason;           // e.g. "checksum mismatch"
};

using Reporter = std::function<void(const Problem&)>;

class Reader {
 public:
  // `data` must remain live while this Reader is in use. `reporter` may be
  // empty. With `skip_corruption`, reading resumes at the next valid record
  // after corruption; without it, corruption ends the log.
  Reader(LogBytes data, Reporter reporter, bool skip_corruption);
  Reader(std::string_view data, Reporter reporter, bool skip_corruption)
      : Reader(LogBytes(data), std::move(reporter), skip_corruption) {}
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads the next valid record into *record. False at the end of the log
  // (the end of the data, a torn tail, or corruption when not skipping).
  bool ReadRecord(Record* record);

  // From now on a put's value in the stored form is checked as it lies and
  // handed out as text (Record::value_text), not parsed: the engine's own
  // replays build their documents from that text, and parsing every value
  // was most of a recovery's time. A value in any other form is parsed and
  // checked as before. What verifies, and every problem, is the same.
  void KeepValuesAsText() { values_as_text_ = true; }
  // Where the last valid record read so far ends: the length the file should
  // be cut to if nothing after it is kept.
  std::size_t end_of_last_record() const { return end_of_last_; }

 private:
  enum class Outcome { kRecord, kTornTail, kCorruption };
  // Tries to read one record at `offset`; on kCorruption, *reason says why.
  Outcome Parse(std::size_t offset, Record* record, std::string* reason,
                std::optional<Lsn>* claimed_lsn) const;
  void Report(const Problem& problem) const;

  LogBytes data_;
  mutable std::string scratch_;  // a record that crosses from one segment into the next
  Reporter reporter_;
  bool skip_corruption_;
  bool values_as_text_ = false;
  std::size_t offset_ = 0;
  std::size_t end_of_last_ = 0;
  Lsn last_lsn_ = 0;
  bool done_ = false;
};

// A record payload's parts, as views into it: checked as DecodePayload
// checks them (lengths, key, request id), except that a put's value is not
// parsed.
struct PayloadParts {
  LogOp op = LogOp::kPut;
  std::string_view key;
  std::string_view request_id;  // empty for types 1 and 2
  std::string_view value;       // a put's value text; empty for a delete
};
bool SplitPayload(std::uint8_t type, std::string_view payload, PayloadParts* parts,
                  std::string* why);
// The entry the parts say (its key, op, request id, and a put's value
// parsed), in *entry, whose lsn is left as it is; false (and why) unless the
// value is a JSON object. *entry changes only on success.
bool EntryFromParts(const PayloadParts& parts, LogEntry* entry, std::string* why);

// Decodes a record payload into *entry (key, for a put the value, and for
// types 3 and 4 the request id; request_id is left empty for types 1 and 2).
// Returns false and says why when the payload is malformed.
bool DecodePayload(std::uint8_t type, std::string_view payload, LogEntry* entry,
                   std::string* why);

// Where a record's key lies, from its bytes alone (header and payload, as
// stored): after key_len at the start of the payload for types 1 and 2, and
// after request_id_len and the request id for types 3 and 4. *key views into
// `record`. False when the bytes are too short for the lengths they claim.
// Verifies nothing else (no checksum, no UTF-8): for callers that need only
// the key of a record they already trust.
bool KeyOf(std::string_view record, std::string_view* key);

// Reads a little-endian integer (used by the reader and by tools that show
// a record's header).
std::uint32_t DecodeFixed32(const char* p);
std::uint64_t DecodeFixed64(const char* p);

}  // namespace log
}  // namespace unbundled

#endif  // UNBUNDLED_CORE_LOG_READER_H_
