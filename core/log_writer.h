// LogWriter: encodes log entries as records (core/log_format.h) and appends
// them to a LogFile. It only appends; syncing is the LogFile's business.
#ifndef UNBUNDLED_CORE_LOG_WRITER_H_
#define UNBUNDLED_CORE_LOG_WRITER_H_

#include <cstddef>
#include <string>

#include "core/log_file.h"
#include "core/types.h"

namespace unbundled {
namespace log {

// The whole record for one entry. `value_json` is the compact JSON text of
// the document (ignored for a delete). Key and value were validated already.
std::string EncodeRecord(LogOp op, Lsn lsn, const std::string& key, const std::string& value_json);

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
