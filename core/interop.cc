// Change streams in and out: wal2json and Debezium (see interop.h).
#include "core/interop.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>
#include <utility>

#include "core/engine.h"
#include "core/json_writer.h"
#include "core/scenario.h"
#include "core/simulator.h"
#include "core/user_json.h"

namespace unbundled {
namespace interop {
namespace {

// "line 7: pk: missing" — every import error names the place, then the field.
Status Bad(const std::string& where, const std::string& field, const std::string& what) {
  return Status::Invalid(where + ": " + field, what);
}

// A JSON value's text, cut to fit in an error message.
std::string Shown(const Json& v) {
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// obj[member] when it is a string, else `otherwise` (Json::value throws on a
// member of another type; input is never trusted to be well typed).
std::string Str(const Json& obj, const char* member, const std::string& otherwise = "") {
  if (!obj.is_object()) return otherwise;
  const auto it = obj.find(member);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : otherwise;
}

// Notes and titles made here stay well inside the scenario's limits on them.
constexpr std::size_t kNoteBytes = 1000;
constexpr std::size_t kNameBytes = 120;
constexpr std::size_t kTitleBytes = 180;

// `s` cut to at most `max` bytes, at a UTF-8 character boundary, marked "...".
std::string Capped(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "...";
}

// ParseUserJson (the limits every user's JSON is read under), with an error
// that always begins with `what` ("line 7: ...").
Status ParseText(const std::string& text, const std::string& what, Json* out) {
  Status s = ParseUserJson(text, what, out);
  if (s.ok() || s.message().rfind(what + ":", 0) == 0) return s;
  return Status::Invalid(what, s.message());
}

// One primary-key value in a key: a string as itself (',' and '%' escaped,
// so that the values of a composite key stay apart), anything else as JSON.
std::string KeyPart(const Json& v) {
  if (!v.is_string()) return v.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  for (char c : v.get<std::string>()) {
    if (c == '%') {
      out += "%25";
    } else if (c == ',') {
      out += "%2C";
    } else {
      out += c;
    }
  }
  return out;
}

// "accounts" for public.accounts, else "schema.table".
std::string TableName(const std::string& schema, const std::string& table) {
  return schema.empty() || schema == "public" ? table : schema + "." + table;
}

// The key of `row` in `table` by the primary-key columns `pk`.
Status MakeKey(const std::string& table, const std::vector<std::string>& pk, const Json& row,
               const std::string& where, const std::string& field, std::string* key) {
  std::string k = table + ":";
  for (std::size_t i = 0; i < pk.size(); ++i) {
    if (!row.contains(pk[i]) || row[pk[i]].is_null()) {
      return Bad(where, field, "has no value for primary-key column '" + pk[i] + "'");
    }
    if (i) k += ",";
    k += KeyPart(row[pk[i]]);
  }
  Status s = ValidateKey(k, "key");
  if (!s.ok()) return Bad(where, field, "the key " + Shown(Json(k)) + " is refused: " + s.message());
  *key = std::move(k);
  return Status::OK();
}

Status CheckValue(const Json& row, const std::string& where, const std::string& field) {
  Status s = ValidateValue(row, "value");
  if (!s.ok()) return Bad(where, field, "the row is refused as a document: " + s.message());
  return Status::OK();
}

Json PutStep(const std::string& key, const Json& value, const std::string& note) {
  return Json{{"op", "put"}, {"key", key}, {"value", value}, {"note", Capped(note, kNoteBytes)}};
}
Json DeleteStep(const std::string& key, const std::string& note) {
  return Json{{"op", "delete"}, {"key", key}, {"note", Capped(note, kNoteBytes)}};
}

// wal2json's column list [{"name", "type", "value"}] as a row object; json
// and jsonb values, which arrive as strings holding JSON, are parsed.
Status ColumnsToRow(const Json& msg, const char* member, const std::string& where, Json* row) {
  const Json& cols = msg[member];
  if (!cols.is_array()) return Bad(where, member, "must be an array of columns");
  Json out = Json::object();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const std::string field = std::string(member) + "[" + std::to_string(i) + "]";
    const Json& c = cols[i];
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
      return Bad(where, field + ".name", "must be a string");
    }
    if (!c.contains("value")) return Bad(where, field + ".value", "missing");
    const std::string type = c.contains("type") && c["type"].is_string() ? c["type"].get<std::string>() : "";
    Json value = c["value"];
    if ((type == "json" || type == "jsonb") && value.is_string()) {
      Json parsed;
      Status s = ParseText(value.get<std::string>(), "text", &parsed);
      if (!s.ok()) return Bad(where, field + ".value", "a " + type + " column's " + s.message());
      value = std::move(parsed);
    }
    out[c["name"].get<std::string>()] = std::move(value);
  }
  *row = std::move(out);
  return Status::OK();
}

std::string CountOf(std::size_t n, const char* one) {
  return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
}

// Builds a scenario: a title, consumers, then units (transactions) of steps.
class ScenarioBuilder {
 public:
  ScenarioBuilder(const std::string& title, const ImportOptions& options) {
    scenario_ = {{"title", Capped(title, kTitleBytes)}, {"consumers", options.consumers}, {"steps", Json::array()}};
    scenario_["steps"].push_back(
        {{"op", "configure"},
         {"commit", "async"},
         {"note",
          "Async commit: each transaction's writes become durable together at the sync that "
          "stands for its COMMIT, so consumers receive a transaction whole or not at all."}});
  }
  void Add(Json step) { scenario_["steps"].push_back(std::move(step)); }
  void AddAll(std::vector<Json>* steps) {
    for (auto& s : *steps) Add(std::move(s));
  }
  Json Take(const ImportReport& report, const std::string& what) {
    std::string d = "Imported from " + what + ": " + CountOf(report.changes, "change") + " in " +
                    CountOf(report.transactions, "transaction") + ".";
    if (report.truncates) d += " Skipped: " + CountOf(report.truncates, "truncate") + ".";
    if (report.messages) d += " Skipped: " + CountOf(report.messages, "message") + ".";
    if (report.tombstones) d += " Skipped: " + CountOf(report.tombstones, "tombstone") + ".";
    scenario_["description"] = d;
    return std::move(scenario_);
  }

