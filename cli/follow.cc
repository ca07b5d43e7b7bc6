// unbundled follow: a live PostgreSQL logical replication slot (wal2json)
// streamed into the engine through libpq's replication protocol.
//
// The replication protocol (PostgreSQL's "Streaming Replication Protocol"),
// inside COPY BOTH after START_REPLICATION:
//   server -> us: 'w' XLogData  := 'w', dataStart: int64, walEnd: int64, sendTime: int64, data
//                 'k' keepalive := 'k', walEnd: int64, sendTime: int64, replyRequested: byte
//   us -> server: 'r' standby status update := 'r', written: int64, flushed: int64,
//                 applied: int64, sendTime: int64, replyRequested: byte
// Integers are big-endian; times are microseconds since 2000-01-01.
//
// Words: PostgreSQL calls the LSN we confirm the "flush" LSN (the slot's
// confirmed_flush_lsn): the point up to which the client has safely
// processed the stream. It is not this project's flush (delivering events to
// consumers); here it is the PostgreSQL LSN up to which every consumer's
// position has reached (and, with --record, the record is on disk).
#include "cli/commands.h"

#ifndef UNBUNDLED_HAVE_LIBPQ

#include <iostream>

namespace unbundled {
namespace cli {
int Follow(const std::vector<std::string>&) {
  std::cerr << "unbundled: follow: this program was built without libpq "
               "(apt-get install libpq-dev, then rebuild)\n";
  return 2;
}
}  // namespace cli
}  // namespace unbundled

#else

#include <libpq-fe.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iostream>
#include <regex>
#include <string>
#include <thread>

#include "core/interop.h"
#include "core/scenario.h"
#include "core/simulator.h"

namespace unbundled {
namespace cli {
namespace {

using interop::FormatPgLsn;
using interop::PgLsn;

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

// Messages of the replication protocol (above).
constexpr char kXLogData = 'w';
constexpr char kKeepalive = 'k';
constexpr char kStandbyStatus = 'r';
constexpr std::size_t kXLogDataHeader = 1 + 8 + 8 + 8;
constexpr std::size_t kKeepaliveSize = 1 + 8 + 8 + 1;
constexpr std::int64_t kPgEpochOffsetSeconds = 946684800;  // 1970-01-01 to 2000-01-01
// wal2json's options: one object a change, with what the importer needs.
constexpr const char* kPluginOptions =
    "(\"format-version\" '2', \"include-xids\" '1', \"include-lsn\" '1', "
    "\"include-pk\" '1', \"include-transaction\" '1', \"include-timestamp\" '0')";
// The record's description ends with this, then the PostgreSQL LSN it reaches.
constexpr const char* kRecordThrough = "through PostgreSQL LSN ";

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int FollowUsage() {
  std::cerr
      << "usage: unbundled follow --dsn DSN --slot NAME --consumers SPEC.json [--record FILE]\n"
         "                        [--create-slot] [--until-idle SECONDS] [--max-changes N] [--json]\n"
         "  streams a wal2json logical replication slot into the engine; stops cleanly on\n"
         "  SIGINT or SIGTERM, after SECONDS without a change, or after N changes\n";
  return kExitBadInput;
}

std::uint64_t ReadBe64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
void WriteBe64(char* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
std::int64_t PgNowMicros() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(now).count() -
         kPgEpochOffsetSeconds * 1000000;
}

std::string Quoted(PGconn* conn, const std::string& name) {
  char* q = PQescapeIdentifier(conn, name.c_str(), name.size());
  std::string out = q ? q : "\"\"";
  PQfreemem(q);
  return out;
}

class Follower {
 public:
  Follower(PGconn* conn, bool json) : conn_(conn), json_(json) {}

