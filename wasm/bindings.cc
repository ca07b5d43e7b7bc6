// The WebAssembly boundary: a thin embind layer over core/Simulator.
//
// JavaScript surface (documented in README.md, "Scripting the module"):
//   const sim = new Module.Simulator();
//   sim.apply(stepJson) -> resultJson      // {"ok": true, ...} | {"ok": false, "error": "..."}
//   sim.state()         -> stateJson (the whole world: for tests and exports)
//   sim.view(requestJson) -> what a page draws, O(window): see Simulator::View
//   sim.positions()     -> {"head": N, "positions": {"consumer": N, ...}}
//   sim.record(lsn)     -> one log record's bytes and header fields
//   sim.replay(stepsJson) -> applies a JSON array of steps, returning how many
//                          were applied (results are not built: for time travel)
//   sim.replayRefused(stepsJson) -> as replay, with the steps refused and why:
//                          {"applied": n, "refused": [[index, error], ...]} |
//                          {"ok": false, "error"} | null (out of memory)
//   sim.applyMany(stepsJson) -> [[result, positions | null], ...]: applies a JSON
//                          array of steps in one call; positions (as positions())
//                          after each step that moved a consumer, else null
//   sim.setSnapshotEventsListed(n) -> an add_consumer's or rebuild's result lists
//                          its snapshot's first n r events (all until set; -1:
//                          all again); snapshot_rows counts every row read
//   sim.clone()         -> a new Simulator in the same state (a checkpoint), or
//                          null when memory is exhausted; delete() it too
//   sim.copyFrom(other) -> this one takes other's state (restores a checkpoint);
//                          false when memory is exhausted
//   sim.delete()
//   Module.validateScenario(json) -> {"ok": true} | {"ok": false, "error": "..."}
//   new Module.ScenarioCheck().add(stepsJson, first) -> validateScenario's
//                          check of steps[first], ..., the session's work
//                          counted on from the slices before (delete() it)
//   check.replay(sim, stepsJson, first) -> add's check, then the slice replayed
//                          into sim as replayRefused replays it (an import)
//   Module.limits()     -> the limits table of core/limits.h: {"key_bytes": 256, ...}
//   Module.meteredOps() -> the ops whose steps may add to the session's work:
//                          ["add_consumer", ...] (core/user_json.h)
//   Module.checkValue(text) -> {"ok": true} | {"ok": false, "error"}: a value's
//                          text checked exactly as put checks it (the live check)
//   Module.checkJson(text, what) -> the same for any JSON text a user hands the
//                          page (a link, a file), read under the limits
//   Module.checkSession(text, what) -> checkJson's reading of a session's text,
//                          then its scenario validated in the same pass:
//                          {"ok": true, "scenario_error"?} | {"ok": false, "error"}
//   Module.debeziumNdjson(scenarioJson) -> {"ok": true, "ndjson"} | {"ok": false, "error"}:
//                          the scenario's change events as Debezium envelopes, one a
//                          line (core/interop; the native `export --to debezium`)
//   new Module.DebeziumExport(): the same, a part at a time (a long session in
//                          slices the page yields between, with progress):
//     ex.begin(headerJson) -> {"ok": true} | error (its consumers added)
//     ex.apply(stepsJson, first) -> steps[first], ... checked as an import checks
//                          them, then taken: {"ok": true} | the first error
//     ex.take(stepJson, index) -> one step (or a part of one: a put_random's
//                          documents from `from`, a flush's next `limit`
//                          events), checked, then taken: its result
//     ex.count()         -> the change events so far
//     ex.lines(start, count) -> events [start, start + count) as NDJSON text
//     ex.delete()
//   Module.ops()        -> the op table: [{"name", "fields", "needs_database", "summary", "result"}]
//   Module.version()    -> "0.1.0"
//   Module.heapBytes()  -> bytes the engine's allocations hold in the module's heap
//                          (wasm/heap_count.cc): what the page's checkpoints are
//                          budgeted against
//
// Strings (JSON) cross the boundary, nothing finer: one call is one whole
// step. No exception may escape to JavaScript (3.1.6 would hand it over as a
// bare number), so every entry point catches everything.
#include <emscripten/bind.h>

#include <cstdlib>
#include <new>
#include <string>

#include "core/interop.h"
#include "core/ops.h"
#include "core/scenario.h"
#include "core/simulator.h"
#include "core/user_json.h"
#include "wasm/heap_count.h"

