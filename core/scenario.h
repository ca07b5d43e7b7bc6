// Scenario files: a title, consumers to start with, and steps to run.
//
//   scenario := {"title": string, "description"?: string,
//                "consumers"?: [consumer spec...],   added in replay mode
//                "steps": [step...]}                 each step may carry "note"
//
// Lessons are scenarios whose steps carry notes and "expect" checks.
#ifndef UNBUNDLED_CORE_SCENARIO_H_
#define UNBUNDLED_CORE_SCENARIO_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/simulator.h"
#include "core/status.h"
#include "core/types.h"

namespace unbundled {

struct ScenarioRun {
  Json results = Json::array();  // one result per step
  // Indexes of "expect" steps that did not hold (or were themselves invalid).
  std::vector<std::size_t> failed_expectations;
};

// Checks the file's shape: fields, types and that each step has a known op.
// Errors name the place, e.g. "steps[3].op: unknown op 'putt' ...".
Status ValidateScenario(const Json& scenario);

// Validates, then runs the scenario on `sim` (normally a fresh one). Steps that
// fail are recorded in the results and do not stop the run: scenarios may show
// bad input on purpose. A consumer spec that cannot be added is a malformed
// file and is reported as an error.
// `on_step`, when set, is called with each step's index and result as soon as
// the step is done (for programs that report progress as they go).
Status RunScenario(const Json& scenario, Simulator* sim, ScenarioRun* run,
                   const std::function<void(std::size_t, const Json&)>& on_step = nullptr);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_SCENARIO_H_
