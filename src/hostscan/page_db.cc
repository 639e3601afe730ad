// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/page_db.h"

#include <elf.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hostscan/memory_scanner.h"
#include "hostscan/process.h"

namespace mw::hostscan {
namespace {

constexpr uint64_t kPage = 4096;

bool IsFillerPage(const uint8_t* p) {
  for (size_t i = 1; i < kPage; ++i) {
    if (p[i] != p[0]) return false;
  }
  return true;
}

bool ValidToken(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::string DefaultStateDir() {
  const char* env = std::getenv("MINERWATCH_STATE_DIR");
  return env && *env ? env : "/var/lib/minerwatch";
}
std::string DefaultPageDbPath() { return DefaultStateDir() + "/pagedb.txt"; }

Result<std::vector<uint64_t>> HashElfExecPages(ByteView elf) {
  if (elf.size() < sizeof(Elf64_Ehdr) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0) {
    return Fail(Error::InvalidArgument("not an ELF file"));
  }
  if (elf[EI_CLASS] != ELFCLASS64 || elf[EI_DATA] != ELFDATA2LSB) {
    return Fail(Error::Unsupported("only 64-bit little-endian ELF files are supported"));
  }
  Elf64_Ehdr eh;
  std::memcpy(&eh, elf.data(), sizeof(eh));
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phoff > elf.size() ||
      uint64_t(eh.e_phnum) * sizeof(Elf64_Phdr) > elf.size() - eh.e_phoff) {
    return Fail(Error::Corruption("ELF program headers out of bounds"));
  }
  std::vector<uint64_t> hashes;
  alignas(64) uint8_t page[kPage];
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, elf.data() + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof(ph));
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X) || ph.p_filesz == 0) continue;
    if ((ph.p_offset % kPage) != (ph.p_vaddr % kPage)) continue;  // not mappable as-is
    if (ph.p_offset >= elf.size() || ph.p_filesz > (1ull << 32)) continue;
    uint64_t first = ph.p_offset & ~(kPage - 1);
    uint64_t last = std::min<uint64_t>(ph.p_offset + ph.p_filesz, elf.size());
    for (uint64_t off = first; off < last; off += kPage) {
      // The kernel maps whole file pages: bytes after p_filesz up to the page end are the
      // file's, past EOF they are zero.
      size_t n = size_t(std::min<uint64_t>(kPage, elf.size() - off));
      std::memcpy(page, elf.data() + off, n);
      std::memset(page + n, 0, kPage - n);
      if (IsFillerPage(page)) continue;
      hashes.push_back(PageHash(page));
    }
  }
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  if (hashes.empty()) return Fail(Error::InvalidArgument("ELF file has no executable pages"));
  return hashes;
}

Result<PageDb> PageDb::Load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return PageDb();
  auto text = ReadSmallFile(path, 1ull << 30);
  if (!text) return Fail(Error::IoError(path + ": cannot read"));
  auto db = Parse(*text);
  if (!db) return Fail(Error(db.error().code(), path + ":" + db.error().message()));
  return db;
}

Result<PageDb> PageDb::Parse(std::string_view text) {
  PageDb db;
  size_t line_no = 0;
  bool header = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    auto bad = [&](const char* why) {
      return Fail(Error::Corruption(std::to_string(line_no) + ": " + why));
    };
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      if (line != "minerwatch-pagedb 1") return bad("not a minerwatch page database (version 1)");
      header = true;
      continue;
    }
    std::vector<std::string_view> f;
    for (size_t i = 0; i < line.size() && f.size() < 6;) {
      size_t j = f.size() == 5 ? line.size() : line.find(' ', i);
      if (j == std::string_view::npos) j = line.size();
      f.push_back(line.substr(i, j - i));
      i = j + 1;
    }
    uint32_t index = 0;
    if (f.size() < 2 ||
        std::from_chars(f[1].data(), f[1].data() + f[1].size(), index).ec != std::errc()) {
      return bad("expected a record type and a binary index");
    }
    if (f[0] == "b") {
      if (f.size() != 6 || index != db.binaries_.size() || !ValidToken(f[2]) || f[3].size() != 64) {
        return bad("malformed binary record");
      }
      PageDbBinary b;
      b.family = std::string(f[2]);
      b.sha256 = std::string(f[3]);
      if (std::from_chars(f[4].data(), f[4].data() + f[4].size(), b.pages).ec != std::errc()) {
        return bad("malformed page count");
      }
      b.name = std::string(f[5]);
      db.binaries_.push_back(std::move(b));
    } else if (f[0] == "p") {
      uint64_t h = 0;
      if (f.size() != 3 || index >= db.binaries_.size() || f[2].size() != 16 ||
          std::from_chars(f[2].data(), f[2].data() + 16, h, 16).ec != std::errc()) {
        return bad("malformed page record");
      }
      db.pages_.emplace_back(h, index);
    } else {
      return bad("unknown record type");
    }
  }
  db.Reindex();
  // The stored page counts must agree with the page records (a truncated file would not).
  std::vector<uint32_t> counts(db.binaries_.size());
  for (const auto& [h, i] : db.pages_) ++counts[i];
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] != db.binaries_[i].pages) {
      return Fail(Error::Corruption("binary " + std::to_string(i) + " has " +
                                    std::to_string(counts[i]) + " page records, header says " +
                                    std::to_string(db.binaries_[i].pages) + " (truncated?)"));
    }
  }
  return db;
}

