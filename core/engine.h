// Engine: the database inside-out, as a typed C++ API.
//
// Writes (Put, Delete) touch only the write-ahead log and storage, and append
// one change event to the change stream. Consumers do not see the event until
// someone calls Flush or Step for them (lazy propagation), so they lag; and
// they never see an event before its log record is durable, as PostgreSQL's
// walsender sends only flushed WAL.
//
// The database can crash (Crash, or a write that dies at a fault point) and
// is then down until Recover reads the log file back. Consumers are separate
// processes: they keep their state through a database crash, and crash on
// their own (CrashConsumer).
//
// Every method validates all of its input before changing anything: a method
// that returns a non-ok Status has changed nothing at all.
#ifndef UNBUNDLED_CORE_ENGINE_H_
#define UNBUNDLED_CORE_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/change_stream.h"
#include "core/consumer.h"
#include "core/status.h"
#include "core/storage.h"
#include "core/types.h"
#include "core/write_ahead_log.h"

namespace unbundled {

// How a consumer added to a running system catches up.
enum class JoinMode {
  // Process a synthesized "r" event for every stored row (key order), take
  // the storage LSN as position, then follow the stream from there.
  kSnapshot,
  // Start at position 0 and process the whole event history on later flushes.
  kReplay,
};

// When a write is acknowledged (PostgreSQL's synchronous_commit).
enum class CommitMode {
  kSync,   // after its log record is synced: an acknowledged write survives any crash
  kAsync,  // once written: it is durable only at the next Sync, and a power loss before that loses it
};

enum class CrashKind {
  kProcess,  // the database's memory is lost; written bytes survive in the OS cache
  kPower,    // only synced bytes survive, plus an optional torn prefix of the rest
};

// Where a write dies on its way, if it does.
enum class WriteFault {
  kNone,
  kBeforeSync,  // written, then power is lost (the record may be torn)
  kAfterSync,   // durable, then the process dies before it replies
};

// A dual write: the application also writes to the direct consumers itself.
enum class DualWrite {
  kNone,   // the log is the only path (the inside-out way)
  kNow,    // the application's second write follows at once
  kLater,  // it waits in the client until DirectWrite sends it (or the client crashes)
};

struct WriteOptions {
  WriteFault fault = WriteFault::kNone;
  std::size_t torn_bytes = 0;  // kBeforeSync: bytes of the unsynced tail that survive
  // The client's own id for this request (end-to-end; "" for none): it is
  // written in the log record, and with dedupe_requests a retry that
  // carries it is answered with the first write's result.
  std::string request_id;
  DualWrite direct = DualWrite::kNone;
  std::string client = "app";  // which application process makes the write
};

struct WriteResult {
  bool written = false;       // false for a delete of an absent key, or a duplicate
  ChangeEvent event;          // when written
  bool acknowledged = false;  // the client got its reply
  bool durable = false;       // its record was on disk when the call returned
  // A retry of a request the database already applied (dedupe_requests):
  // nothing was written, and lsn/key are the first write's.
  bool duplicate = false;
  Lsn lsn = 0;                // of the write (or, for a duplicate, the first write)
  std::string key;
  std::vector<std::string> direct_to;  // direct consumers the write was sent to now
  bool direct_pending = false;         // its second write waits in the client
};

// The second half of a dual write, waiting in an application client.
struct PendingDirect {
  Lsn lsn = 0;
  LogOp op = LogOp::kPut;
  std::string key;
  DocRef doc;  // null for a delete
};

// A request the database applied, by request id (rebuilt from the log's
// request-id records by recovery).
struct AppliedRequest {
  Lsn lsn = 0;
  std::string key;
};

struct LostWrite {
  Lsn lsn = 0;
  bool acknowledged = false;
};

struct RecoveryResult {
  RecoveryMode mode = RecoveryMode::kPointInTime;
  Lsn recovered = 0;                  // the new head
  std::size_t replayed = 0;           // log entries replayed into storage
  // The checkpoint recovery started from (0: none), and what it saved: a
  // replay from the log's start would have replayed every recovered entry,
  // and is impossible once a truncation removed entries (complete = false).
  Lsn checkpoint = 0;
  std::size_t replayed_without_checkpoint = 0;
  bool complete_without_checkpoint = true;
  std::string checkpoint_unused;      // why a checkpoint was not used, if not
  std::size_t discarded_bytes = 0;
  std::vector<log::Problem> problems;  // torn tail and corruption, in file order
  std::vector<LostWrite> lost;        // appended before the crash, not recovered
  std::vector<Lsn> survived_unacknowledged;  // recovered, though the client never heard
  std::vector<std::string> ahead;     // consumers now ahead of the log
};

struct ConsumerCheck {
  std::string name;
  bool consistent = true;
  std::string reason;       // why not, in a word or two (empty when consistent)
  Json differences = Json::array();  // up to five {key, expected, actual}
};

struct CheckpointResult {
  Lsn lsn = 0;            // the storage LSN the image is tagged with
  std::size_t rows = 0;   // stored rows in it
  std::size_t log_entries = 0;     // a recovery now replays this many without the image
  std::size_t replay_entries = 0;  // and this many with it
};

// Log entries that retention removed.
struct RemovalResult {
  std::vector<Lsn> removed;          // their LSNs, ascending
  std::size_t bytes_before = 0, bytes_after = 0;  // of the log file
  std::vector<std::string> out_of_range;  // consumers this truncation put out of range
  // Compaction: dropped tombstones, and the consumers that held the key and
  // will read on from before the tombstone (from their position, or from
  // their commit if a crash would take their state back to it): they will
  // never learn of the delete.
  std::vector<std::pair<std::string, Lsn>> dropped_tombstones;  // key, LSN
  std::vector<std::pair<std::string, std::string>> missed_deletes;  // consumer, key
};

// What keeps the log from shrinking: what a truncation may not pass.
struct LogPins {
  std::optional<Lsn> checkpoint;  // its LSN: entries after it are needed by recovery
  std::string consumer;           // the consumer with the lowest committed position
  Lsn consumer_lsn = 0;           // that position: entries after it are pinned
  // The largest `before` a truncation without force accepts (none without
  // a checkpoint).
  std::optional<Lsn> truncatable_before;
};

// A log entry that retention removed, kept by the engine as a checking aid
// (for Verify, and a page's "full log" view); never part of the log.
struct RemovedEntry {
  LogOp op = LogOp::kPut;
  std::string key;
  DocRef doc;
  bool truncated = false;  // by a truncation (else by compaction)
  // A compaction's delete dropped for its age (tombstones_before); any other
  // entry a compaction removes was superseded by a newer one of its key.
  bool dropped_tombstone = false;
};

// How far a step's prepared work has got (Engine::AdvancePrepared), in its
// phase: a recovery's or a storage replay's "reading" the log file back (in
// bytes of the file), then "replaying" its entries (in log entries); a
// verify's "folding" and "feeding" (in change events), then "comparing" (in
// consumers); a compaction's "scanning" for each key's newest entry, then
// a compaction's or a truncation's "removing" (both in log entries); a
// snapshot's "snapshotting" (in storage rows, each an "r" event).
struct PrepareProgress {
  bool done = false;
  const char* phase = "reading";
  std::size_t at = 0, of = 0;
};

struct CorruptResult {
  Lsn lsn = 0;
  std::size_t offset = 0;  // of the flipped byte in the file
  std::size_t byte = 0;    // of the flipped byte within the record
  unsigned was = 0, now = 0;
};

class Engine {
 public:
  Engine();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A snapshot's "r" events all listed (AddConsumer, Rebuild).
  static constexpr std::size_t kAllEvents = static_cast<std::size_t>(-1);

