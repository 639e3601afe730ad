// minerwatch — SPDX-License-Identifier: Apache-2.0
// The pread() window of CaptureFileReader against the in-memory reader on arbitrary bytes: the
// first byte picks the window size (tiny windows put records across the window's end), the
// rest is the file, held in a memfd. Both must give the same packets, the same offsets and the
// same end or error; no crash, no read outside the window, an end within bounded steps.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "capture/capture_file_reader.h"

namespace {

int MakeFile(const uint8_t* data, size_t size) {
  static int fd = ::memfd_create("capture_window_fuzz", MFD_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, 0) != 0) std::abort();
  for (size_t done = 0; done < size;) {
    const ssize_t n = ::pwrite(fd, data + done, size - done, off_t(done));
    if (n <= 0) std::abort();
    done += size_t(n);
  }
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mw::capture::CaptureFileReader;
  using mw::capture::RawPacket;
  if (size == 0) return 0;
  const size_t window = 64 + size_t(data[0]) * 16;
  ++data;
  --size;
  const int fd = MakeFile(data, size);
  auto mem = CaptureFileReader::Open(mw::ByteView(data, size));
  auto win = CaptureFileReader::OpenFile(fd, size, window);
  if (bool(mem) != bool(win)) std::abort();
  if (!mem) {
    if (mem.error().message() != win.error().message()) std::abort();
    return 0;
  }
  for (size_t steps = 0; steps <= size; ++steps) {
    RawPacket a, b;
    auto ga = mem->Next(a);
    auto gb = win->Next(b);
    if (bool(ga) != bool(gb)) std::abort();
    if (!ga) {
      if (ga.error().message() != gb.error().message()) std::abort();
      return 0;
    }
    if (*ga != *gb) std::abort();
    if (!*ga) return 0;
    if (a.ts != b.ts || a.link_type != b.link_type || a.wire_len != b.wire_len ||
        a.data.size() != b.data.size() || mem->offset() != win->offset())
      std::abort();
    if (!a.data.empty() && std::memcmp(a.data.data(), b.data.data(), a.data.size()) != 0)
      std::abort();
  }
  std::abort();  // more packets than bytes: the reader did not advance
}