 private:
  Json scenario_;
};

}  // namespace

bool ParsePgLsn(const std::string& text, PgLsn* lsn) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
      text.size() - slash - 1 > 8) {
    return false;
  }
  std::uint64_t parts[2] = {0, 0};
  const std::string halves[2] = {text.substr(0, slash), text.substr(slash + 1)};
  for (int h = 0; h < 2; ++h) {
    for (char c : halves[h]) {
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return false;
      }
      parts[h] = parts[h] * 16 + static_cast<std::uint64_t>(d);
    }
  }
  *lsn = (parts[0] << 32) | parts[1];
  return true;
}

std::string FormatPgLsn(PgLsn lsn) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%" PRIX32 "/%" PRIX32, static_cast<std::uint32_t>(lsn >> 32),
                static_cast<std::uint32_t>(lsn));
  return buf;
}

// ---- wal2json ---------------------------------------------------------------

Status Wal2JsonDecoder::Feed(const std::string& text, const std::string& where, bool* done,
                             Transaction* txn) {
  *done = false;
  Json msg;
  Status parsed = ParseText(text, where, &msg);
  if (!parsed.ok()) return parsed;
  if (!msg.is_object()) return Status::Invalid(where, "must be a JSON object (wal2json format-version 2)");
  // FeedJson checks a message whole before it changes anything, so a message
  // in error leaves the decoder as it was (no copy of a large transaction).
  Status s;
  try {
    s = FeedJson(msg, where, done, txn);
  } catch (const Json::exception& e) {  // a check missed: still an error, never a crash
    s = Status::Invalid(where, std::string("cannot be read: ") + e.what());
  }
  if (!s.ok()) *done = false;
  return s;
}

