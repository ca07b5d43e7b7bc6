// Change streams in and out of the simulator: PostgreSQL's logical decoding
// (the wal2json output plugin) and Debezium's change-event envelope.
// Pure C++, shared by the native program (`unbundled import`, `export`,
// `follow`) and the WebAssembly module (the page's Debezium download).
//
// wal2json, format-version 2: one JSON object per line (per message),
//
//   line   := begin | change | commit | truncate | message
//   begin  := {"action": "B", "xid"?, "lsn"?, "nextlsn"?, "timestamp"?}
//   change := {"action": "I"|"U"|"D", "xid"?, "lsn"?, "schema", "table",
//              "columns"?: [{"name", "type", "value"}...],   (I, U: the new row)
//              "identity"?: [{"name", "type", "value"}...],  (U, D: the old row)
//              "pk": [{"name", "type"}...]}                  (needs include-pk)
//   commit := {"action": "C", "xid"?, "lsn"?, "nextlsn"?}
//   truncate := {"action": "T", "schema", "table", ...}
//   message  := {"action": "M", "transactional", "prefix", "content", ...}
//
// Each change becomes a step: I and U a put, D a delete. The key is the
// table (schema-qualified unless "public") + ":" + the primary key's values,
// comma-separated (a string value with ',' or '%' in it is %-escaped:
// "%2C", "%25"), e.g. "accounts:42" or "billing.lines:7,2". The value is the
// new row as a JSON object; json and jsonb columns, which wal2json sends as
// strings holding JSON, are parsed. An update that changes the primary key
// is a delete of the old key and a put of the new one.
//
// A transaction stays one unit, as PostgreSQL decodes it: the scenario runs
// under async commit, so its writes are durable only at the `sync` step that
// stands for its COMMIT, followed by a `flush`: consumers receive the whole
// transaction or none of it. PostgreSQL's LSN and transaction id go in each
// step's note. Truncates and messages have no step: they are reported and
// named in the next step's note.
//
// Debezium: one event a line, each either
//
//   event  := envelope | {"schema": ..., "payload": envelope | null} | null
//             | {"key": kafka_key, "value": event}
//   envelope := {"op": "c"|"u"|"d"|"r"|"t"|"m", "before", "after",
//                "source": {"table"?, "schema"?, "lsn"?, "txId"?, ...}, "ts_ms"?}
//
// c, u and r become put (of `after`), d a delete (of `before`'s key); null
// values are tombstones (Kafka's compaction markers): counted and skipped.
// The key is built as for wal2json from the Kafka key's fields when the line
// has one, else from the `key_fields` of the row (default "id"). Events of
// this program's own connector ("unbundled", table "documents", rows
// {"key", "value"}) map back to their key and document exactly. Consecutive
// events with the same source.txId form one unit (one sync and flush).
#ifndef UNBUNDLED_CORE_INTEROP_H_
#define UNBUNDLED_CORE_INTEROP_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace unbundled {
class Simulator;
namespace interop {

// PostgreSQL's LSN, "16/B374D848": the high and low 32 bits in hex.
using PgLsn = std::uint64_t;
bool ParsePgLsn(const std::string& text, PgLsn* lsn);
std::string FormatPgLsn(PgLsn lsn);

// What an import found besides its steps.
struct ImportReport {
  std::size_t lines = 0;         // non-blank lines read
  std::size_t changes = 0;       // changes that became steps
  std::size_t transactions = 0;  // units (transactions) with at least one change
  std::size_t truncates = 0;     // skipped
  std::size_t messages = 0;      // skipped
  std::size_t tombstones = 0;    // Debezium: null values, skipped
  std::size_t snapshot_reads = 0;  // Debezium: "r" events (as puts)
  std::vector<std::string> notices;  // one line each, for the user
};

// One change taken from a stream, as an importer read it (the follow command
// prints these; tests compare them to the engine's change events).
struct Change {
  std::string op;     // "insert", "update" or "delete" (PostgreSQL's word)
  std::string key;
  Json before;        // the old row (null if the stream did not carry it)
  Json after;         // the new row (null for a delete)
  std::string where;  // e.g. "public.t, xid 728, LSN 0/152D800"
};

// A transaction decoded from wal2json, complete at its commit.
struct Transaction {
  std::vector<Json> steps;  // puts and deletes, then a sync (the commit) and a flush
  std::vector<Change> changes;
  std::string xid;          // empty when the stream had no xids
  PgLsn commit_lsn = 0;     // the commit record's LSN (0: unknown)
  PgLsn end_lsn = 0;        // the LSN just past it ("nextlsn"): where to resume
};

// Reads wal2json (format-version 2) one message at a time: the importer feeds
// it a file's lines, `follow` the replication connection's messages.
class Wal2JsonDecoder {
 public:
  // Decodes one message. `where` names it in errors ("line 7"). When it
  // completes a transaction (its commit, or a change outside any
  // transaction), *done is set and *txn holds it; otherwise *done is false.
  // On an error nothing is kept of the message.
  Status Feed(const std::string& text, const std::string& where, bool* done, Transaction* txn);
  // Notes of skipped truncates and messages not yet put on a step.
  std::string TakePendingNote();
  // Whether a transaction was begun and not committed.
  bool InTransaction() const { return in_txn_; }
  const ImportReport& report() const { return report_; }
  ImportReport* mutable_report() { return &report_; }

