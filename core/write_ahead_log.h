// WriteAheadLog: the append-only source of truth, kept as the bytes of a log
// file (core/log_format.h) plus an index of the records in it.
//
// Every accepted write becomes one record with the next LSN. LSNs increase
// but are not dense: after a recovery that skipped a corrupt record an LSN
// can be missing, so nothing here (or anywhere) may treat LSN n as the n-th
// record. Find records by LSN with Find().
#ifndef UNBUNDLED_CORE_WRITE_AHEAD_LOG_H_
#define UNBUNDLED_CORE_WRITE_AHEAD_LOG_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/log_file.h"
#include "core/log_reader.h"
#include "core/log_writer.h"
#include "core/shared_vector.h"
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

// "No record": the index a RecordInfo::prev holds for a key's first record.
constexpr std::uint32_t kNoRecord = 0xFFFFFFFFu;

// Where one record lies in the file: 32 bytes per log entry.
struct RecordInfo {
  Lsn lsn = 0;
  std::size_t offset = 0;
  std::uint32_t size = 0;
  // Index (in records()) of the previous record of the same key, or
  // kNoRecord. A change event's "before" image is that record's document,
  // so events need no copy of their own.
  std::uint32_t prev = kNoRecord;
  LogOp op = LogOp::kPut;
  // False for a write whose reply was lost in a crash (Jepsen's "info": it
  // may or may not have happened, as far as the client knows).
  bool acknowledged = true;

  bool operator==(const RecordInfo& o) const {
    return lsn == o.lsn && offset == o.offset && size == o.size && prev == o.prev && op == o.op &&
           acknowledged == o.acknowledged;
  }
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

  // Appends a record (lsn NextLsn()), written but not yet synced.
  // `value_json` is the compact JSON of a put's value; `prev` the index of
  // the key's previous record; `request_id` the client's end-to-end request
  // id (empty: none, a type 1 or 2 record; else type 3 or 4). Returns the
  // new record's index.
  std::size_t Append(LogOp op, const std::string& key, std::string_view value_json,
                     std::uint32_t prev, const std::string& request_id = "");
  // Sets a record's `prev` (recovery rebuilds the links as it replays).
  void SetPrev(std::size_t index, std::uint32_t prev) { records_.mutable_at(index).prev = prev; }
  // Makes every written record durable.
  void Sync();
  // Marks the newest record as never acknowledged to its client.
  void MarkLastUnacknowledged() { records_.mutable_at(records_.size() - 1).acknowledged = false; }

  // The LSN the next write takes: one after the head.
  Lsn NextLsn() const { return head() + 1; }
  // LSN of the newest log entry ever written and not lost in a crash; 0
  // when there is none. Removing entries (InstallRemoval) never lowers it, so an
  // LSN is never given twice.
  Lsn head() const { return std::max(records_.empty() ? 0 : records_.back().lsn, removed_high_); }
  // The highest LSN whose whole record is on disk (0: none).
  Lsn durable_lsn() const {
    return std::max(durable_count_ == 0 ? 0 : records_[durable_count_ - 1].lsn, removed_high_);
  }
  // The first LSN the log may still hold: 1, or the `before` of the last
  // truncation (entries with a lower LSN are gone). Kept, as the head is,
  // in the log's control data, which survives crashes.
  Lsn start_lsn() const { return start_lsn_; }
  // Records in LSN (and file) order.
  const SharedVector<RecordInfo>& records() const { return records_; }
  // The record with exactly this LSN, or nullptr (binary search).
  const RecordInfo* Find(Lsn lsn) const;
  // Decodes a record's entry from the file's bytes. False (and *why) when
  // the bytes there no longer decode (they rotted on disk).
  bool Read(const RecordInfo& record, LogEntry* entry, std::string* why) const;
  // The same, without parsing a put's value: the parts view into the file's
  // bytes, or into *scratch for a record that crosses from one segment into
  // the next. Valid until the file or *scratch changes.
  bool ReadParts(const RecordInfo& record, log::PayloadParts* parts, std::string* scratch,
                 std::string* why) const;

  // The record's bytes as the database process reads them: from the file,
  // except that bytes which rotted on disk since the process wrote them are
  // still read from its own buffers, until a crash loses those. Empty when
  // the record is not (wholly) in the file. `scratch` may hold the bytes.
  std::string_view Bytes(const RecordInfo& record, std::string* scratch) const;
  // Decodes a record as the database reads it (Bytes), verifying its
  // checksum. False when it does not verify (only after a crash lost the
  // buffers of a record that rotted) or is not in the file.
  bool ReadVerified(const RecordInfo& record, LogEntry* entry) const;
  // Whether the record verifies as the database reads it: its checksum,
  // nothing decoded. Every record in the index was a well-formed record
  // when it entered (written here, or read back by a recovery, which
  // refuses one that does not decode), so one that verifies still decodes.
  bool Verifies(const RecordInfo& record) const;
  // The same check, the record split into its parts (views into the bytes
  // or `scratch`), a put's value left as text: for a reader that needs only
  // the document, which it need not parse when the text is in the stored form.
  bool ReadVerifiedParts(const RecordInfo& record, log::PayloadParts* parts,
                         std::string* scratch) const;
  // Flips the byte at `offset` on disk; the process keeps reading the
  // byte it wrote until it crashes (DropBuffers).
  void Rot(std::size_t offset);
  // The database process died: its buffers are gone.
  void DropBuffers() { buffered_.clear(); }