  // Appends a put to the log, applies it to storage and emits a "c" or "u"
  // event. With a fault, the database crashes on the way and the write is
  // not acknowledged.
  Status Put(const std::string& key, const Document& value, const WriteOptions& options,
             WriteResult* result);
  Status Put(const std::string& key, const Document& value, ChangeEvent* event);
  // The same put, its value given as JSON text, as a client sends it. Text
  // already in the stored form (IsStoredForm, core/json_reader.h) becomes
  // the log record's value as it is, with nothing parsed or written again;
  // other text is parsed (errors name "value") and put as above. Either way
  // the log holds the same bytes.
  Status PutText(const std::string& key, std::string_view value_text,
                 const WriteOptions& options, WriteResult* result);

  // Deletes a present key (log entry, storage, "d" event). Deleting an
  // absent key writes nothing (result->written = false); a fault then is
  // refused, as there is no write to die in.
  Status Delete(const std::string& key, const WriteOptions& options, WriteResult* result);
  Status Delete(const std::string& key, bool* deleted, ChangeEvent* event);

  // Inserts `value` under a key the database makes: `prefix` + the new
  // entry's LSN (an auto-increment id). result->key names it.
  Status Insert(const std::string& prefix, const Document& value, const WriteOptions& options,
                WriteResult* result);