 private:
  Status FeedJson(const Json& msg, const std::string& where, bool* done, Transaction* txn);
  Status DecodeChange(const Json& msg, const std::string& where, Transaction* into);
  void Finish(Transaction* txn, const std::string& commit_note);

  bool in_txn_ = false;
  Transaction open_;  // the transaction being read
  std::vector<std::string> pending_notes_;
  ImportReport report_;
};

struct ImportOptions {
  std::string source_name;   // the file, named in the title
  Json consumers = Json::array();  // consumer specs the scenario starts with
  std::vector<std::string> key_fields = {"id"};  // Debezium: the row's primary key, without a Kafka key
};

// Reads a whole wal2json file into a scenario. On an error ("line 7: pk:
// ...") *scenario is untouched.
Status ImportWal2Json(const std::string& text, const ImportOptions& options, Json* scenario,
                      ImportReport* report);
// Reads Debezium change events, one a line, into a scenario.
Status ImportDebezium(const std::string& text, const ImportOptions& options, Json* scenario,
                      ImportReport* report);

// A change event (ToJson(ChangeEvent)'s form) as a Debezium envelope from the
// "unbundled" connector: rows of table "documents" are {"key", "value"};
// source.lsn is the event's LSN; ts_ms (and source.ts_ms) is `step`, the
// index of the step that wrote its log entry (a stand-in for a clock).
Json DebeziumEnvelope(const Json& event, std::size_t step);

// Runs a scenario (its JSON text) on a fresh simulator and writes its change
// stream as Debezium envelopes, one per line. On an error (a malformed
// scenario, a consumer that cannot be added) *ndjson is untouched.
Status ExportDebezium(const std::string& scenario_text, std::string* ndjson);

// The same, a part at a time, so that a page can export a long session in
// slices it yields between, with progress (ExportDebezium is this, whole):
// the scenario's consumers, then its steps in order, then its lines in
// windows of the change stream.
class DebeziumExporter {
 public:
  DebeziumExporter();
  ~DebeziumExporter();
  DebeziumExporter(const DebeziumExporter&) = delete;
  DebeziumExporter& operator=(const DebeziumExporter&) = delete;

  // Adds the consumers of a scenario's header (its "consumers", if any),
  // each named by its place on an error.
  Status Begin(const Json& header);
  // Takes the scenario's step number `index` (steps come in order; a
  // refused step changes nothing, as in `unbundled run`): its result. A
  // step may be taken in parts (a put_random by `from` and `count`, a
  // flush by `limit` until no `more`), each under the step's index. A
  // snapshot's result lists no r events (its `snapshot_rows` counts them).
  Json Apply(std::size_t index, const Json& step);
  // Takes step `index` as Apply does, without building its result (a put's
  // result holds its change event's documents as JSON values): true if the
  // engine took it.
  bool Replay(std::size_t index, const Json& step);
  // The change events after the steps taken so far.
  std::size_t EventCount() const;
  // Events [start, start + count) of the stream, a line each ("...\n"),
  // appended to *out.
  Status AppendLines(std::size_t start, std::size_t count, std::string* out) const;

 private:
  const std::vector<std::uint32_t>* Readable() const;
  // Notes the step that moved the head, after step `index`.
  void NoteHead(std::size_t index);

  std::unique_ptr<Simulator> sim_;
  // The step that wrote each LSN: after step i the head is heads_[k].first.
  std::vector<std::pair<Lsn, std::size_t>> heads_;
  Lsn head_ = 0;
};

}  // namespace interop
}  // namespace unbundled

#endif  // UNBUNDLED_CORE_INTEROP_H_
