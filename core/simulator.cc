#include "core/simulator.h"

#include <map>
#include <set>
#include <vector>

namespace unbundled {

namespace {

// The fields each op accepts besides "op" and "note". Query additionally
// passes its remaining fields to the consumer's derived system.
const std::map<std::string, std::set<std::string>>& OpFields() {
  static const auto* kOps = new std::map<std::string, std::set<std::string>>{
      {"put", {"key", "value"}},
      {"delete", {"key"}},
      {"get", {"key"}},
      {"flush", {"consumer"}},
      {"step", {"consumer"}},
      {"add_consumer", {"consumer", "mode"}},
      {"remove_consumer", {"consumer"}},
      {"rebuild", {"consumer"}},
      {"query", {"consumer"}},
      {"expect", {"consumer", "head", "key", "value", "position", "lag", "query", "result"}},
  };
  return *kOps;
}

std::string OpList() {
  std::string list;
  for (const auto& [name, fields] : OpFields()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

Status GetString(const Json& step, const std::string& field, std::string* out) {
  auto it = step.find(field);
  if (it == step.end()) return Status::Invalid(field, "is required");
  if (!it->is_string()) {
    return Status::Invalid(field, std::string("must be a string (got ") + it->type_name() + ")");
  }
  *out = it->get<std::string>();
  return Status::OK();
}

Json EventsToJson(const std::vector<ChangeEvent>& events) {
  Json j = Json::array();
  for (const auto& e : events) j.push_back(ToJson(e));
  return j;
}

Status ExpectEqual(const std::string& field, const std::string& subject, const Json& actual,
                   const Json& expected) {
  if (actual == expected) return Status::OK();
  return Status::Invalid(field, "expected " + expected.dump() + ", but " + subject + " is " +
                                    actual.dump());
}

}  // namespace

Status ParseConsumerSpec(const Json& spec, const std::string& field, ConsumerSpec* out) {
  if (!spec.is_object()) {
    return Status::Invalid(field, "must be an object like {\"name\": ..., \"type\": ...}");
  }
  ConsumerSpec parsed;
  auto name = spec.find("name");
  if (name == spec.end() || !name->is_string()) {
    return Status::Invalid(field + ".name", "must be a string");
  }
  auto type = spec.find("type");
  if (type == spec.end() || !type->is_string()) {
    return Status::Invalid(field + ".type",
                           "must be one of secondary_index, materialized_view, full_text");
  }
  parsed.name = name->get<std::string>();
  parsed.type = type->get<std::string>();
  for (const auto& [k, v] : spec.items()) {
    if (k != "name" && k != "type") parsed.config[k] = v;
  }
  *out = std::move(parsed);
  return Status::OK();
}

Json Simulator::Apply(const Json& step) {
  Json result = Json::object();
  Status s;
  try {
    s = Dispatch(step, &result);
  } catch (const std::exception& e) {
    // Dispatch validates before it mutates, so nothing has changed; this is a
    // last line of defence that keeps exceptions inside the core.
    s = Status::Invalid("step", std::string("internal error: ") + e.what());
  }
  if (!s.ok()) return {{"ok", false}, {"error", s.message()}};
  result["ok"] = true;
  return result;
}

std::string Simulator::Apply(const std::string& step_json) {
  Json step;
  try {
    step = Json::parse(step_json);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    auto pos = what.find("parse error");
    return Json{{"ok", false},
                {"error", "step: not valid JSON (" +
                              (pos == std::string::npos ? what : what.substr(pos)) + ")"}}
        .dump();
  }
  return Apply(step).dump();
}

Status Simulator::Dispatch(const Json& step, Json* result) {
  if (!step.is_object()) return Status::Invalid("step", "must be a JSON object");
  std::string op;
  Status s = GetString(step, "op", &op);
  if (!s.ok()) return s;
  auto spec = OpFields().find(op);
  if (spec == OpFields().end()) {
    return Status::Invalid("op", "unknown op '" + op + "' (expected one of " + OpList() + ")");
  }
  if (step.contains("note") && !step["note"].is_string()) {
    return Status::Invalid("note", "must be a string");
  }
  Json query_fields = Json::object();
  for (const auto& [name, value] : step.items()) {
    if (name == "op" || name == "note" || spec->second.count(name)) continue;
    if (op == "query") {
      query_fields[name] = value;
      continue;
    }
    return Status::Invalid(name, "unknown field for op '" + op + "'");
  }

  std::string key, consumer;
  if (op == "put") {
    if (!(s = GetString(step, "key", &key)).ok()) return s;
    if (!step.contains("value")) return Status::Invalid("value", "is required");
    ChangeEvent event;
    if (!(s = engine_.Put(key, step["value"], &event)).ok()) return s;
    (*result)["event"] = ToJson(event);
  } else if (op == "delete") {
    if (!(s = GetString(step, "key", &key)).ok()) return s;
    bool deleted = false;
    ChangeEvent event;
    if (!(s = engine_.Delete(key, &deleted, &event)).ok()) return s;
    (*result)["event"] = deleted ? ToJson(event) : Json(nullptr);
  } else if (op == "get") {
    if (!(s = GetString(step, "key", &key)).ok()) return s;
    if (!(s = ValidateKey(key, "key")).ok()) return s;
    const Document* value = engine_.Get(key);
    (*result)["value"] = value == nullptr ? Json(nullptr) : *value;
  } else if (op == "flush") {
    std::size_t delivered = 0;
    if (step.contains("consumer")) {
      if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
      if (!(s = engine_.Flush(consumer, &delivered)).ok()) return s;
    } else {
      engine_.FlushAll(&delivered);
    }
    (*result)["delivered"] = delivered;
  } else if (op == "step") {
    if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
    const ChangeEvent* event = nullptr;
    if (!(s = engine_.Step(consumer, &event)).ok()) return s;
    (*result)["event"] = event == nullptr ? Json(nullptr) : ToJson(*event);
  } else if (op == "add_consumer") {
    if (!step.contains("consumer")) return Status::Invalid("consumer", "is required");
    ConsumerSpec parsed;
    if (!(s = ParseConsumerSpec(step["consumer"], "consumer", &parsed)).ok()) return s;
    JoinMode mode = JoinMode::kSnapshot;
    if (step.contains("mode")) {
      const Json& m = step["mode"];
      if (m == "replay") {
        mode = JoinMode::kReplay;
      } else if (m != "snapshot") {
        return Status::Invalid("mode", "must be \"snapshot\" or \"replay\" (got " + m.dump() + ")");
      }
    }
    std::vector<ChangeEvent> snapshot;
    Lsn position = 0;
    if (!(s = engine_.AddConsumer(parsed, mode, &snapshot, &position)).ok()) return s;
    (*result)["position"] = position;
    if (mode == JoinMode::kSnapshot) (*result)["snapshot"] = EventsToJson(snapshot);
  } else if (op == "remove_consumer") {
    if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
    if (!(s = engine_.RemoveConsumer(consumer)).ok()) return s;
  } else if (op == "rebuild") {
    if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
    std::vector<ChangeEvent> snapshot;
    Lsn position = 0;
    if (!(s = engine_.Rebuild(consumer, &snapshot, &position)).ok()) return s;
    (*result)["position"] = position;
    (*result)["snapshot"] = EventsToJson(snapshot);
  } else if (op == "query") {
    if (!(s = GetString(step, "consumer", &consumer)).ok()) return s;
    Json answer;
    if (!(s = engine_.Query(consumer, query_fields, &answer)).ok()) return s;
    (*result)["result"] = answer;
  } else if (op == "expect") {
    if (!(s = Expect(step)).ok()) return s;
  }
  return Status::OK();
}

// expect: every check named in the step must hold. Checks:
//   "head": N                                   the log's head LSN
//   "key": K, "value": V                        storage holds V at K (null: absent)
//   "consumer": C, "position": N                C's position
//   "consumer": C, "lag": N                     C's lag
//   "consumer": C, "query": {...}, "result": R  C answers the query with R
Status Simulator::Expect(const Json& step) const {
  bool checked = false;
  Status s;
  if (step.contains("head")) {
    checked = true;
    if (!(s = ExpectEqual("head", "the head LSN", engine_.wal().head(), step["head"])).ok()) {
      return s;
    }
  }
  if (step.contains("key") != step.contains("value")) {
    return Status::Invalid(step.contains("key") ? "value" : "key",
                           "is required with the other (\"key\" and \"value\" go together)");
  }
  if (step.contains("key")) {
    checked = true;
    std::string key;
    if (!(s = GetString(step, "key", &key)).ok()) return s;
    const Document* value = engine_.Get(key);
    s = ExpectEqual("value", "storage's value of '" + key + "'",
                    value == nullptr ? Json(nullptr) : *value, step["value"]);
    if (!s.ok()) return s;
  }
  bool about_consumer =
      step.contains("position") || step.contains("lag") || step.contains("query");
  if (step.contains("result") && !step.contains("query")) {
    return Status::Invalid("query", "is required with \"result\"");
  }
  if (step.contains("query") && !step.contains("result")) {
    return Status::Invalid("result", "is required with \"query\"");
  }
  if (about_consumer || step.contains("consumer")) {
    std::string name;
    if (!(s = GetString(step, "consumer", &name)).ok()) return s;
    const Consumer* c = engine_.FindConsumer(name);
    if (c == nullptr) return Status::Invalid("consumer", "no consumer named '" + name + "'");
    if (!about_consumer) {
      return Status::Invalid("consumer", "needs \"position\", \"lag\" or \"query\" to check");
    }
    checked = true;
    if (step.contains("position")) {
      s = ExpectEqual("position", "the position of '" + name + "'", c->position(),
                      step["position"]);
      if (!s.ok()) return s;
    }
    if (step.contains("lag")) {
      s = ExpectEqual("lag", "the lag of '" + name + "'", engine_.Lag(*c), step["lag"]);
      if (!s.ok()) return s;
    }
    if (step.contains("query")) {
      if (!step["query"].is_object()) return Status::Invalid("query", "must be an object");
      Json answer;
      if (!(s = c->system().Query(step["query"], &answer)).ok()) {
        return Status::Invalid("query", s.message());
      }
      s = ExpectEqual("result", "the answer of '" + name + "'", answer, step["result"]);
      if (!s.ok()) return s;
    }
  }
  if (!checked) {
    return Status::Invalid("expect", "names nothing to check (use head, key+value, or consumer "
                                     "with position, lag or query+result)");
  }
  return Status::OK();
}

Json Simulator::Positions() const {
  Json positions = Json::object();
  for (const auto& c : engine_.consumers()) positions[c->name()] = c->position();
  return {{"head", engine_.wal().head()}, {"positions", std::move(positions)}};
}

Json Simulator::State() const {
  Json wal = Json::array();
  for (const auto& entry : engine_.wal().entries()) wal.push_back(ToJson(entry));
  Json data = Json::object();
  for (const auto& [key, value] : engine_.storage().rows()) data[key] = value;
  Json events = Json::array();
  for (const auto& event : engine_.stream().events()) events.push_back(ToJson(event));
  Json consumers = Json::array();
  for (const auto& c : engine_.consumers()) {
    consumers.push_back({{"name", c->name()},
                         {"type", c->spec().type},
                         {"config", c->spec().config},
                         {"position", c->position()},
                         {"lag", engine_.Lag(*c)},
                         {"processed", c->processed()},
                         {"snapshot", c->from_snapshot()
                                          ? Json{{"lsn", c->snapshot_lsn()},
                                                 {"rows", c->snapshot_rows()}}
                                          : Json(nullptr)},
                         {"state", c->system().State()}});
  }
  return {{"head", engine_.wal().head()},
          {"wal", std::move(wal)},
          {"storage", {{"lsn", engine_.storage().lsn()}, {"data", std::move(data)}}},
          {"events", std::move(events)},
          {"consumers", std::move(consumers)}};
}

}  // namespace unbundled