namespace {

std::string InternalError(const char* what) {
  return unbundled::Json{{"ok", false}, {"error", std::string("step: internal error: ") + what}}
      .dump();
}

// The module's memory has a maximum (wasm/CMakeLists.txt). When a call
// needs more, operator new throws; the call returns this instead of
// aborting the module. The engine may then be part-way through a step, so
// the page treats the session as full: it keeps what it shows, and offers
// an export.
//
// A reserve is set aside when the module starts and given back at the first
// exhaustion, so that the calls the page makes next (a view to draw, an
// export) still have room.
char* g_reserve = static_cast<char*>(std::malloc(24 << 20));

std::string OutOfMemory(const unbundled::Simulator& sim) {
  std::free(g_reserve);
  g_reserve = nullptr;
  const std::size_t entries = sim.engine().wal().records().size();
  return unbundled::Json{{"ok", false},
                         {"out_of_memory", true},
                         {"entries", entries},
                         {"error", "out of memory at " + std::to_string(entries) +
                                       " log entries: export and start a new session"}}
      .dump();
}

class SimulatorBinding {
 public:
  // A new simulator (a new session) sets the reserve aside again if an
  // exhaustion used it: the sessions it replaces have given their memory back.
  SimulatorBinding() {
    if (g_reserve == nullptr) g_reserve = static_cast<char*>(std::malloc(24 << 20));
  }

  std::string apply(const std::string& step_json) {
    try {
      return sim_.Apply(step_json);
    } catch (const std::bad_alloc&) {
      return OutOfMemory(sim_);
    } catch (const std::exception& e) {
      return InternalError(e.what());
    } catch (...) {
      return InternalError("unknown");
    }
  }

  // A recover, replay_storage, verify, truncate, compact, add_consumer or
  // rebuild step's work, prepared in parts
  // before the step is applied (Simulator::Prepare, AdvancePrepared).
  std::string prepare(const std::string& step_json) {
    try {
      return sim_.Prepare(step_json);
    } catch (const std::bad_alloc&) {
      sim_.mutable_engine()->DropPrepared();
      return OutOfMemory(sim_);
    } catch (const std::exception& e) {
      return InternalError(e.what());
    }
  }

  std::string advancePrepared(int budget) {
    try {
      if (budget < 1) return unbundled::Json{{"ok", false}, {"error", "budget: must be at least 1"}}.dump();
      return sim_.AdvancePrepared(static_cast<std::size_t>(budget)).dump();
    } catch (const std::bad_alloc&) {
      sim_.mutable_engine()->DropPrepared();
      return OutOfMemory(sim_);
    } catch (const std::exception& e) {
      return InternalError(e.what());
    }
  }

  void dropPrepared() { sim_.mutable_engine()->DropPrepared(); }

  std::string state() const {
    try {
      return sim_.StateJson();
    } catch (const std::bad_alloc&) {
      return OutOfMemory(sim_);
    } catch (const std::exception& e) {
      return InternalError(e.what());
    }
  }

  std::string view(const std::string& request_json) const {
    try {
      return sim_.View(request_json);
    } catch (const std::bad_alloc&) {
      return OutOfMemory(sim_);
    } catch (const std::exception& e) {
      return InternalError(e.what());
    }
  }

  std::string positions() const {
    try {
      return sim_.Positions().dump();
    } catch (...) {
      return "null";
    }
  }

  int replay(const std::string& steps_json) {
    try {
      unbundled::Json steps;
      if (!unbundled::ParseUserJson(steps_json, "steps", &steps).ok()) return -1;
      if (!steps.is_array()) return -1;
      int applied = 0;
      for (const auto& step : steps) {
        sim_.Replay(step);
        ++applied;
      }
      return applied;
    } catch (const std::bad_alloc&) {
      OutOfMemory(sim_);
      return -1;
    } catch (...) {
      return -1;
    }
  }