  // Sends the client's oldest waiting second write to every direct
  // consumer. Works while the database is down (the index is another
  // system). Refused when the client has nothing waiting.
  Status DirectWrite(const std::string& client, PendingDirect* sent,
                     std::vector<std::string>* to);
  // The application client dies: its waiting second writes are lost
  // (*lost), so the direct consumers never get them.
  Status CrashClient(const std::string& client, std::vector<PendingDirect>* lost);
  // Waiting second writes, by client (oldest first).
  const std::map<std::string, std::deque<PendingDirect>>& clients() const { return clients_; }
  // Direct writes waiting for the named consumer's kind (all direct consumers).
  std::size_t PendingDirectCount() const;

  // The stored document or nullptr (refused while down).
  Status Get(const std::string& key, const Doc** value) const;
  const Doc* Get(const std::string& key) const { return storage_.Get(key); }

  // Every consumer processes all of its pending events in LSN order, up to
  // the durable LSN. Consumers that cannot take events (ahead of the log) are
  // skipped and named in *refused with the reason. Cost: O(pending events).
  // With `limit`, only the next `limit` events of the stream (after the
  // lowest position) are delivered, and *more says whether any consumer has
  // events left: flushing in parts until none are left ends exactly as one
  // whole flush does (a page does this to stay responsive).
  Status FlushAll(std::size_t* delivered,
                  std::vector<std::pair<std::string, std::string>>* refused = nullptr,
                  std::size_t limit = SIZE_MAX, bool* more = nullptr);
  // The named consumer processes all of its pending events (or the next
  // `limit` of them).
  Status Flush(const std::string& consumer, std::size_t* delivered, std::size_t limit = SIZE_MAX,
               bool* more = nullptr);

  // The named consumer processes exactly its next pending event, returned in
  // *event; *event is empty when nothing is pending.
  Status Step(const std::string& consumer, std::optional<ChangeEvent>* event);

  // Adds a consumer. For kSnapshot, *snapshot (if not null) receives the
  // synthesized "r" events in the order they were applied, the first
  // `listed` of them (the consumer's snapshot_rows() counts them all).
  // *position is the new consumer's position.
  Status AddConsumer(const ConsumerSpec& spec, JoinMode mode,
                     std::vector<ChangeEvent>* snapshot, Lsn* position,
                     std::size_t listed = kAllEvents);

  Status RemoveConsumer(const std::string& consumer);

  // Discards the consumer's state and re-derives it by a fresh snapshot of
  // storage; its position becomes the storage LSN. *snapshot as for
  // AddConsumer.
  Status Rebuild(const std::string& consumer, std::vector<ChangeEvent>* snapshot,
                 Lsn* position, std::size_t listed = kAllEvents);

