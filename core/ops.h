// The table of ops: each op once, with its fields, whether it needs the
// database up, its handler and its one-line description. The scenario
// validator, the simulator's dispatcher, `unbundled ops` (which writes the
// README's op reference) and the page (through the wasm module's ops())
// all read this one table; tests fail if any of them disagrees with it.
#ifndef UNBUNDLED_CORE_OPS_H_
#define UNBUNDLED_CORE_OPS_H_

#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace unbundled {

class Simulator;

struct OpField {
  std::string name;
  bool required = false;
};

struct OpSpec {
  std::string name;
  std::vector<OpField> fields;  // besides "op" and "note"
  // Refused with "database is down: recover first" while the database is down.
  bool needs_database = false;
  // query only: fields not listed are the derived system's query fields.
  bool passes_other_fields = false;
  Status (Simulator::*handler)(const Json& step, Json* result) = nullptr;
  std::string summary;  // what it does, in one line
  std::string result;   // what its result holds besides "ok": true
};

// Every op, in the order the README lists them.
const std::vector<OpSpec>& Ops();
// The op of that name, or nullptr.
const OpSpec* FindOp(const std::string& name);
// "put, delete, ..." for error messages.
std::string OpNames();
// The table as JSON: [{"name", "fields": [{"name", "required"}], "needs_database", "summary", "result"}].
Json OpsJson();
// The table as the README's Markdown op reference.
std::string OpsMarkdown();

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_OPS_H_
