#include "cli/file_log_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace unbundled {

FileLogSink::FileLogSink(std::string path, bool truncate, std::size_t keep)
    : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
  if (fd_ < 0) Panic("open");
  if (!truncate) {
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0) Panic("ftruncate");
    size_ = keep;
  }
  Sync();
}

FileLogSink::~FileLogSink() {
  if (fd_ >= 0) ::close(fd_);
}

void FileLogSink::Panic(const char* what) const {
  std::fprintf(stderr, "unbundled: PANIC: %s %s: %s\n", what, path_.c_str(), std::strerror(errno));
  std::_Exit(3);
}

void FileLogSink::WriteAt(const char* data, std::size_t n, std::size_t offset) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd_, data, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      Panic("write");
    }
    data += w;
    n -= static_cast<std::size_t>(w);
    offset += static_cast<std::size_t>(w);
  }
}

void FileLogSink::Append(const char* data, std::size_t n) {
  WriteAt(data, n, size_);
  size_ += n;
}

void FileLogSink::Sync() {
  if (::fdatasync(fd_) != 0) Panic("fdatasync");
}

void FileLogSink::Replace(const LogBytes& bytes) {
  if (::ftruncate(fd_, 0) != 0) Panic("ftruncate");
  size_ = 0;
  bytes.ForEachPiece([this](std::string_view piece) { Append(piece.data(), piece.size()); });
  Sync();
}

void FileLogSink::Overwrite(std::size_t offset, char byte) {
  WriteAt(&byte, 1, offset);
  Sync();
}

}  // namespace unbundled
