// JSON text from a user (a step, a scenario file, a share link) read under
// the limits of core/limits.h, and the session-work meter.
//
// ParseUserJson reads text with nlohmann's SAX parser, which does not
// recurse, and stops at the first limit it meets: nesting deeper than
// kMaxJsonDepth, an object key longer than kMaxKeyBytes, an integer beyond
// kMaxExactInteger (or one too large for any integer type, which a plain
// parse would silently turn into a double), more than kMaxJsonBytes of
// text. So nothing deep enough to overflow a stack (dump, copy, compare all
// recurse) ever exists in the engine.
#ifndef UNBUNDLED_CORE_USER_JSON_H_
#define UNBUNDLED_CORE_USER_JSON_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/limits.h"
#include "core/status.h"
#include "core/types.h"

namespace unbundled {

// Parses `text` into `*out`. On failure `*out` is unchanged and the error,
// written for a student, names `what` (e.g. "step") and the place:
//   "step: not valid JSON (line 1, column 9: ...)"
//   "value.a.a.a…: nested more than 48 levels deep (the limit for JSON input)"
Status ParseUserJson(const std::string& text, const std::string& what, Json* out);

// The same, handing every element of the top-level field `field` (an array)
// to `each` instead of keeping it (a scenario's steps, read one at a time).
// Errors inside an element name it, e.g. "steps[3].value.a".
Status ParseUserJsonEach(const std::string& text, const std::string& field,
                         const std::function<void(const Json&)>& each, Json* out);

// The session-work meter: counts a session's steps and the rows its
// snapshots, rebuilds, replays, recoveries and checkpoints copy, from the
// steps alone (an upper bound: every row ever written is assumed still
// there), and refuses the step that would pass kMaxSessionSteps or
// kMaxSessionWork. A file or link is measured before any of it runs; the
// simulator charges each step it takes, so any session the page holds can
// be opened again.
class SessionMeter {
 public:
  // Whether `step` fits; `at` names it in the error
  // (e.g. "steps[2001]: ..."). Does not charge it.
  Status Check(const Json& step, const std::string& at) const;
  // Charges a step (one that was taken). For a put or an insert,
  // `value_bytes` is its value's compact JSON's size when the caller has it
  // (the engine wrote it), else the meter writes the value to measure it.
  void Charge(const Json& step, std::optional<std::size_t> value_bytes = std::nullopt);
  // Check, then Charge when it fits.
  Status Add(const Json& step, const std::string& at);
  // For a step that leaves the database down until a recover (a crash, or
  // a write that crashes on the way): whether that recover fits in the
  // work after it. A crash whose recovery would be refused would leave
  // every later step refused. Does not charge it.
  Status CheckRecoveryAfter(const Json& step, const std::string& at) const;
  std::size_t steps() const { return steps_; }
  // The ops whose steps may add to the work (every other op costs none, so
  // steps of only those can pass the limit only by their number).
  static const std::vector<std::string>& MeteredOps();
  std::uint64_t work() const { return work_; }

 private:
  std::uint64_t Cost(const Json& step) const;
  std::size_t steps_ = 0;
  std::uint64_t work_ = 0;
  std::uint64_t rows_ = 0;       // rows written so far (an upper bound on storage)
  std::uint64_t row_bytes_ = 0;  // their bytes
};

// The table of limits as JSON, for the page: {"key_bytes": 256, ...}.
Json LimitsJson();

// 1234567 -> "1,234,567": limits are read by students.
std::string Grouped(std::uint64_t n);

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_USER_JSON_H_