  // As replay, and says which steps the engine refused and why (an import
  // lists them before it replaces anything): {"applied": n, "refused":
  // [[index, error], ...]}, {"ok": false, "error"} for text that is not an
  // array of steps, or null when memory ran out.
  std::string replayRefused(const std::string& steps_json) {
    try {
      unbundled::Json steps;
      unbundled::Status parsed = unbundled::ParseUserJson(steps_json, "steps", &steps);
      if (parsed.ok() && !steps.is_array()) parsed = unbundled::Status::Invalid("steps", "must be an array");
      if (!parsed.ok()) {
        return unbundled::Json{{"ok", false}, {"error", parsed.message()}}.dump(
            -1, ' ', false, unbundled::Json::error_handler_t::replace);
      }
      return ReplayListingRefused(steps);
    } catch (const std::bad_alloc&) {
      OutOfMemory(sim_);
      return "null";
    } catch (...) {
      return "null";
    }
  }

  // The replay of an array of parsed steps, as replayRefused returns it. A
  // refused step changed nothing, so applying it once more only builds its
  // error. May throw std::bad_alloc.
  std::string ReplayListingRefused(const unbundled::Json& steps) {
    unbundled::Json refused = unbundled::Json::array();
    int applied = 0;
    for (const auto& step : steps) {
      if (!sim_.Replay(step)) {
        const unbundled::Json r = sim_.Apply(step);
        refused.push_back(unbundled::Json::array({applied, r.value("error", std::string("refused"))}));
      }
      ++applied;
    }
    return unbundled::Json{{"applied", applied}, {"refused", std::move(refused)}}.dump(
        -1, ' ', false, unbundled::Json::error_handler_t::replace);
  }

  const unbundled::Simulator& simulator() const { return sim_; }

  std::string applyMany(const std::string& steps_json) {
    try {
      unbundled::Json steps;
      unbundled::Status parsed = unbundled::ParseUserJson(steps_json, "steps", &steps);
      if (!parsed.ok()) {
        return unbundled::Json{{"ok", false}, {"error", parsed.message()}}.dump(
            -1, ' ', false, unbundled::Json::error_handler_t::replace);
      }
      if (!steps.is_array()) return InternalError("applyMany takes an array of steps");
      unbundled::Json out = unbundled::Json::array();
      for (const auto& step : steps) {
        unbundled::Json r = sim_.Apply(step);
        bool moved = true;
        auto t = r.find("touched");
        if (t != r.end()) {
          const std::string op = step.value("op", "");
          moved = (*t)["all"].get<bool>() || !(*t)["consumers"].empty() || op == "add_consumer" ||
                  op == "remove_consumer";
        }
        unbundled::Json positions = moved ? sim_.Positions()["positions"] : unbundled::Json(nullptr);
        out.push_back(unbundled::Json::array({std::move(r), std::move(positions)}));
      }
      return out.dump(-1, ' ', false, unbundled::Json::error_handler_t::replace);
    } catch (const std::bad_alloc&) {
      return OutOfMemory(sim_);
    } catch (const std::exception& e) {
      return InternalError(e.what());
    }
  }

  // The most r events an add_consumer or rebuild result lists (all until
  // set); snapshot_rows counts them all. Kept by clone().
  void setSnapshotEventsListed(int most) {
    sim_.SetSnapshotEventsListed(most < 0 ? unbundled::Engine::kAllEvents : static_cast<std::size_t>(most));
  }

  SimulatorBinding* clone() const {
    auto copy = std::make_unique<SimulatorBinding>();
    copy->sim_.SetSnapshotEventsListed(sim_.snapshot_events_listed());
    try {
      copy->sim_.CopyFrom(sim_);
    } catch (const std::bad_alloc&) {
      OutOfMemory(sim_);  // gives back the reserve
      return nullptr;
    }
    return copy.release();
  }

  bool copyFrom(const SimulatorBinding& other) {
    try {
      sim_.CopyFrom(other.sim_);
      return true;
    } catch (const std::bad_alloc&) {
      OutOfMemory(sim_);
      return false;
    }
  }

  // LSNs above 2^31 cannot be written from the page in any session it can
  // hold, so an int32 is enough at this boundary.
  std::string record(int lsn) const {
    try {
      if (lsn < 1) return R"({"ok":false,"error":"lsn: must be at least 1"})";
      return sim_.Record(static_cast<unbundled::Lsn>(lsn)).dump();
    } catch (const std::exception& e) {
      return InternalError(e.what());
    }
  }

