// Simulator: the one JSON-in/JSON-out entry point over Engine, shared by the
// native program and the WebAssembly module.
//
//   Apply({"op": "put", "key": "u1", "value": {...}})  -> {"ok": true, "event": {...}}
//   Apply({"op": "flush"})                             -> {"ok": true, "delivered": 3}
//   Apply(<anything wrong>)                            -> {"ok": false, "error": "key: ..."}
//
// The step table is in README.md. A step that fails changes nothing. This
// layer only translates JSON to Engine calls and back; Engine is the model.
#ifndef UNBUNDLED_CORE_SIMULATOR_H_
#define UNBUNDLED_CORE_SIMULATOR_H_

#include <string>

#include "core/engine.h"
#include "core/status.h"
#include "core/types.h"

namespace unbundled {

class Simulator {
 public:
  Simulator() = default;
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Applies one step. Never throws.
  Json Apply(const Json& step);
  // Same, from and to JSON text. Text that is not JSON is an error result.
  std::string Apply(const std::string& step_json);

  // The whole state: head, wal, storage, events and consumers, sorted.
  Json State() const;
  std::string StateJson() const { return State().dump(); }

  // A small part of the state, O(number of consumers):
  // {"head": 7, "positions": {"name": 5, ...}}. Lets a page track positions
  // after every step without serializing the whole history each time.
  Json Positions() const;

  const Engine& engine() const { return engine_; }

 private:
  Status Dispatch(const Json& step, Json* result);
  Status Expect(const Json& step) const;

  Engine engine_;
};

// Reads a consumer spec {"name", "type", ...config}. Errors are named under
// `field` (e.g. "consumer.type").
Status ParseConsumerSpec(const Json& spec, const std::string& field, ConsumerSpec* out);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_SIMULATOR_H_
