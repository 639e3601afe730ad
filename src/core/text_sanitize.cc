// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "core/text_sanitize.h"

#include "mw/core/utf8.h"

namespace mw {

std::string SanitizeText(std::string_view in, bool keep_newlines) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c < 0x20 || c == 0x7F) {
      out += (keep_newlines && c == '\n') ? '\n' : ' ';
      ++i;
      continue;
    }
    size_t n = Utf8SeqLen(in.substr(i));
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(in.data() + i, n);
      i += n;
    }
  }
  return out;
}

}  // namespace mw