  // Asks the consumer's derived system, as it is now (also while down).
  Status Query(const std::string& consumer, const Json& query, Json* result) const;
  // Asks what a fresh consumer of the same spec would answer: one derived
  // by a snapshot of storage as it is now (refused while down). The answer
  // a consumer that had no lag would give. Cost O(storage).
  Status QueryStorage(const std::string& consumer, const Json& query, Json* result) const;
  // Asks a secondary index for keys, then fetches each key's document from
  // storage: *result is [{key, value, stale}], where stale marks a document
  // that is gone or no longer has the value the index holds it under (the
  // index is behind). Refused while down.
  Status QueryFetch(const std::string& consumer, const Json& query, Json* result) const;

  // Up to `limit` stored rows whose key starts with `prefix`, in key order;
  // *more says whether there were further matches. Refused while down.
  Status Scan(const std::string& prefix, std::size_t limit,
              std::vector<std::pair<std::string, const Doc*>>* rows, bool* more) const;

  // Discards storage and replays the log file into it: storage is only a
  // view of the log. Refused (changing nothing) if the file holds a record
  // that does not verify: that is recovery's business.
  Status ReplayStorage(std::size_t* replayed);

  // Chooses the commit mode and the recovery mode (either may be null).
  void Configure(const CommitMode* commit, const RecoveryMode* recovery);
  // Whether a write whose request id the database has already applied is
  // answered with the first write's result instead of being written again
  // (an idempotent producer; a table of applied request ids).
  void SetDedupeRequests(bool on) { dedupe_requests_ = on; }
  bool dedupe_requests() const { return dedupe_requests_; }
  // Applied requests by id.
  const std::map<std::string, AppliedRequest>& requests() const { return requests_; }
  // Syncs every written byte; *durable is the highest durable LSN.
  Status Sync(Lsn* durable);
  // Crashes the database. torn_bytes is for kPower only, at most the
  // unsynced bytes.
  Status Crash(CrashKind kind, std::size_t torn_bytes);
  // Reads the log file from its first byte, verifies every record, cuts a
  // torn tail and replays it into storage. `mode` overrides the configured
  // recovery mode once.
  Status Recover(const RecoveryMode* mode, RecoveryResult* result);

  // The work of a recovery, a storage replay, a verify, a truncation, a
  // compaction or a snapshot done ahead of the step, in parts, for a page
  // that must not block for long: reading the log file back and replaying
  // its entries into a storage built on the side; folding storage to each
  // consumer's position into fresh systems, then comparing; building the
  // log without the records retention removes; or feeding storage's rows
  // to a fresh system. Each Prepare checks what the step checks first (an
  // error changes nothing) and starts it; AdvancePrepared takes up to
  // `budget` records (log records, change events, rows) of it, within one
  // phase; the step (a recovery in the same mode, a truncation or a
  // compaction with the same LSNs, a consumer of the same spec) then uses
  // what was prepared instead of doing it again, and gives the same result
  // and the same engine as without it. Until then nothing in the engine
  // changes, so DropPrepared cancels it. The work reads the engine in
  // place: the caller drops it before any other change to the engine
  // (Simulator does, before every other step).
  Status PrepareRecover(const RecoveryMode* mode);
  Status PrepareReplayStorage();
  Status PrepareVerify();
  // A truncation's or a compaction's work, likewise: which records go
  // (a compaction scans the log for each key's newest entry), then the log
  // without them, the removed entries kept as the checking aid.
  Status PrepareTruncate(Lsn before, bool force);
  Status PrepareCompact(Lsn upto, Lsn tombstones_before);
  // A snapshot's work, likewise: storage's rows fed to a fresh system, for
  // a consumer added by snapshot (AddConsumer in JoinMode::kSnapshot, the
  // same spec) or rebuilt.
  Status PrepareAddConsumer(const ConsumerSpec& spec);
  Status PrepareRebuild(const std::string& consumer);
  // Requires prepared work (has_prepared()).
  PrepareProgress AdvancePrepared(std::size_t budget);
  bool has_prepared() const { return prepared_ != nullptr; }
  void DropPrepared();
  // Flips one byte of a durable record on disk (bit rot); `byte` is its index
  // within the record (default: the middle of the payload).
  Status Corrupt(Lsn lsn, std::optional<std::size_t> byte, CorruptResult* result);

