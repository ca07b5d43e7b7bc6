// WriteAheadLog: the append-only source of truth, kept as the bytes of a log
// file (core/log_format.h) plus an index of the records in it.
//
// Every accepted write becomes one record with the next LSN. LSNs increase
// but are not dense: after a recovery that skipped a corrupt record an LSN
// can be missing, so nothing here (or anywhere) may treat LSN n as the n-th
// record. Find records by LSN with Find().
#ifndef UNBUNDLED_CORE_WRITE_AHEAD_LOG_H_
#define UNBUNDLED_CORE_WRITE_AHEAD_LOG_H_

#include <cstddef>
#include <string>
#include <vector>

#include "core/log_file.h"
#include "core/log_reader.h"
#include "core/log_writer.h"
#include "core/status.h"
#include "core/types.h"

namespace unbundled {

// How recovery treats a corrupt record: RocksDB's WALRecoveryMode. A torn
// tail is never corruption (the writer died mid-record); every mode cuts it.
enum class RecoveryMode {
  // Stop at the first corrupt record; it and everything after it are lost.
  // Gives up: intact writes that happen to lie after the damage.
  kPointInTime,
  // Refuse to open while any record is corrupt; the database stays down.
  // Gives up: availability, until someone chooses to accept a loss.
  kAbsolute,
  // Drop corrupt records and keep the later valid ones.
  // Gives up: consistency, since a kept write may depend on a dropped one.
  kSkip,
};

const char* RecoveryModeName(RecoveryMode mode);
// "point_in_time", "absolute" or "skip"; false for anything else.
bool ParseRecoveryMode(const std::string& name, RecoveryMode* mode);

// Where one record lies in the file.
struct RecordInfo {
  Lsn lsn = 0;
  std::size_t offset = 0;
  std::size_t size = 0;
  LogOp op = LogOp::kPut;
  // False for a write whose reply was lost in a crash (Jepsen's "info": it
  // may or may not have happened, as far as the client knows).
  bool acknowledged = true;
};

// What reading the file back found.
struct ReadReport {
  std::vector<log::Problem> problems;  // in file order
  std::size_t discarded_bytes = 0;
};

class WriteAheadLog {
 public:
  WriteAheadLog() : writer_(&file_) {}
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  // Appends a record for `entry` (whose lsn must be NextLsn()), written but
  // not yet synced. `value_json` is the compact JSON of a put's value.
  const RecordInfo& Append(const LogEntry& entry, const std::string& value_json);
  // Makes every written record durable.
  void Sync();
  // Marks the newest record as never acknowledged to its client.
  void MarkLastUnacknowledged() { records_.back().acknowledged = false; }

  // The LSN the next write takes: one after the head.
  Lsn NextLsn() const { return head() + 1; }
  // LSN of the newest record; 0 when there is none.
  Lsn head() const { return records_.empty() ? 0 : records_.back().lsn; }
  // The highest LSN whose whole record is on disk (0: none).
  Lsn durable_lsn() const {
    return durable_count_ == 0 ? 0 : records_[durable_count_ - 1].lsn;
  }
  // Records in LSN (and file) order.
  const std::vector<RecordInfo>& records() const { return records_; }
  // The record with exactly this LSN, or nullptr (binary search).
  const RecordInfo* Find(Lsn lsn) const;
  // Decodes a record's entry from the file's bytes. False (and *why) when
  // the bytes there no longer decode (they rotted on disk).
  bool Read(const RecordInfo& record, LogEntry* entry, std::string* why) const;

  // Every record's entry, decoded from the file, in LSN order; records whose
  // bytes no longer decode are left out. O(log size): for tests and tools.
  std::vector<LogEntry> DecodeAll() const;

  const LogFile& file() const { return file_; }
  LogFile* mutable_file() { return &file_; }

  // Reads the whole file back from its first byte, verifying every record,
  // as recovery does. On success the file ends at the last good record (or,
  // having skipped corruption, holds only the good records) and is synced,
  // the index is rebuilt, and *entries holds the recovered entries in order. kAbsolute
  // fails on corruption, naming its offset, and changes nothing.
  Status Recover(RecoveryMode mode, std::vector<LogEntry>* entries, ReadReport* report);

  // Replaces the whole file with `bytes` and forgets the index (the database
  // is then down until Recover). Used to open an existing file.
  void Load(std::string bytes);

 private:
  LogFile file_;
  log::Writer writer_;
  std::vector<RecordInfo> records_;
  std::size_t durable_count_ = 0;  // records_[0, durable_count_) are synced
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_WRITE_AHEAD_LOG_H_