 private:
  unbundled::Simulator sim_;
};

// What a check answers when the module's memory ran out.
constexpr const char* kOutOfMemoryJson =
    R"({"ok":false,"out_of_memory":true,"error":"out of memory: export and start a new session"})";

// {"ok": true}, or the status's error (bytes that are not UTF-8 replaced).
std::string StatusJson(const unbundled::Status& s) {
  if (s.ok()) return R"({"ok":true})";
  return unbundled::Json{{"ok", false}, {"error", s.message()}}.dump(
      -1, ' ', false, unbundled::Json::error_handler_t::replace);
}

std::string ValidateScenario(const std::string& text) {
  try {
    unbundled::Json scenario;
    unbundled::Status s = unbundled::ParseUserJson(text, "scenario", &scenario);
    if (s.ok()) s = unbundled::ValidateScenario(scenario);
    return StatusJson(s);
  } catch (const std::bad_alloc&) {
    return kOutOfMemoryJson;
  } catch (...) {
    return R"({"ok":false,"error":"scenario: internal error"})";
  }
}

std::string CheckValue(const std::string& text) {
  try {
    unbundled::Json value;
    unbundled::Status s = unbundled::ParseUserJson(text, "value", &value);
    if (s.ok()) s = unbundled::ValidateValue(value, "value");
    return StatusJson(s);
  } catch (...) {
    return R"({"ok":false,"error":"value: internal error"})";
  }
}

std::string CheckJson(const std::string& text, const std::string& what) {
  try {
    unbundled::Json parsed;
    return StatusJson(unbundled::ParseUserJson(text, what, &parsed));
  } catch (const std::bad_alloc&) {
    return kOutOfMemoryJson;
  } catch (...) {
    return R"({"ok":false,"error":"internal error"})";
  }
}

// A session's text (a share link) read once: under the limits, as
// CheckJson reads it, and then its "scenario" validated as
// ValidateScenario does, without the page turning it back into text for a
// second parse. {"ok": false, "error"} refuses the text itself; otherwise
// {"ok": true} with "scenario_error" when the scenario is not one (the
// page checks the session's own fields first, then reports it).
std::string CheckSession(const std::string& text, const std::string& what) {
  try {
    unbundled::Json session;
    unbundled::Status parsed = unbundled::ParseUserJson(text, what, &session);
    if (!parsed.ok()) return StatusJson(parsed);
    if (session.is_object()) {
      auto scenario = session.find("scenario");
      if (scenario != session.end()) {
        unbundled::Status s = unbundled::ValidateScenario(*scenario);
        if (!s.ok()) {
          return unbundled::Json{{"ok", true}, {"scenario_error", s.message()}}.dump(
              -1, ' ', false, unbundled::Json::error_handler_t::replace);
        }
      }
    }
    return R"({"ok":true})";
  } catch (const std::bad_alloc&) {
    return kOutOfMemoryJson;
  } catch (...) {
    return R"({"ok":false,"error":"internal error"})";
  }
}

std::string Limits() { return unbundled::LimitsJson().dump(); }

// A bulk step (put_random) checked whole, as the engine would take it, and
// nothing taken: {"ok": true}, or the error naming the field. The page
// takes a big step in parts, so it asks this first, before any part is
// written.
std::string CheckBulk(const std::string& text) {
  try {
    unbundled::Json step;
    unbundled::Status s = unbundled::ParseUserJson(text, "step", &step);
    unbundled::Simulator::BulkStep bulk;
    if (s.ok() && !step.is_object()) s = unbundled::Status::Invalid("step", "must be an object");
    if (s.ok()) s = unbundled::Simulator::ReadBulkStep(step, &bulk);
    return StatusJson(s);
  } catch (const std::bad_alloc&) {
    return kOutOfMemoryJson;
  } catch (...) {
    return R"({"ok":false,"error":"step: internal error"})";
  }
}

// steps[first], steps[first + 1], ... of `text` checked as ValidateScenario
// checks a scenario's steps: each one's shape, and the session's length and
// work, counted on `meter` from the steps it has seen. Errors
// name a step by its place in the whole scenario; *unread says the text
// itself was refused (its error then names a place in this slice).
unbundled::Status CheckSteps(const std::string& text, int first, unbundled::SessionMeter* meter,
                             bool* unread, unbundled::Json* parsed_steps = nullptr) {
  unbundled::Json steps;
  unbundled::Status parsed = unbundled::ParseUserJson(text, "steps", &steps);
  *unread = !parsed.ok();
  if (!parsed.ok()) return parsed;
  if (!steps.is_array() || first < 0) return unbundled::Status::Invalid("steps", "internal error");
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const std::string at = "steps[" + std::to_string(static_cast<std::size_t>(first) + k) + "]";
    unbundled::Status s = unbundled::ValidateStep(steps[k], at);
    if (s.ok()) s = meter->Add(steps[k], at);
    if (!s.ok()) return s;
  }
  if (parsed_steps != nullptr) *parsed_steps = std::move(steps);
  return unbundled::Status::OK();
}

