// FileLogSink: mirrors the engine's log file onto a real file, calling
// fdatasync where the engine syncs. An I/O error is fatal: the program
// prints it and exits with status 3, as PostgreSQL PANICs when fsync fails,
// because after a failed sync nobody knows what is on disk.
#ifndef UNBUNDLED_CLI_FILE_LOG_SINK_H_
#define UNBUNDLED_CLI_FILE_LOG_SINK_H_

#include <string>
#include <string_view>

#include "core/log_file.h"

namespace unbundled {

class FileLogSink final : public LogSink {
 public:
  // Opens the file at `path`, creating it if needed. With `truncate` it is
  // emptied; without, it is cut to `keep` bytes (a reopened log whose torn
  // tail recovery dropped), and synced.
  FileLogSink(std::string path, bool truncate, std::size_t keep = 0);
  ~FileLogSink() override;
  FileLogSink(const FileLogSink&) = delete;
  FileLogSink& operator=(const FileLogSink&) = delete;

  void Append(const char* data, std::size_t n) override;
  void Sync() override;
  void Replace(const LogBytes& bytes) override;
  void Overwrite(std::size_t offset, char byte) override;

 private:
  [[noreturn]] void Panic(const char* what) const;
  void WriteAt(const char* data, std::size_t n, std::size_t offset);

  std::string path_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

}  // namespace unbundled

#endif  // UNBUNDLED_CLI_FILE_LOG_SINK_H_
