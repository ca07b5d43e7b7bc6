// WriteAheadLog: the append-only source of truth. Every accepted write becomes
// one log entry with the next LSN. Nothing is ever removed or rewritten.
#ifndef UNBUNDLED_CORE_WRITE_AHEAD_LOG_H_
#define UNBUNDLED_CORE_WRITE_AHEAD_LOG_H_

#include <string>
#include <deque>

#include "core/types.h"

namespace unbundled {

class WriteAheadLog {
 public:
  WriteAheadLog() = default;
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  // Appends an entry with LSN head()+1 and returns it. The caller has already
  // validated key and value.
  const LogEntry& Append(LogOp op, const std::string& key, Document value);

  // LSN of the newest entry; 0 when the log is empty.
  Lsn head() const { return entries_.size(); }
  // Entries in LSN order; entries()[i].lsn == i + 1. A deque, so appending
  // never moves the history (no reallocation pauses as the log grows).
  const std::deque<LogEntry>& entries() const { return entries_; }

 private:
  std::deque<LogEntry> entries_;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_WRITE_AHEAD_LOG_H_