// A slice's text itself refused: its error names a place in the slice.
std::string UnreadJson(const unbundled::Status& s) {
  return unbundled::Json{{"ok", false}, {"unread", true}, {"error", s.message()}}.dump(
      -1, ' ', false, unbundled::Json::error_handler_t::replace);
}

// A scenario's steps checked a slice at a time, as ValidateScenario checks
// them all at once: each step's shape, and the session's length and work,
// the meter kept between slices. So a long imported file is checked in
// tasks the page can yield between, before any step of it runs.
class ScenarioCheckBinding {
 public:
  // steps[first], steps[first + 1], ...: {"ok": true} or the first error,
  // named by the step's place in the whole scenario; "unread": true when
  // the slice's text itself is refused (its error names a place in the
  // slice, not in the scenario).
  std::string add(const std::string& text, int first) {
    try {
      bool unread = false;
      const unbundled::Status s = CheckSteps(text, first, &meter_, &unread);
      return unread ? UnreadJson(s) : StatusJson(s);
    } catch (const std::bad_alloc&) {
      return kOutOfMemoryJson;
    } catch (...) {
      return R"({"ok":false,"error":"steps: internal error"})";
    }
  }

  // add, then the slice's steps replayed into `sim` from the text parsed
  // once (an import checks and replays each slice in one call): add's
  // error, or replayRefused's result; null when memory ran out. Nothing of
  // a slice is replayed unless all of it passed the check.
  std::string replay(SimulatorBinding& sim, const std::string& text, int first) {
    try {
      bool unread = false;
      unbundled::Json steps;
      const unbundled::Status s = CheckSteps(text, first, &meter_, &unread, &steps);
      if (unread) return UnreadJson(s);
      if (!s.ok()) return StatusJson(s);
      return sim.ReplayListingRefused(steps);
    } catch (const std::bad_alloc&) {
      OutOfMemory(sim.simulator());
      return "null";
    } catch (...) {
      return R"({"ok":false,"error":"steps: internal error"})";
    }
  }

 private:
  unbundled::SessionMeter meter_;
};

// The page's "Export change stream": debeziumNdjson a part at a time.
class DebeziumExportBinding {
 public:
  std::string begin(const std::string& header_text) {
    return Guarded([&] {
      unbundled::Json header;
      unbundled::Status s = unbundled::ParseUserJson(header_text, "scenario", &header);
      if (s.ok()) s = exporter_.Begin(header);
      return StatusJson(s);
    });
  }

  std::string apply(const std::string& text, int first) {
    return Guarded([&] {
      unbundled::Json steps;
      if (std::string refused; !Check(text, first, &steps, &refused)) return refused;
      for (std::size_t k = 0; k < steps.size(); ++k) exporter_.Replay(static_cast<std::size_t>(first) + k, steps[k]);
      return StatusJson(unbundled::Status::OK());
    });
  }

  std::string take(const std::string& text, int index) {
    return Guarded([&] {
      unbundled::Json steps;
      if (std::string refused; !Check("[" + text + "]", index, &steps, &refused)) return refused;
      if (steps.size() != 1) return std::string(R"({"ok":false,"malformed":true,"error":"step: must be one step"})");
      return exporter_.Apply(static_cast<std::size_t>(index), steps[0]).dump(
          -1, ' ', false, unbundled::Json::error_handler_t::replace);
    });
  }

  double count() const { return static_cast<double>(exporter_.EventCount()); }

  // The lines as text ("" past the end); "\0" when memory ran out.
  std::string lines(double start, double count) const {
    try {
      std::string out;
      if (start < 0 || count < 0) return out;
      exporter_.AppendLines(static_cast<std::size_t>(start), static_cast<std::size_t>(count), &out);
      return out;
    } catch (const std::bad_alloc&) {
      return std::string(1, '\0');
    }
  }