  Status Setup(const Json& consumers, const std::string& slot, const std::string& record_path) {
    slot_ = slot;
    record_path_ = record_path;
    record_ = {{"title", "Recorded from PostgreSQL (slot " + slot + ")"},
               {"consumers", consumers},
               {"steps", Json::array()}};
    for (std::size_t i = 0; i < consumers.size(); ++i) {
      sim_.Apply(Json{{"op", "add_consumer"}, {"consumer", consumers[i]}, {"mode", "replay"}});
    }
    Json configure = {{"op", "configure"},
                      {"commit", "async"},
                      {"note",
                       "Async commit: each transaction's writes become durable together at the sync "
                       "that stands for its COMMIT, so consumers receive a transaction whole."}};
    std::string text;
    if (!record_path.empty() && ReadWholeFile(record_path, &text) && !text.empty()) {
      // Continue an earlier record: replay it, and skip what it holds.
      StreamedScenario earlier;
      Status s = earlier.Open(text);
      if (!s.ok()) return Status::Invalid(record_path, s.message());
      const std::string d = earlier.header().value("description", "");
      const std::size_t at = d.rfind(kRecordThrough);
      if (at == std::string::npos ||
          !interop::ParsePgLsn(d.substr(at + std::strlen(kRecordThrough)), &recorded_through_)) {
        return Status::Invalid(record_path, "not a record of unbundled follow (its description does not say "
                                            "which PostgreSQL LSN it reaches)");
      }
      if (earlier.header()["consumers"] != consumers) {
        return Status::Invalid(record_path, "recorded with other consumers than --consumers gives");
      }
      s = earlier.Run([&](std::size_t, const Json& step) {
        sim_.Apply(step);
        record_["steps"].push_back(step);
      });
      if (!s.ok()) return Status::Invalid(record_path, s.message());
      confirmed_ = recorded_through_;
      Print(Json{{"resumed", {{"record", record_path}, {"steps", record_["steps"].size()},
                              {"through", FormatPgLsn(recorded_through_)}}}},
            "resumed " + record_path + ": " + std::to_string(record_["steps"].size()) +
                " steps, through PostgreSQL LSN " + FormatPgLsn(recorded_through_));
    } else {
      sim_.Apply(configure);
      record_["steps"].push_back(configure);
    }
    return Status::OK();
  }

  // Handles one CopyData message from the server.
  Status Handle(const char* buf, std::size_t len) {
    if (len < 1) return Status::Invalid("replication", "empty message");
    if (buf[0] == kKeepalive) {
      if (len < kKeepaliveSize) return Status::Invalid("replication", "short keepalive message");
      server_wal_end_ = std::max<PgLsn>(server_wal_end_, ReadBe64(buf + 1));
      if (buf[17]) return Confirm(/*force=*/true);
      return Status::OK();
    }
    if (buf[0] != kXLogData) {
      return Status::Invalid("replication", std::string("unexpected message type '") + buf[0] + "'");
    }
    if (len < kXLogDataHeader) return Status::Invalid("replication", "short XLogData message");
    const PgLsn data_start = ReadBe64(buf + 1);
    server_wal_end_ = std::max<PgLsn>(server_wal_end_, ReadBe64(buf + 9));
    const std::string data(buf + kXLogDataHeader, len - kXLogDataHeader);
    bool done = false;
    interop::Transaction txn;
    Status s = decoder_.Feed(data, "message at " + FormatPgLsn(data_start), &done, &txn);
    if (!s.ok()) return s;
    if (!done) return Status::OK();
    const PgLsn end = txn.end_lsn ? txn.end_lsn : data_start;
    if (end <= recorded_through_) {
      // Already in the record (the slot's confirmation lagged the record).
      if (!txn.changes.empty()) {
        Print(Json{{"skipped", {{"xid", txn.xid}, {"end_lsn", FormatPgLsn(end)}, {"changes", txn.changes.size()}}}},
              "skipped transaction " + txn.xid + " (ends at " + FormatPgLsn(end) + "): already in the record");
      }
      return Status::OK();
    }
    Apply(txn, end);
    return Confirm(/*force=*/record_path_.empty());
  }

