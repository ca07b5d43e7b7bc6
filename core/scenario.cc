#include "core/scenario.h"

#include "core/ops.h"

namespace unbundled {

Status ValidateScenario(const Json& scenario) {
  if (!scenario.is_object()) return Status::Invalid("scenario", "must be a JSON object");
  for (const auto& [name, value] : scenario.items()) {
    if (name != "title" && name != "description" && name != "sources" && name != "consumers" &&
        name != "steps") {
      return Status::Invalid(name,
                             "unknown field (expected title, description, sources, consumers, steps)");
    }
  }
  auto title = scenario.find("title");
  if (title == scenario.end() || !title->is_string() || title->get<std::string>().empty()) {
    return Status::Invalid("title", "must be a non-empty string");
  }
  auto description = scenario.find("description");
  if (description != scenario.end() && !description->is_string()) {
    return Status::Invalid("description", "must be a string");
  }
  // The book sections a lesson teaches, as text the page shows.
  auto sources = scenario.find("sources");
  if (sources != scenario.end()) {
    if (!sources->is_array()) return Status::Invalid("sources", "must be an array of strings");
    for (std::size_t i = 0; i < sources->size(); ++i) {
      const Json& one = (*sources)[i];
      if (!one.is_string() || one.get<std::string>().empty()) {
        return Status::Invalid("sources[" + std::to_string(i) + "]", "must be a non-empty string");
      }
    }
  }
  auto consumers = scenario.find("consumers");
  if (consumers != scenario.end()) {
    if (!consumers->is_array()) return Status::Invalid("consumers", "must be an array");
    for (std::size_t i = 0; i < consumers->size(); ++i) {
      ConsumerSpec spec;
      Status s = ParseConsumerSpec((*consumers)[i], "consumers[" + std::to_string(i) + "]", &spec);
      if (!s.ok()) return s;
    }
  }
  auto steps = scenario.find("steps");
  if (steps == scenario.end() || !steps->is_array()) {
    return Status::Invalid("steps", "must be an array of steps");
  }
  for (std::size_t i = 0; i < steps->size(); ++i) {
    Status s = ValidateStep((*steps)[i], "steps[" + std::to_string(i) + "]");
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status ValidateStep(const Json& step, const std::string& at) {
  if (!step.is_object()) return Status::Invalid(at, "must be an object like {\"op\": ...}");
  auto op = step.find("op");
  if (op == step.end() || !op->is_string()) return Status::Invalid(at + ".op", "must be a string");
  if (FindOp(op->get<std::string>()) == nullptr) {
    return Status::Invalid(at + ".op", "unknown op '" + op->get<std::string>() + "'");
  }
  auto note = step.find("note");
  if (note != step.end() && !note->is_string()) {
    return Status::Invalid(at + ".note", "must be a string");
  }
  auto refused = step.find("refused");
  if (refused != step.end() && !refused->is_string()) {
    return Status::Invalid(at + ".refused", "must be a string (text the step's error must contain)");
  }
  return Status::OK();
}

namespace {

// Parses `text`, handing every element of the top-level "steps" array to
// `each` and leaving it out of the result.
Json ParseWithoutSteps(const std::string& text, const std::function<void(const Json&)>& each) {
  std::string top_key;
  return Json::parse(text, [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth == 1 && event == Json::parse_event_t::key) top_key = parsed.get<std::string>();
    const bool element = depth == 2 && (event == Json::parse_event_t::object_end ||
                                        event == Json::parse_event_t::array_end ||
                                        event == Json::parse_event_t::value);
    if (element && top_key == "steps") {
      each(parsed);
      return false;  // not kept
    }
    return true;
  });
}

}  // namespace

Status StreamedScenario::Open(const std::string& text) {
  Status first = Status::OK();
  std::size_t n = 0;
  try {
    header_ = ParseWithoutSteps(text, [&](const Json& step) {
      if (first.ok()) first = ValidateStep(step, "steps[" + std::to_string(n) + "]");
      ++n;
    });
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for 1e999
    bad_json_ = true;
    return Status::Invalid("scenario", std::string("not valid JSON: ") + e.what());
  }
  // The rest of the file is checked as a whole (the steps are an empty array
  // now, whose elements were checked one by one above).
  Status s = ValidateScenario(header_);
  if (!s.ok()) return s;
  if (!first.ok()) return first;
  text_ = &text;
  steps_ = n;
  header_.erase("steps");
  return Status::OK();
}

Status StreamedScenario::Run(const std::function<void(std::size_t, const Json&)>& on_step) const {
  std::size_t i = 0;
  ParseWithoutSteps(*text_, [&](const Json& step) { on_step(i++, step); });
  return Status::OK();
}

Status RunScenario(const Json& scenario, Simulator* sim, ScenarioRun* run,
                   const std::function<void(std::size_t, const Json&)>& on_step) {
  Status s = ValidateScenario(scenario);
  if (!s.ok()) return s;
  if (scenario.contains("consumers")) {
    const Json& consumers = scenario["consumers"];
    for (std::size_t i = 0; i < consumers.size(); ++i) {
      Json result = sim->Apply(Json{{"op", "add_consumer"}, {"consumer", consumers[i]},
                                    {"mode", "replay"}});
      if (!result["ok"].get<bool>()) {
        return Status::Invalid("consumers[" + std::to_string(i) + "]",
                               result["error"].get<std::string>());
      }
    }
  }
  const Json& steps = scenario["steps"];
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Json result = sim->Apply(steps[i]);
    if (steps[i]["op"] == "expect" && !result["ok"].get<bool>()) {
      run->failed_expectations.push_back(i);
    }
    if (on_step) on_step(i, result);
    run->results.push_back(std::move(result));
  }
  return Status::OK();
}

}  // namespace unbundled
