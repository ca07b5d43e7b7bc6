// LogWriter: encodes log entries as records (core/log_format.h) and appends
// them to a LogFile. It only appends; syncing is the LogFile's business.
#ifndef UNBUNDLED_CORE_LOG_WRITER_H_
#define UNBUNDLED_CORE_LOG_WRITER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/log_file.h"
#include "core/types.h"

namespace unbundled {
namespace log {

// The whole record for one entry. `value_json` is the compact JSON text of
// the document (ignored for a delete). `request_id`, when not empty, makes
// it a type 3 or 4 record (put or delete with request id); empty, a type 1
// or 2. Key, value and request id were validated already.
std::string EncodeRecord(LogOp op, Lsn lsn, const std::string& key, std::string_view value_json,
                         const std::string& request_id = "");

// The size in bytes of the record EncodeRecord writes for this key, value
// and request id (pass an empty `value_json` for a delete): header, the
// request id's length and bytes when there is one, key length, key, value.
std::size_t RecordSize(std::string_view key, std::string_view value_json,
                       std::string_view request_id = {});

class Writer {
 public:
  // `dest` must remain live while this Writer is in use.
  explicit Writer(LogFile* dest) : dest_(dest) {}
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Appends one record; returns its byte offset in the file.
  std::size_t AddRecord(const std::string& record);

 private:
  LogFile* dest_;
};

}  // namespace log
}  // namespace unbundled

#endif  // UNBUNDLED_CORE_LOG_WRITER_H_