  // Sends a standby status update (PostgreSQL's word) confirming, as its
  // "flush" LSN, the end of the newest transaction every consumer has
  // processed. With --record, the record is written first (at most every
  // half second unless forced): a position is confirmed only once the state
  // it covers is on disk.
  Status Confirm(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_status_ < std::chrono::milliseconds(500)) return Status::OK();
    PgLsn confirm = ProcessedThrough();
    if (!record_path_.empty() && confirm > recorded_through_) {
      Status s = WriteRecord(confirm);
      if (!s.ok()) return s;
    }
    char msg[1 + 8 + 8 + 8 + 8 + 1];
    msg[0] = kStandbyStatus;
    WriteBe64(msg + 1, confirm);   // written
    WriteBe64(msg + 9, confirm);   // flushed: what the slot's confirmed_flush_lsn becomes
    WriteBe64(msg + 17, confirm);  // applied
    WriteBe64(msg + 25, static_cast<std::uint64_t>(PgNowMicros()));
    msg[33] = 0;
    if (PQputCopyData(conn_, msg, sizeof msg) != 1 || PQflush(conn_) != 0) {
      return Status::Invalid("replication", std::string("cannot send a status update: ") + PQerrorMessage(conn_));
    }
    last_status_ = now;
    if (confirm > confirmed_) {
      confirmed_ = confirm;
      Print(Json{{"confirmed", FormatPgLsn(confirm)}},
            "confirmed " + FormatPgLsn(confirm) +
                " to PostgreSQL as the slot's flush LSN (PostgreSQL's word for what the client has processed: the slot restarts after it)");
    }
    return Status::OK();
  }

  Status WriteRecord(PgLsn through) {
    record_["description"] = "Recorded by unbundled follow from slot " + slot_ + ": " +
                             std::to_string(changes_total_) + " changes received in this run, " +
                             kRecordThrough + FormatPgLsn(through);
    std::string error;
    if (!WriteFileAtomically(record_path_, record_.dump(2) + "\n", &error)) {
      return Status::Invalid(record_path_, error);
    }
    recorded_through_ = through;
    record_written_ = true;
    return Status::OK();
  }