 private:
  // The steps of `text` (steps[first], ...) checked as an import checks
  // them; on a refusal, *refused is its JSON, "malformed": a step the check
  // refuses (not the engine) stops the export.
  bool Check(const std::string& text, int first, unbundled::Json* steps, std::string* refused) {
    bool unread = false;
    const unbundled::Status s = CheckSteps(text, first, &meter_, &unread, steps);
    if (s.ok()) return true;
    *refused = unbundled::Json{{"ok", false}, {"malformed", true}, {"error", s.message()}}.dump(
        -1, ' ', false, unbundled::Json::error_handler_t::replace);
    return false;
  }

  // run()'s JSON, or the module's out-of-memory result, or an internal error.
  template <typename F>
  static std::string Guarded(F run) {
    try {
      return run();
    } catch (const std::bad_alloc&) {
      return kOutOfMemoryJson;
    } catch (...) {
      return R"({"ok":false,"error":"export: internal error"})";
    }
  }

  unbundled::interop::DebeziumExporter exporter_;
  unbundled::SessionMeter meter_;
};

std::string Version() { return UNBUNDLED_VERSION; }

double HeapBytes() { return static_cast<double>(unbundled_wasm::HeapBytesInUse()); }

std::string Ops() { return unbundled::OpsJson().dump(); }

std::string MeteredOps() { return unbundled::Json(unbundled::SessionMeter::MeteredOps()).dump(); }

// A scenario's change events as Debezium envelopes, one a line, as the native
// `unbundled export --to debezium` writes them: {"ok": true, "ndjson": "..."}.
std::string DebeziumNdjson(const std::string& scenario_text) {
  try {
    std::string ndjson;
    const unbundled::Status s = unbundled::interop::ExportDebezium(scenario_text, &ndjson);
    if (!s.ok()) return StatusJson(s);
    return unbundled::Json{{"ok", true}, {"ndjson", ndjson}}.dump(
        -1, ' ', false, unbundled::Json::error_handler_t::replace);
  } catch (const std::bad_alloc&) {
    return kOutOfMemoryJson;
  } catch (...) {
    return R"({"ok":false,"error":"export: internal error"})";
  }
}

}  // namespace

EMSCRIPTEN_BINDINGS(unbundled) {
  emscripten::class_<SimulatorBinding>("Simulator")
      .constructor<>()
      .function("apply", &SimulatorBinding::apply)
      .function("prepare", &SimulatorBinding::prepare)
      .function("advancePrepared", &SimulatorBinding::advancePrepared)
      .function("dropPrepared", &SimulatorBinding::dropPrepared)
      .function("state", &SimulatorBinding::state)
      .function("view", &SimulatorBinding::view)
      .function("replay", &SimulatorBinding::replay)
      .function("replayRefused", &SimulatorBinding::replayRefused)
      .function("applyMany", &SimulatorBinding::applyMany)
      .function("setSnapshotEventsListed", &SimulatorBinding::setSnapshotEventsListed)
      .function("clone", &SimulatorBinding::clone, emscripten::allow_raw_pointers())
      .function("copyFrom", &SimulatorBinding::copyFrom)
      .function("positions", &SimulatorBinding::positions)
      .function("record", &SimulatorBinding::record);
  emscripten::class_<ScenarioCheckBinding>("ScenarioCheck")
      .constructor<>()
      .function("add", &ScenarioCheckBinding::add)
      .function("replay", &ScenarioCheckBinding::replay);
  emscripten::class_<DebeziumExportBinding>("DebeziumExport")
      .constructor<>()
      .function("begin", &DebeziumExportBinding::begin)
      .function("apply", &DebeziumExportBinding::apply)
      .function("take", &DebeziumExportBinding::take)
      .function("count", &DebeziumExportBinding::count)
      .function("lines", &DebeziumExportBinding::lines);
  emscripten::function("validateScenario", &ValidateScenario);
  emscripten::function("ops", &Ops);
  emscripten::function("meteredOps", &MeteredOps);
  emscripten::function("debeziumNdjson", &DebeziumNdjson);
  emscripten::function("limits", &Limits);
  emscripten::function("checkValue", &CheckValue);
  emscripten::function("checkBulk", &CheckBulk);
  emscripten::function("checkJson", &CheckJson);
  emscripten::function("checkSession", &CheckSession);
  emscripten::function("version", &Version);
  emscripten::function("heapBytes", &HeapBytes);
}