  // A database checkpoint: syncs the log and writes a storage image tagged
  // with the storage LSN. Recovery then loads the newest image and replays
  // only the log after it. Refused while down.
  Status Checkpoint(CheckpointResult* result);
  // Removes the log entries with LSN < before (PostgreSQL recycling WAL).
  // Refused when recovery would still need them (before > the last
  // checkpoint's LSN + 1), or while a consumer still needs them: its
  // committed position < before - 1 (a replication slot pinning WAL). With
  // `force`, pinning consumers lose their place instead
  // (max_slot_wal_keep_size): they are out of range until rebuilt.
  Status Truncate(Lsn before, bool force, RemovalResult* result);
  // Kafka's log compaction: among entries with LSN <= upto (all durable),
  // keeps only the newest entry of each key, and drops deletes
  // (tombstones) with LSN < tombstones_before (delete.retention.ms). LSNs
  // are never renumbered: removed entries become gaps.
  Status Compact(Lsn upto, Lsn tombstones_before, RemovalResult* result);
  // What pins the log now.
  LogPins Pins() const;
  // Every log entry retention removed, by LSN (the checking aid).
  const CowMap<Lsn, RemovedEntry>& removed() const { return removed_; }
  // The last checkpoint's image, if any.
  const std::optional<StorageImage>& checkpoint() const { return checkpoint_; }
  // A consumer whose next event was removed by a truncation (Kafka's
  // OFFSET_OUT_OF_RANGE; a PostgreSQL slot whose wal_status is "lost"):
  // flush and step refuse it; a rebuild is its way back.
  bool OutOfRange(const Consumer& consumer) const {
    return !consumer.spec().direct && consumer.position() + 1 < wal_.start_lsn();
  }
  // Why, in the words flush and step refuse it with ("" when in range).
  std::string OutOfRangeReason(const Consumer& consumer) const;

  // Commits the consumer's position now.
  Status Commit(const std::string& consumer);
  // The consumer loses what it had not committed and restarts from its
  // committed position; *redeliver events will be delivered again.
  Status CrashConsumer(const std::string& consumer, Lsn* rewound_to, std::size_t* redeliver);

  // Checks every consumer against a fresh one of the same spec built by a
  // snapshot of storage as it stood at the consumer's position. Storage at
  // an earlier LSN is folded from the log and from the entries retention
  // removed, which the engine keeps as a checking aid (never in the log, the
  // stream or any result but this one), so the reference does not share
  // compaction's blind spots.
  Status Verify(std::vector<ConsumerCheck>* checks) const;

  // A checkpoint: an engine in exactly this state (log bytes, index,
  // storage, stream, consumers and modes), sharing the immutable documents.
  // Time travel restores one and replays the steps after it. Cost O(log
  // bytes + stored rows + derived state); no sink is copied.
  std::unique_ptr<Engine> Clone() const;
  // Makes this engine a checkpoint copy of `other`. Its log file must have
  // no sink attached (the copy does not tell one).
  void CopyFrom(const Engine& other);

  // Opens an existing log file: the database is down until Recover.
  void OpenLog(std::string bytes);

  // Looks up a consumer; nullptr when there is none of that name.
  const Consumer* FindConsumer(const std::string& name) const;
  // Number of durable events the consumer has not processed yet; for a
  // direct consumer, the second writes still waiting in clients.
  std::size_t Lag(const Consumer& consumer) const {
    if (consumer.spec().direct) return PendingDirectCount();
    return stream_.CountBetween(consumer.position(), wal_.durable_lsn());
  }