  Status Finish() {
    Status s = Confirm(/*force=*/true);
    if (!s.ok()) return s;
    if (!record_path_.empty() && !record_written_) {
      // Nothing new arrived: still leave a record the page opens.
      s = WriteRecord(recorded_through_);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  std::size_t changes_total() const { return changes_total_; }
  PgLsn confirmed() const { return confirmed_; }

  void Print(const Json& j, const std::string& human) {
    if (json_) {
      std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
    } else {
      std::cout << human << std::endl;
    }
  }

 private:
  void Apply(const interop::Transaction& txn, PgLsn end) {
    std::size_t change = 0;
    for (const auto& step : txn.steps) {
      const Json r = sim_.Apply(step);
      record_["steps"].push_back(step);
      const std::string op = step["op"].get<std::string>();
      if ((op != "put" && op != "delete") || change >= txn.changes.size()) continue;
      const interop::Change& c = txn.changes[change];
      // An update that moved its row to a new key is two steps, one change.
      if (op == "delete" && c.op == "update") continue;
      ++change;
      const Json event = r.value("event", Json(nullptr));
      Print(Json{{"change", {{"pg_op", c.op}, {"key", c.key}, {"lsn", r.value("lsn", Json(nullptr))},
                             {"event", event.is_object() ? event.value("op", Json(nullptr)) : Json(nullptr)},
                             {"where", c.where}, {"before", c.before}, {"after", c.after}}}},
            "  " + c.op + " " + c.key + " -> LSN " + r.value("lsn", Json(0)).dump() + " event " +
                (event.is_object() ? event.value("op", std::string("-")) : std::string("-")) + "  (" +
                c.where + ")");
    }
    changes_total_ += txn.changes.size();
    ends_.emplace_back(sim_.engine().wal().head(), end);
    if (txn.changes.empty()) {
      // A transaction with only a truncate or a message: say what was skipped.
      for (const auto& step : txn.steps) {
        const std::string note = step.value("note", "");
        if (note.find("Skipped") != std::string::npos) Print(Json{{"note", note}}, note);
      }
      return;
    }
    // Every consumer's position and lag, as the page shows them.
    Json positions = Json::object();
    std::string human = "commit of transaction " + txn.xid + " (ends at " + FormatPgLsn(end) + "), head " +
                        std::to_string(sim_.engine().wal().head()) + ":";
    for (const auto& c : sim_.engine().consumers()) {
      const std::size_t lag = sim_.engine().Lag(*c);
      positions[c->name()] = {{"position", c->position()}, {"lag", lag}};
      human += "  " + c->name() + " position " + std::to_string(c->position()) + " lag " + std::to_string(lag);
    }
    Print(Json{{"commit", {{"xid", txn.xid}, {"end_lsn", FormatPgLsn(end)}, {"changes", txn.changes.size()},
                           {"head", sim_.engine().wal().head()}}},
               {"positions", positions}},
          human);
  }

  // The end of the newest transaction all of whose log entries every
  // consumer has processed.
  PgLsn ProcessedThrough() {
    Lsn lowest = sim_.engine().wal().head();
    for (const auto& c : sim_.engine().consumers()) lowest = std::min<Lsn>(lowest, c->position());
    while (!ends_.empty() && ends_.front().first <= lowest) {
      processed_through_ = std::max(processed_through_, ends_.front().second);
      ends_.pop_front();
    }
    return std::max(processed_through_, confirmed_);
  }

  PGconn* conn_;
  bool json_;
  std::string slot_, record_path_;
  Simulator sim_;
  interop::Wal2JsonDecoder decoder_;
  Json record_;
  bool record_written_ = false;
  PgLsn recorded_through_ = 0;  // the PostgreSQL LSN the record on disk reaches
  PgLsn confirmed_ = 0;
  PgLsn processed_through_ = 0;
  PgLsn server_wal_end_ = 0;
  std::deque<std::pair<Lsn, PgLsn>> ends_;  // (engine head after a transaction, its PostgreSQL end)
  std::size_t changes_total_ = 0;
  std::chrono::steady_clock::time_point last_status_{};
};

PGconn* Connect(const std::string& dsn) {
  const char* keys[] = {"dbname", "replication", nullptr};
  const char* values[] = {dsn.c_str(), "database", nullptr};
  return PQconnectdbParams(keys, values, /*expand_dbname=*/1);
}

}  // namespace

int Follow(const std::vector<std::string>& args) {
  std::string dsn, slot, consumers_path, record_path;
  bool create_slot = false, json = false;
  double until_idle = 0;
  std::size_t max_changes = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    try {
      if (a == "--dsn" && i + 1 < args.size()) {
        dsn = args[++i];
      } else if (a == "--slot" && i + 1 < args.size()) {
        slot = args[++i];
      } else if (a == "--consumers" && i + 1 < args.size()) {
        consumers_path = args[++i];
      } else if (a == "--record" && i + 1 < args.size()) {
        record_path = args[++i];
      } else if (a == "--until-idle" && i + 1 < args.size()) {
        until_idle = std::stod(args[++i]);
        if (until_idle <= 0) return FollowUsage();
      } else if (a == "--max-changes" && i + 1 < args.size()) {
        max_changes = std::stoul(args[++i]);
        if (max_changes == 0) return FollowUsage();
      } else if (a == "--create-slot") {
        create_slot = true;
      } else if (a == "--json") {
        json = true;
      } else {
        return FollowUsage();
      }
    } catch (const std::exception&) {
      return FollowUsage();
    }
  }
  if (dsn.empty() || slot.empty() || consumers_path.empty()) return FollowUsage();
  Json consumers;
  std::string error;
  if (!ReadConsumers(consumers_path, &consumers, &error)) {
    std::cerr << "unbundled: " << consumers_path << ": " << error << "\n";
    return kExitBadInput;
  }

  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnSignal;  // no SA_RESTART: select() returns at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  PGconn* conn = Connect(dsn);
  auto fail = [&](const std::string& what) {
    std::cerr << "unbundled: follow: " << what << "\n";
    PQfinish(conn);
    return kExitFailed;
  };
  if (PQstatus(conn) != CONNECTION_OK) return fail(std::string("cannot connect: ") + PQerrorMessage(conn));