namespace {

// A message's LSN field as PostgreSQL's LSN (0 when absent).
Status LsnField(const Json& msg, const char* member, const std::string& where, PgLsn* lsn) {
  *lsn = 0;
  if (!msg.contains(member) || msg[member].is_null()) return Status::OK();
  if (!msg[member].is_string() || !ParsePgLsn(msg[member].get<std::string>(), lsn)) {
    return Bad(where, member, "must be a PostgreSQL LSN such as \"0/16B3748\" (got " + Shown(msg[member]) + ")");
  }
  return Status::OK();
}

std::string XidOf(const Json& msg) {
  if (!msg.contains("xid") || msg["xid"].is_null()) return "";
  return msg["xid"].is_string() ? msg["xid"].get<std::string>() : msg["xid"].dump();
}

}  // namespace

void Wal2JsonDecoder::Finish(Transaction* txn, const std::string& commit_note) {
  *txn = std::move(open_);
  open_ = Transaction();
  in_txn_ = false;
  const bool any = !txn->changes.empty();
  std::string note = commit_note;
  for (const auto& n : pending_notes_) note += " " + n;
  pending_notes_.clear();
  if (any || note != commit_note) txn->steps.push_back({{"op", "sync"}, {"note", Capped(note, kNoteBytes)}});
  if (any) {
    txn->steps.push_back({{"op", "flush"}});
    ++report_.transactions;
  }
}

Status Wal2JsonDecoder::FeedJson(const Json& msg, const std::string& where, bool* done,
                                 Transaction* txn) {
  if (!msg.contains("action") || !msg["action"].is_string()) {
    return Bad(where, "action", "missing (is this wal2json with format-version 2?)");
  }
  const std::string action = msg["action"].get<std::string>();
  const std::string xid = XidOf(msg);
  PgLsn lsn = 0;
  Status s = LsnField(msg, "lsn", where, &lsn);
  if (!s.ok()) return s;
  if (action != "B" && action != "C" && action != "I" && action != "U" && action != "D" &&
      action != "T" && action != "M") {
    return Bad(where, "action", "unknown action " + Shown(msg["action"]) + " (expected B, C, I, U, D, T or M)");
  }
  PgLsn end = 0;
  if (!(s = LsnField(msg, "nextlsn", where, &end)).ok()) return s;
  if (action == "B" && in_txn_) return Bad(where, "action", "BEGIN inside a transaction that did not commit");
  if (action == "C" && !in_txn_) return Bad(where, "action", "COMMIT without a BEGIN");
  ++report_.lines;
  if (action == "B") {
    in_txn_ = true;
    open_ = Transaction();
    open_.xid = xid;
    return Status::OK();
  }
  if (action == "C") {
    if (open_.xid.empty()) open_.xid = xid;
    open_.commit_lsn = lsn;
    open_.end_lsn = end;
    std::string note = "COMMIT of PostgreSQL transaction" + (open_.xid.empty() ? "" : " " + open_.xid);
    if (lsn) note += " (LSN " + FormatPgLsn(lsn) + ")";
    if (!open_.changes.empty()) {
      note += open_.changes.size() == 1
                  ? ": its change becomes durable and reaches consumers."
                  : ": its " + CountOf(open_.changes.size(), "change") +
                        " become durable together and reach consumers as one unit.";
    } else {
      note += ".";
    }
    Finish(txn, note);
    *done = true;
    return Status::OK();
  }
  const bool outside = !in_txn_;
  if (outside) {
    // Without include-transaction (or a non-transactional message), a
    // message is a unit of its own.
    open_ = Transaction();
    open_.xid = xid;
  }
  if (action == "I" || action == "U" || action == "D") {
    if (!(s = DecodeChange(msg, where, &open_)).ok()) {
      --report_.lines;
      return s;
    }
  } else if (action == "T") {
    ++report_.truncates;
    const std::string table = TableName(Str(msg, "schema"), Str(msg, "table", "?"));
    pending_notes_.push_back("Skipped: TRUNCATE " + table +
                             (lsn ? " (LSN " + FormatPgLsn(lsn) + ")" : std::string()) +
                             ", which the simulator has no step for.");
  } else if (action == "M") {
    ++report_.messages;
    std::string content = msg.contains("content") && msg["content"].is_string()
                              ? msg["content"].get<std::string>()
                              : "";
    content = Capped(content, 80);
    pending_notes_.push_back("Skipped: a logical decoding message" +
                             (msg.contains("prefix") ? " with prefix " + Shown(msg["prefix"]) : std::string()) +
                             (lsn ? " (LSN " + FormatPgLsn(lsn) + ")" : std::string()) + ": " +
                             Shown(Json(content)) + ".");
  }
  if (outside) {
    open_.commit_lsn = lsn;
    open_.end_lsn = 0;
    std::string note = "Outside a transaction";
    if (lsn) note += " (LSN " + FormatPgLsn(lsn) + ")";
    note += open_.changes.empty() ? "." : ": durable on its own.";
    Finish(txn, note);
    *done = true;
  }
  return Status::OK();
}