  bool down() const { return down_; }
  // What took the database down, while it is down: "process" (a process
  // crash, or a write whose process died after its sync), "power" (a power
  // loss, or a write that lost power before its sync) or "opened" (started
  // on a log file, not recovered yet). Empty while up.
  std::string_view down_by() const { return down_ ? std::string_view(down_by_) : std::string_view(); }
  // While down: the indexes of the change events that still read back
  // (ChangeStream::Event), in order. A crash lost the process's buffers over
  // bytes that rotted, a power failure the unsynced tail; while the database
  // stays down nothing changes which records read back (writes are refused,
  // and a byte that rots now is read from the buffers again until the next
  // crash), so the list is worked out once, at the first call after the
  // crash, and kept until the database is up (a view of the stream while
  // down is then O(window), not a read of every record).
  const std::vector<std::uint32_t>& ReadableEvents() const;
  CommitMode commit_mode() const { return commit_mode_; }
  RecoveryMode recovery_mode() const { return recovery_mode_; }
  const WriteAheadLog& wal() const { return wal_; }
  WriteAheadLog* mutable_wal() { return &wal_; }
  const Storage& storage() const { return storage_; }
  const ChangeStream& stream() const { return stream_; }
  // Consumers in the order they were added.
  const std::vector<std::unique_ptr<Consumer>>& consumers() const { return consumers_; }

 private:
  Consumer* FindMutable(const std::string& name);
  // Writes a put of `doc` (its text is the record's value) or, with doc
  // null, a delete.
  Status Write(LogOp op, const std::string& key, DocRef doc, const WriteOptions& options,
               WriteResult* result);
  // Checks a write's request id and dual-write options; *duplicate is set
  // when dedupe answers it with an earlier write's result (filled in).
  Status CheckRequest(const WriteOptions& options, WriteResult* result, bool* duplicate) const;
  // Sends a write to every direct consumer now.
  void SendDirect(const PendingDirect& write, std::vector<std::string>* to);
  // Delivers the durable events after the consumers' positions, building
  // each event once for all of them. Returns the number of deliveries.
  std::size_t CatchUp(const std::vector<Consumer*>& consumers, std::size_t limit = SIZE_MAX,
                      bool* more = nullptr);
  Status CheckFault(const WriteOptions& options, std::size_t record_size) const;
  // Why the consumer cannot take events now, or OK.
  Status CanDeliver(const Consumer& consumer) const;
  void GoDown(CrashKind kind, std::size_t torn_bytes);
  // The first `listed` "r" events of a snapshot of storage as it is now,
  // into *events (if not null).
  void ListSnapshot(std::vector<ChangeEvent>* events, std::size_t listed) const;
  // What adding a consumer checks (the new, empty system in *system); what
  // a rebuild checks (the consumer in *c, a fresh system in *fresh).
  Status CheckAddConsumer(const ConsumerSpec& spec, JoinMode mode,
                          std::unique_ptr<DerivedSystem>* system) const;
  Status CheckRebuild(const std::string& consumer, const Consumer** c,
                      std::unique_ptr<DerivedSystem>* fresh) const;
  // A step's work done ahead of it (engine.cc): a recovery's or a storage
  // replay's (LogReplay: the log read back, then replayed on the side), a
  // verify's (VerifyWork), or a truncation's or a compaction's
  // (RemovalWork: the log without the removed records built on the side),
  // or a snapshot's (SnapshotWork: storage fed to a fresh system).
  enum class WorkKind { kRecover, kReplayStorage, kVerify, kTruncate, kCompact, kAddConsumer, kRebuild };
  class Work;
  class LogReplay;
  class VerifyWork;
  class RemovalWork;
  class SnapshotWork;
  // The prepared work if it is for this step (taken: the engine holds no
  // prepared work after), else fresh work for it, not yet advanced.
  std::unique_ptr<LogReplay> TakeReplay(WorkKind kind, RecoveryMode mode);
  std::unique_ptr<VerifyWork> TakeVerify() const;
  // A truncation's (before) or a compaction's (upto, tombstones_before).
  std::unique_ptr<RemovalWork> TakeRemoval(WorkKind kind, Lsn a, Lsn b);
  // A snapshot's for a consumer of this spec (`system` feeds fresh work).
  std::unique_ptr<SnapshotWork> TakeSnapshot(WorkKind kind, const ConsumerSpec& spec,
                                             std::unique_ptr<DerivedSystem> system);
  // One consumer compared with a fresh system of its spec fed storage as
  // it stood at the consumer's position (Verify's check of it).
  ConsumerCheck CheckConsumer(const Consumer& consumer, const DerivedSystem& fresh) const;
  // Makes the log's index (a recovery's: and its file), with each record's
  // `prev` link, storage, the change stream and the applied requests what
  // the work built; each is moved or shared in, not copied. Returns the
  // number of entries replayed into storage.
  std::size_t InstallReplay(LogReplay* work);
  // An empty derived system for the spec, in its apply mode.
  static Status NewSystem(const ConsumerSpec& spec, std::unique_ptr<DerivedSystem>* out);
  // The index of the record that wrote `row`, or kNoRecord if retention
  // removed it.
  std::uint32_t RecordOf(const StoredRow& row) const;
  // What a truncation or a compaction checks before it removes anything.
  Status CheckTruncate(Lsn before, bool force) const;
  Status CheckCompact(Lsn upto, Lsn tombstones_before) const;
  // Makes the log, the change stream's kept before images, the removed
  // entries (the checking aid) and the consumers' missed deletes what the
  // work built, and gives its result.
  void InstallRemoval(RemovalWork* work, RemovalResult* result);
  // Index of the first record with an LSN greater than `lsn`.
  std::size_t FirstRecordAfter(Lsn lsn) const;
  // Whether a consumer at `position` held `key` (its newest entry at or
  // before the position was a put), from the entry at index `i` of that key
  // (LSN > position) back through older entries, kept or removed.
  bool HeldAt(std::size_t i, const std::string& key, Lsn position) const;
  // The key of a record, read from its bytes ("" if unreadable).
  std::string KeyOf(const RecordInfo& record) const;