  if (create_slot) {
    char* lit = PQescapeLiteral(conn, slot.c_str(), slot.size());
    PGresult* r = PQexec(conn, ("SELECT 1 FROM pg_replication_slots WHERE slot_name = " + std::string(lit)).c_str());
    PQfreemem(lit);
    const bool exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
    PQclear(r);
    if (!exists) {
      r = PQexec(conn, ("CREATE_REPLICATION_SLOT " + Quoted(conn, slot) + " LOGICAL wal2json").c_str());
      if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const std::string e = PQresultErrorMessage(r);
        PQclear(r);
        return fail("cannot create slot " + slot + ": " + e);
      }
      PQclear(r);
    }
  }

  Follower follower(conn, json);
  Status s = follower.Setup(consumers, slot, record_path);
  if (!s.ok()) return fail(s.message());

  // A slot stays active for a moment after a killed client's connection
  // drops: try again for up to 10 s.
  const std::string start = "START_REPLICATION SLOT " + Quoted(conn, slot) + " LOGICAL 0/0 " + kPluginOptions;
  for (int attempt = 0;; ++attempt) {
    PGresult* r = PQexec(conn, start.c_str());
    if (PQresultStatus(r) == PGRES_COPY_BOTH) {
      PQclear(r);
      break;
    }
    const std::string e = PQresultErrorMessage(r);
    PQclear(r);
    if (e.find("is active for PID") == std::string::npos || attempt >= 40 || g_stop) {
      return fail("START_REPLICATION failed: " + e +
                  (e.find("may not be used as an output plugin") != std::string::npos
                       ? "(add wal2json to the server's output_plugin_libraries: see README)"
                       : ""));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  follower.Print(Json{{"following", {{"slot", slot}}}}, "following slot " + slot + " (Ctrl-C stops cleanly)");

  auto last_change = std::chrono::steady_clock::now();
  std::size_t seen = 0;
  std::string stop_reason = "server ended the stream";
  while (true) {
    if (g_stop) {
      stop_reason = "signal";
      break;
    }
    char* buf = nullptr;
    const int n = PQgetCopyData(conn, &buf, /*async=*/1);
    if (n > 0) {
      s = follower.Handle(buf, static_cast<std::size_t>(n));
      PQfreemem(buf);
      if (!s.ok()) return fail(s.message());
      if (follower.changes_total() != seen) {
        seen = follower.changes_total();
        last_change = std::chrono::steady_clock::now();
      }
      if (max_changes && seen >= max_changes) {
        stop_reason = "max-changes";
        break;
      }
      continue;
    }
    if (n == -1) break;  // the server ended COPY
    if (n == -2) return fail(std::string("replication stream failed: ") + PQerrorMessage(conn));
    // Nothing buffered: wait for the socket, a timer, or a signal.
    if (until_idle > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - last_change).count() >= until_idle) {
      stop_reason = "idle";
      break;
    }
    s = follower.Confirm(/*force=*/false);
    if (!s.ok()) return fail(s.message());
    fd_set fds;
    FD_ZERO(&fds);
    const int sock = PQsocket(conn);
    FD_SET(sock, &fds);
    timeval tv{0, 100 * 1000};
    if (select(sock + 1, &fds, nullptr, nullptr, &tv) < 0 && errno != EINTR) {
      return fail(std::string("select: ") + std::strerror(errno));
    }
    if (PQconsumeInput(conn) == 0) return fail(std::string("connection lost: ") + PQerrorMessage(conn));
  }
  s = follower.Finish();
  if (!s.ok()) return fail(s.message());
  // End COPY and wait for the server's reply, so that it has read the last
  // status update before we go.
  if (PQputCopyEnd(conn, nullptr) == 1 && PQflush(conn) == 0) {
    char* rest = nullptr;
    while (PQgetCopyData(conn, &rest, /*async=*/0) > 0) PQfreemem(rest);
    while (PGresult* r = PQgetResult(conn)) PQclear(r);
  }
  follower.Print(Json{{"stopped", stop_reason}, {"changes", follower.changes_total()},
                      {"confirmed", FormatPgLsn(follower.confirmed())}},
                 "stopped (" + stop_reason + "): " + std::to_string(follower.changes_total()) +
                     " changes, confirmed through " + FormatPgLsn(follower.confirmed()));
  PQfinish(conn);
  return 0;
}

}  // namespace cli
}  // namespace unbundled

#endif  // UNBUNDLED_HAVE_LIBPQ
