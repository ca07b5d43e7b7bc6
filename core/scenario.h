// Scenario files: a title, consumers to start with, and steps to run.
//
//   scenario := {"title": string, "description"?: string,
//                "sources"?: [string...],             the book sections it teaches
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

// Checks one step's shape (a known op, a string note); `at` names it in errors.
Status ValidateStep(const Json& step, const std::string& at);

// A scenario read from its text in two passes, so that its steps are never
// all in memory at once (a 100,000-step file is ~10 MB of text, ~100 MB
// parsed): Open() checks the whole file, keeping all but the steps; Run()
// parses it again and hands each step to `on_step` as it is read.
class StreamedScenario {
 public:
  // Parses and validates `text` (which must outlive this object). A parse
  // error or a malformed file is an error naming the place.
  Status Open(const std::string& text);
  // The scenario without its steps: title, description, consumers.
  const Json& header() const { return header_; }
  std::size_t step_count() const { return steps_; }
  // After a failed Open: whether the text was not JSON at all.
  bool bad_json() const { return bad_json_; }
  // Calls on_step(index, step) for every step, in order.
  Status Run(const std::function<void(std::size_t, const Json&)>& on_step) const;

 private:
  const std::string* text_ = nullptr;
  Json header_;
  std::size_t steps_ = 0;
  bool bad_json_ = false;
};

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