Status Wal2JsonDecoder::DecodeChange(const Json& msg, const std::string& where, Transaction* into) {
  const std::string action = msg["action"].get<std::string>();
  if (!msg.contains("table") || !msg["table"].is_string()) return Bad(where, "table", "must be a string");
  if (msg.contains("schema") && !msg["schema"].is_string()) return Bad(where, "schema", "must be a string");
  const std::string table = TableName(Str(msg, "schema"), msg["table"].get<std::string>());
  if (!msg.contains("pk")) {
    return Bad(where, "pk", "missing: run pg_recvlogical with -o include-pk=1 so that each change names its primary key");
  }
  if (!msg["pk"].is_array()) return Bad(where, "pk", "must be an array of columns");
  std::vector<std::string> pk;
  for (std::size_t i = 0; i < msg["pk"].size(); ++i) {
    const Json& c = msg["pk"][i];
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
      return Bad(where, "pk[" + std::to_string(i) + "].name", "must be a string");
    }
    pk.push_back(c["name"].get<std::string>());
  }
  if (pk.empty()) return Bad(where, "pk", "table " + table + " has no primary key, so its rows have no key");
  Json before = nullptr, after = nullptr;
  Status s;
  if (action != "D") {
    if (!msg.contains("columns")) return Bad(where, "columns", "missing: an insert or update carries the new row");
    if (!(s = ColumnsToRow(msg, "columns", where, &after)).ok()) return s;
    if (!(s = CheckValue(after, where, "columns")).ok()) return s;
  }
  if (msg.contains("identity")) {
    if (!(s = ColumnsToRow(msg, "identity", where, &before)).ok()) return s;
  } else if (action == "D") {
    return Bad(where, "identity", "missing: a delete carries the old row's key");
  }
  std::string key, old_key;
  if (action != "D" && !(s = MakeKey(table, pk, after, where, "columns", &key)).ok()) return s;
  if (!before.is_null() && !(s = MakeKey(table, pk, before, where, "identity", &old_key)).ok()) return s;

  const std::string xid = into->xid.empty() ? XidOf(msg) : into->xid;
  PgLsn lsn = 0;
  LsnField(msg, "lsn", where, &lsn);  // checked by FeedJson
  std::string place = table;
  if (!xid.empty()) place += ", xid " + xid;
  if (lsn) place += ", LSN " + FormatPgLsn(lsn);
  const std::string verb = action == "I" ? "insert" : action == "U" ? "update" : "delete";
  std::string note = (action == "I" ? "INSERT into " : action == "U" ? "UPDATE of " : "DELETE from ") + place;
  if (into->changes.empty() && into->xid.size()) {
    note = "BEGIN of PostgreSQL transaction " + into->xid + ". " + note;
  }
  if (!pending_notes_.empty()) {
    for (const auto& n : pending_notes_) note += ". " + n;
    pending_notes_.clear();
  }
  if (action == "D") {
    into->steps.push_back(DeleteStep(old_key, note));
    into->changes.push_back({verb, old_key, before, nullptr, place});
  } else if (action == "U" && !old_key.empty() && old_key != key) {
    // The primary key changed: the row moves to another key.
    into->steps.push_back(DeleteStep(old_key, note + " (its primary key changed: the old key goes)"));
    into->steps.push_back(PutStep(key, after, "UPDATE of " + place + ", continued: the row comes back under its new key"));
    into->changes.push_back({verb, key, before, after, place});
  } else {
    into->steps.push_back(PutStep(key, after, note));
    into->changes.push_back({verb, key, before, after, place});
  }
  ++report_.changes;
  return Status::OK();
}

