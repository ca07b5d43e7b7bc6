// Status: the result of an engine operation that can fail.
//
// Errors are values: the core never lets an exception escape for bad input.
// A non-ok Status names the offending field and says what is wrong with it,
// e.g. "key: must be at most 256 bytes (got 300)".
#ifndef UNBUNDLED_CORE_STATUS_H_
#define UNBUNDLED_CORE_STATUS_H_

#include <string>
#include <utility>

namespace unbundled {

class Status {
 public:
  Status() = default;  // ok

  static Status OK() { return Status(); }
  // `field` is the name (or dotted path) of the input that is wrong.
  static Status Invalid(const std::string& field, const std::string& what) {
    return Status(field + ": " + what);
  }

  bool ok() const { return message_.empty(); }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::string message_;  // empty when ok
};

}  // namespace unbundled

#endif  // UNBUNDLED_CORE_STATUS_H_