  // Removes records (all durable) from the file and the index, as log
  // retention does: PostgreSQL recycling WAL segments, Kafka deleting a
  // segment or its log cleaner rewriting one. The kept records keep their
  // LSNs and their order; their bytes move up and the file is rewritten
  // (the unsynced tail stays unsynced); `prev` links are remapped, and a
  // link to a removed record becomes kNoRecord. A Removal takes the records
  // one at a time, in index order, building the new file and index on the
  // side (a page that must not block takes it in parts); InstallRemoval
  // then makes the log so at once. It only reads the log, which must not
  // change until it is installed.
  class Removal {
   public:
    explicit Removal(const WriteAheadLog& wal);
    // Takes the next record: removed, or kept.
    void Take(bool remove);
    std::size_t taken() const { return next_; }
    bool done() const { return next_ == wal_->records_.size(); }

   private:
    friend class WriteAheadLog;
    const WriteAheadLog* wal_;
    std::size_t next_ = 0;                 // the next record to take
    std::vector<std::uint32_t> map_;       // old record index -> new (kNoRecord: removed)
    std::vector<RecordInfo> kept_;
    std::string bytes_;                    // the new file
    std::map<std::size_t, char> buffered_;  // the rotted bytes, at their new offsets
    std::size_t removed_bytes_ = 0, end_ = 0, kept_durable_ = 0;
    Lsn removed_high_ = 0;
  };
  // Requires a Removal of this log, unchanged since, that took every record.
  // Returns, for each old record index, its new one or kNoRecord.
  std::vector<std::uint32_t> InstallRemoval(Removal removal);
  // Records that entries before `lsn` are gone (a truncation).
  void SetStart(Lsn lsn) { start_lsn_ = std::max(start_lsn_, lsn); }

  // Every record's entry, decoded from the file, in LSN order; records whose
  // bytes no longer decode are left out. O(log size): for tests and tools.
  std::vector<LogEntry> DecodeAll() const;

  const LogFile& file() const { return file_; }
  LogFile* mutable_file() { return &file_; }

  // Reads the whole file back from its first byte, verifying every record,
  // as recovery does. On success the file ends at the last good record (or,
  // having skipped corruption, holds only the good records) and is synced,
  // the index is rebuilt, and *records holds the recovered records in order
  // (read with KeepValuesAsText: a value in the stored form comes as text).
  // kAbsolute fails on corruption, naming its offset, and changes nothing.
  // The same as a RecoveryRead to its end, CheckRecovered, PlanRecovery,
  // then InstallRecovered.
  Status Recover(RecoveryMode mode, std::vector<log::Record>* records, ReadReport* report);

  // Reading the file back as recovery does, a part at a time (an engine
  // preparing a recovery for a page that must not block for long): a
  // log::Reader over the file's bytes, values kept as text, its problems
  // gathered. Reads only: the file must not change while it is in use.
  class RecoveryRead {
   public:
    RecoveryRead(const WriteAheadLog& wal, bool skip_corruption);
    RecoveryRead(const RecoveryRead&) = delete;
    RecoveryRead& operator=(const RecoveryRead&) = delete;
    // Reads up to `most` more records; true once the whole file is read.
    bool Read(std::size_t most);
    bool done() const { return done_; }
    // Bytes of the file read so far (to the end of the last good record).
    std::size_t bytes_read() const { return reader_.end_of_last_record(); }
    std::vector<log::Record> records;  // the good records, in order
    ReadReport report;

   private:
    log::Reader reader_;
    bool done_ = false;
  };
  // Whether `mode` accepts what a read found: kAbsolute refuses corruption
  // (a torn tail is never corruption), naming its offset.
  static Status CheckRecovered(RecoveryMode mode, const ReadReport& report);
  // The head the log will have once these records are installed.
  Lsn HeadWith(const std::vector<log::Record>& records) const {
    return std::max(records.empty() ? 0 : records.back().entry.lsn, removed_high_);
  }
  // What a recovery makes of the file, from what a RecoveryRead of it found:
  // the index of the good records, each with its acknowledgement carried
  // over from the old index (its `prev` links left for the replay to set),
  // and the file cut after the last of them or, when corruption between
  // good records was skipped, rewritten with only them, back to back.
  struct RecoveryPlan {
    SharedVector<RecordInfo> index;
    bool rewrite = false;
    std::string bytes;    // the file's new bytes, when rewritten
    std::size_t end = 0;  // else where the file is cut
  };
  RecoveryPlan PlanRecovery(const std::vector<log::Record>& records, const ReadReport& report) const;
  // Makes the file and the index what the plan (of this file, unchanged
  // since) says, and syncs the file.
  void InstallRecovered(RecoveryPlan plan);
  // Replaces the index with the same records in the same order, their
  // `prev` links rebuilt (a storage replay's).
  void SetIndex(SharedVector<RecordInfo> index);

  // Makes this log a copy of `other`: its file's bytes and its index (a
  // checkpoint of the engine; no sink is copied).
  void CopyFrom(const WriteAheadLog& other) {
    file_.CopyFrom(other.file_);
    records_ = other.records_;
    durable_count_ = other.durable_count_;
    buffered_ = other.buffered_;
    removed_high_ = other.removed_high_;
    start_lsn_ = other.start_lsn_;
  }

  // Replaces the whole file with `bytes` and forgets the index (the database
  // is then down until Recover). Used to open an existing file.
  void Load(std::string bytes);

 private:
  LogFile file_;
  log::Writer writer_;
  SharedVector<RecordInfo> records_;  // shared with checkpoints
  std::size_t durable_count_ = 0;  // records_[0, durable_count_) are synced
  // Bytes that rotted on disk while the process was up: offset -> the byte
  // the process wrote (and still reads).
  std::map<std::size_t, char> buffered_;
  // Control data (PostgreSQL's pg_control, Kafka's log-start-offset file):
  // the highest LSN removed by retention, and the first LSN kept.
  Lsn removed_high_ = 0;
  Lsn start_lsn_ = 1;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_WRITE_AHEAD_LOG_H_