std::string Wal2JsonDecoder::TakePendingNote() {
  std::string note;
  for (const auto& n : pending_notes_) note += (note.empty() ? "" : " ") + n;
  pending_notes_.clear();
  return note;
}

namespace {

// Calls each(line, number) for each non-blank line; stops at an error.
template <typename F>
Status EachLine(const std::string& text, F each) {
  std::size_t number = 0, from = 0;
  while (from < text.size()) {
    std::size_t end = text.find('\n', from);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(from, end - from);
    from = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    Status s;
    try {
      s = each(line, number);
    } catch (const Json::exception& e) {  // a check missed: still an error, never a crash
      s = Status::Invalid("line " + std::to_string(number), std::string("cannot be read: ") + e.what());
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Status ImportWal2Json(const std::string& text, const ImportOptions& options, Json* scenario,
                      ImportReport* report) {
  ScenarioBuilder out("PostgreSQL changes (wal2json) from " + Capped(options.source_name, kNameBytes), options);
  Wal2JsonDecoder decoder;
  Status s = EachLine(text, [&](const std::string& line, std::size_t number) {
    bool done = false;
    Transaction txn;
    Status st = decoder.Feed(line, "line " + std::to_string(number), &done, &txn);
    if (st.ok() && done) out.AddAll(&txn.steps);
    return st;
  });
  if (!s.ok()) return s;
  ImportReport r = decoder.report();
  if (decoder.InTransaction()) {
    r.notices.push_back("the file ends inside a transaction that did not commit: its changes were left out");
  }
  const std::string rest = decoder.TakePendingNote();
  if (!rest.empty()) out.Add({{"op", "sync"}, {"note", Capped(rest, kNoteBytes)}});
  if (r.truncates) r.notices.push_back("skipped " + CountOf(r.truncates, "truncate") + " (noted in the steps)");
  if (r.messages) r.notices.push_back("skipped " + CountOf(r.messages, "logical decoding message") + " (noted in the steps)");
  Json result = out.Take(r, "PostgreSQL logical decoding (wal2json)");
  s = ValidateScenario(result);
  if (!s.ok()) return s;
  *scenario = std::move(result);
  *report = std::move(r);
  return Status::OK();
}

// ---- Debezium ---------------------------------------------------------------

namespace {

// {"schema": ..., "payload": P} -> P; anything else as it is.
const Json& Unwrapped(const Json& v) {
  if (v.is_object() && v.contains("payload") && v.contains("schema") && v.size() == 2) return v["payload"];
  return v;
}

// The names of after's fields that Debezium's schema marks as JSON text
// (io.debezium.data.Json): their string values are parsed.
std::set<std::string> JsonFields(const Json& wrapped) {
  std::set<std::string> names;
  if (!wrapped.is_object() || !wrapped.contains("schema") || !wrapped["schema"].is_object()) return names;
  const Json& schema = wrapped["schema"];
  if (!schema.contains("fields") || !schema["fields"].is_array()) return names;
  for (const auto& part : schema["fields"]) {
    if (!part.is_object() || !part.contains("fields") || !part["fields"].is_array()) continue;
    if (Str(part, "field") != "after" && Str(part, "field") != "before") continue;
    for (const auto& f : part["fields"]) {
      if (f.is_object() && Str(f, "name") == "io.debezium.data.Json" && f.contains("field") &&
          f["field"].is_string()) {
        names.insert(f["field"].get<std::string>());
      }
    }
  }
  return names;
}

Status ParseJsonFields(Json* row, const std::set<std::string>& fields, const std::string& where,
                       const std::string& member) {
  if (!row->is_object()) return Status::OK();
  for (const auto& name : fields) {
    if (!row->contains(name) || !(*row)[name].is_string()) continue;
    Json parsed;
    Status s = ParseText((*row)[name].get<std::string>(), "text", &parsed);
    if (!s.ok()) return Bad(where, member + "." + name, "an io.debezium.data.Json field's " + s.message());
    (*row)[name] = std::move(parsed);
  }
  return Status::OK();
}

}  // namespace

Status ImportDebezium(const std::string& text, const ImportOptions& options, Json* scenario,
                      ImportReport* report) {
  ScenarioBuilder out("Debezium change events from " + Capped(options.source_name, kNameBytes), options);
  ImportReport r;
  std::vector<Json> unit;     // the steps of the current transaction
  std::size_t unit_changes = 0;
  Json unit_tx = nullptr;     // its source.txId
  std::vector<std::string> skipped;  // notes for the next step
  auto close_unit = [&]() {
    if (unit_changes == 0) return;
    out.AddAll(&unit);
    std::string note = unit_tx.is_null() ? "Commit: " + CountOf(unit_changes, "change") + " durable."
                                         : "COMMIT of transaction " + Shown(unit_tx) + ": its " +
                                               CountOf(unit_changes, "change") +
                                               " become durable together and reach consumers as one unit.";
    out.Add({{"op", "sync"}, {"note", Capped(note, kNoteBytes)}});
    out.Add({{"op", "flush"}});
    ++r.transactions;
    unit.clear();
    unit_changes = 0;
  };
  Status s = EachLine(text, [&](const std::string& line, std::size_t number) -> Status {
    const std::string where = "line " + std::to_string(number);
    Json whole;
    Status parsed = ParseText(line, where, &whole);
    if (!parsed.ok()) return parsed;
    ++r.lines;
    // A Kafka record {"key", "value"}, or just the value.
    Json kafka_key = nullptr;
    const Json* wrapped = &whole;
    if (whole.is_object() && whole.contains("value") && whole.contains("key") && !whole.contains("op")) {
      kafka_key = Unwrapped(whole["key"]);
      wrapped = &whole["value"];
    }
    const Json& e = Unwrapped(*wrapped);
    if (e.is_null()) {
      ++r.tombstones;
      return Status::OK();
    }
    if (!e.is_object()) return Status::Invalid(where, "must be a Debezium change event (a JSON object) or null");
    if (!e.contains("op") || !e["op"].is_string()) return Bad(where, "op", "missing (a Debezium envelope has op, before, after, source)");
    const std::string op = e["op"].get<std::string>();
    const Json source = e.contains("source") && e["source"].is_object() ? e["source"] : Json::object();
    if (op == "t" || op == "m") {
      (op == "t" ? r.truncates : r.messages)++;
      skipped.push_back(std::string("Skipped: a ") + (op == "t" ? "truncate" : "message") + " event (" + where + ").");
      return Status::OK();
    }
    if (op != "c" && op != "u" && op != "r" && op != "d") {
      return Bad(where, "op", "unknown op " + Shown(e["op"]) + " (expected c, u, d, r, t or m)");
    }
    const char* member = op == "d" ? "before" : "after";
    if (!e.contains(member) || !e[member].is_object()) {
      return Bad(where, member, std::string("must be the row (an object) for op '") + op + "'");
    }
    Json row = e[member];
    Status st = ParseJsonFields(&row, JsonFields(*wrapped), where, member);
    if (!st.ok()) return st;
    std::string key;
    Json value = row;
    if (Str(source, "connector") == "unbundled") {
      // This program's own export: rows of "documents" are {key, value}.
      if (!row.contains("key") || !row["key"].is_string()) {
        return Bad(where, std::string(member) + ".key", "must be a string (the unbundled connector's row)");
      }
      key = row["key"].get<std::string>();
      if (!(st = ValidateKey(key, std::string(member) + ".key")).ok()) return Status::Invalid(where, st.message());
      if (op != "d") {
        if (!row.contains("value")) return Bad(where, "after.value", "missing (the unbundled connector's row)");
        value = row["value"];
      }
    } else {
      if (!source.contains("table") || !source["table"].is_string()) {
        return Bad(where, "source.table", "must be a string: the key is the table plus the primary key");
      }
      const std::string table = TableName(Str(source, "schema"), source["table"].get<std::string>());
      std::vector<std::string> pk;
      Json key_row = row;
      if (kafka_key.is_object()) {
        for (auto it = kafka_key.begin(); it != kafka_key.end(); ++it) pk.push_back(it.key());
        key_row = kafka_key;
      } else {
        pk = options.key_fields;
      }
      if (!(st = MakeKey(table, pk, key_row, where, kafka_key.is_object() ? "key" : member, &key)).ok()) return st;
    }
    if (op != "d" && !(st = CheckValue(value, where, "after")).ok()) return st;
    // A new transaction closes the one before.
    const Json tx = source.contains("txId") ? source["txId"] : Json(nullptr);
    if (tx.is_null() || tx != unit_tx) close_unit();
    unit_tx = tx;
    std::string note = std::string("Debezium ") + op + " (" + where;
    if (source.contains("table")) note += ", " + TableName(Str(source, "schema"), Str(source, "table"));
    if (source.contains("lsn")) note += ", LSN " + Shown(source["lsn"]);
    if (!tx.is_null()) note += ", txId " + Shown(tx);
    note += ")";
    for (const auto& n : skipped) note += " " + n;
    skipped.clear();
    if (op == "r") ++r.snapshot_reads;
    unit.push_back(op == "d" ? DeleteStep(key, note) : PutStep(key, value, note));
    ++unit_changes;
    ++r.changes;
    if (tx.is_null()) close_unit();
    return Status::OK();
  });
  if (!s.ok()) return s;
  close_unit();
  if (!skipped.empty()) {
    std::string note;
    for (const auto& n : skipped) note += (note.empty() ? "" : " ") + n;
    out.Add({{"op", "sync"}, {"note", Capped(note, kNoteBytes)}});
  }
  if (r.tombstones) r.notices.push_back("skipped " + CountOf(r.tombstones, "tombstone") + " (null values)");
  if (r.truncates) r.notices.push_back("skipped " + CountOf(r.truncates, "truncate event"));
  if (r.messages) r.notices.push_back("skipped " + CountOf(r.messages, "message event"));
  Json result = out.Take(r, "Debezium change events");
  s = ValidateScenario(result);
  if (!s.ok()) return s;
  *scenario = std::move(result);
  *report = std::move(r);
  return Status::OK();
}

// ---- export -----------------------------------------------------------------

Json DebeziumEnvelope(const Json& event, std::size_t step) {
  const std::string key = event["key"].get<std::string>();
  auto row = [&key](const Json& doc) -> Json {
    return doc.is_null() ? Json(nullptr) : Json{{"key", key}, {"value", doc}};
  };
  const std::string op = event["op"].get<std::string>();
  Json source = {{"version", "unbundled-0.1.0"}, {"connector", "unbundled"}, {"name", "unbundled"},
                 {"ts_ms", step}, {"snapshot", op == "r" ? "true" : "false"}, {"db", "unbundled"},
                 {"table", "documents"}, {"lsn", event["lsn"]}};
  return Json{{"before", row(event["before"])}, {"after", row(event["after"])},
              {"source", std::move(source)}, {"op", op}, {"ts_ms", step}};
}

namespace {

// DebeziumEnvelope(ToJson(event), step) as one line of text, its members in
// the documented order (which readers of Debezium's examples expect), and
// each document copied as it is stored: byte for byte what nlohmann's
// ordered dump of the envelope writes (interop_test checks it), in a
// fraction of the time (building the envelope as JSON values, copying it
// into ordered ones and dumping it was 20-35 us an event in WebAssembly,
// and an export of 100,000 events took 3.5 s on the page).
void WriteEnvelope(const ChangeEvent& event, std::size_t step, JsonText* out) {
  const auto row = [&](const DocRef& doc) {
    if (!doc) {
      out->Null();
      return;
    }
    out->BeginObject();
    out->Member("key", event.key.view());
    out->Key("value");
    out->Raw(doc->text());
    out->EndObject();
  };
  const std::string_view op(reinterpret_cast<const char*>(&event.op), 1);
  out->BeginObject();
  out->Key("before");
  row(event.before);
  out->Key("after");
  row(event.after);
  out->Key("source");
  out->BeginObject();
  out->Member("version", "unbundled-0.1.0");
  out->Member("connector", "unbundled");
  out->Member("name", "unbundled");
  out->Member("ts_ms", step);
  out->Member("snapshot", event.op == ChangeOp::kRead ? "true" : "false");
  out->Member("db", "unbundled");
  out->Member("table", "documents");
  out->Member("lsn", event.lsn);
  out->EndObject();
  out->Member("op", op);
  out->Member("ts_ms", step);
  out->EndObject();
}

}  // namespace

Status ExportDebezium(const std::string& scenario_text, std::string* ndjson) {
  StreamedScenario scenario;
  Status s = scenario.Open(scenario_text);
  if (!s.ok()) return s;
  DebeziumExporter exporter;
  if (!(s = exporter.Begin(scenario.header())).ok()) return s;
  s = scenario.Run([&](std::size_t i, const Json& step) { exporter.Replay(i, step); });
  if (!s.ok()) return s;
  std::string out;
  if (!(s = exporter.AppendLines(0, exporter.EventCount(), &out)).ok()) return s;
  *ndjson = std::move(out);
  return Status::OK();
}

// The export reads the change stream, never a step's snapshot of storage,
// so a snapshot's result lists none of its r events (which at 100,000 rows
// were 7 MB of JSON built and dropped for each consumer added late).
DebeziumExporter::DebeziumExporter() : sim_(std::make_unique<Simulator>()) {
  sim_->SetSnapshotEventsListed(0);
}
DebeziumExporter::~DebeziumExporter() = default;

Status DebeziumExporter::Begin(const Json& header) {
  if (!header.is_object() || !header.contains("consumers")) return Status::OK();
  const Json& consumers = header["consumers"];
  if (!consumers.is_array()) return Status::Invalid("consumers", "must be an array");
  for (std::size_t i = 0; i < consumers.size(); ++i) {
    Json result = sim_->Apply(Json{{"op", "add_consumer"}, {"consumer", consumers[i]}, {"mode", "replay"}});
    if (!result["ok"].get<bool>()) {
      return Status::Invalid("consumers[" + std::to_string(i) + "]", result["error"].get<std::string>());
    }
  }
  return Status::OK();
}

Json DebeziumExporter::Apply(std::size_t index, const Json& step) {
  Json result = sim_->Apply(step);
  NoteHead(index);
  return result;
}

bool DebeziumExporter::Replay(std::size_t index, const Json& step) {
  const bool taken = sim_->Replay(step);
  NoteHead(index);
  return taken;
}

void DebeziumExporter::NoteHead(std::size_t index) {
  if (sim_->engine().down()) return;
  const Lsn now = sim_->engine().wal().head();
  if (now > head_) {
    heads_.emplace_back(now, index);
    head_ = now;
  }
}

// The events a view of the stream lists: while the database is down, only
// those that still read back (their indexes in the stream), else all.
const std::vector<std::uint32_t>* DebeziumExporter::Readable() const {
  const Engine& engine = sim_->engine();
  return engine.down() ? &engine.ReadableEvents() : nullptr;
}

std::size_t DebeziumExporter::EventCount() const {
  const std::vector<std::uint32_t>* readable = Readable();
  return readable ? readable->size() : sim_->engine().stream().size();
}

Status DebeziumExporter::AppendLines(std::size_t start, std::size_t count, std::string* out) const {
  const ChangeStream& stream = sim_->engine().stream();
  const std::vector<std::uint32_t>* readable = Readable();
  const std::size_t total = EventCount();
  const std::size_t end = std::min(total, start + std::min(count, total));
  JsonText line;
  ChangeEvent event;
  for (std::size_t n = start; n < end; ++n) {
    if (!stream.Event(readable ? (*readable)[n] : n, &event)) continue;
    auto it = std::lower_bound(heads_.begin(), heads_.end(), std::make_pair(event.lsn, std::size_t{0}));
    const std::size_t step = it == heads_.end() ? 0 : it->second;
    WriteEnvelope(event, step, &line);
    *out += line.Release();
    *out += '\n';
  }
  return Status::OK();
}

}  // namespace interop
}  // namespace unbundled