  WriteAheadLog wal_;
  Storage storage_;
  ChangeStream stream_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  CommitMode commit_mode_ = CommitMode::kSync;
  RecoveryMode recovery_mode_ = RecoveryMode::kPointInTime;
  bool down_ = false;
  const char* down_by_ = "";  // down_by() while down
  // ReadableEvents() while down (null until asked); shared by copies.
  mutable std::shared_ptr<const std::vector<std::uint32_t>> readable_;
  // The head the last recovery ended at: writes after it are this crash's.
  Lsn recovered_head_ = 0;
  // The last checkpoint's storage image (durable: it survives crashes).
  std::optional<StorageImage> checkpoint_;
  CowMap<Lsn, RemovedEntry> removed_;
  // Consumers that were behind a tombstone compaction dropped: consumer ->
  // [(key, LSN)]. Cleared by a rebuild.
  std::map<std::string, std::vector<std::pair<std::string, Lsn>>> missed_;
  // Dual writes' second halves waiting in application clients.
  std::map<std::string, std::deque<PendingDirect>> clients_;
  bool dedupe_requests_ = false;
  std::map<std::string, AppliedRequest> requests_;
  // Work prepared for the next recover, replay_storage, verify, truncate or
  // compact step, if any: never part of the engine's state (Verify, const,
  // takes it).
  mutable std::unique_ptr<Work> prepared_;
};

// The error every step that needs the database gets while it is down.
Status DatabaseDown();
// The error every step that names a consumer gets when there is none.
Status UnknownConsumer(const std::string& name);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_ENGINE_H_