void PageDb::Reindex() {
  std::sort(pages_.begin(), pages_.end());
  pages_.erase(std::unique(pages_.begin(), pages_.end()), pages_.end());
}

Status PageDb::Save(const std::string& path) const {
  std::error_code ec;
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Fail(Error::IoError(tmp + ": cannot write"));
    out << "minerwatch-pagedb 1\n";
    for (size_t i = 0; i < binaries_.size(); ++i) {
      const auto& b = binaries_[i];
      out << "b " << i << ' ' << b.family << ' ' << b.sha256 << ' ' << b.pages << ' ' << b.name
          << '\n';
    }
    char hex[17];
    for (const auto& [h, i] : pages_) {
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
      out << "p " << i << ' ' << hex << '\n';
    }
    if (!out.flush()) return Fail(Error::IoError(tmp + ": write failed"));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Fail(Error::IoError(path + ": " + ec.message()));
  return Ok();
}

void PageDb::AddHashes(PageDbBinary binary, std::span<const uint64_t> distinct_hashes) {
  uint32_t index = uint32_t(binaries_.size());
  for (size_t i = 0; i < binaries_.size(); ++i) {
    if (binaries_[i].sha256 == binary.sha256) {
      // Replace: drop the old pages, keep the index.
      index = uint32_t(i);
      std::erase_if(pages_, [&](const auto& p) { return p.second == index; });
    }
  }
  binary.pages = uint32_t(distinct_hashes.size());
  if (index == binaries_.size())
    binaries_.push_back(std::move(binary));
  else
    binaries_[index] = std::move(binary);
  for (uint64_t h : distinct_hashes) pages_.emplace_back(h, index);
  Reindex();
}

Status PageDb::AddBinary(const std::string& path, const std::string& family) {
  if (!ValidToken(family))
    return Fail(Error::InvalidArgument("family must be one word: '" + family + "'"));
  auto bytes = ReadSmallFile(path, 1ull << 30);
  if (!bytes) return Fail(Error::IoError(path + ": cannot read"));
  auto hashes = HashElfExecPages(AsBytes(*bytes));
  if (!hashes) return Fail(Error(hashes.error().code(), path + ": " + hashes.error().message()));
  auto sha = Sha256File(path);
  if (!sha) return Fail(sha.error());
  PageDbBinary b;
  b.family = family;
  b.sha256 = *sha;
  b.name = std::filesystem::path(path).filename().string();
  for (char& c : b.name) {
    if (c == '\n' || c == '\r') c = '_';
  }
  AddHashes(std::move(b), *hashes);
  return Ok();
}

std::vector<PageDbHit> PageDb::Match(std::span<const uint64_t> page_hashes, double min_percent,
                                     uint32_t min_pages) const {
  std::vector<uint64_t> mine(page_hashes.begin(), page_hashes.end());
  std::sort(mine.begin(), mine.end());
  mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
  std::vector<uint32_t> counts(binaries_.size());
  // Merge-join two sorted lists.
  size_t i = 0;
  for (uint64_t h : mine) {
    while (i < pages_.size() && pages_[i].first < h) ++i;
    for (size_t j = i; j < pages_.size() && pages_[j].first == h; ++j) ++counts[pages_[j].second];
  }
  std::vector<PageDbHit> hits;
  for (size_t b = 0; b < binaries_.size(); ++b) {
    if (binaries_[b].pages == 0) continue;
    double pct = 100.0 * counts[b] / binaries_[b].pages;
    if (counts[b] >= std::min(min_pages, binaries_[b].pages) && pct >= min_percent) {
      hits.push_back({&binaries_[b], counts[b], pct});
    }
  }
  std::sort(hits.begin(), hits.end(),
            [](const PageDbHit& a, const PageDbHit& b) { return a.percent > b.percent; });
  return hits;
}

Status AddBinaryToPageDb(const std::string& path, const std::string& family,
                         const std::string& db_path) {
  auto db = PageDb::Load(db_path);
  if (!db) return Fail(db.error());
  if (auto s = db->AddBinary(path, family); !s) return s;
  return db->Save(db_path);
}

}  // namespace mw::hostscan
