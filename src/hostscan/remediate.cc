// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "hostscan/remediate.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hostscan/process.h"

namespace mw::hostscan {
namespace {

namespace fs = std::filesystem;

int64_t NowSec() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Audit(const RemediateOptions& o, const std::string& finding_id, const RemediationAction& a) {
  std::error_code ec;
  fs::create_directories(o.state_dir, ec);
  std::ofstream out(o.state_dir + "/audit.jsonl", std::ios::app);
  out << nlohmann::json{{"time", NowSec()},   {"finding", finding_id}, {"action", a.action},
                        {"target", a.target}, {"result", a.result},    {"dry_run", !o.apply}}
             .dump()
      << '\n';
}

// Descendants of "pid" (children first found by ppid), including pid.
std::vector<pid_t> ProcessTree(pid_t pid, const std::string& root) {
  std::vector<std::pair<pid_t, pid_t>> parent;  // (pid, ppid)
  for (pid_t p : ListPids(root)) {
    auto text = ReadSmallFile(JoinRoot(root, "/proc/" + std::to_string(p) + "/stat"));
    if (!text) continue;
    if (auto st = ParseStat(*text)) parent.emplace_back(p, st->ppid);
  }
  std::vector<pid_t> tree = {pid};
  for (size_t i = 0; i < tree.size() && tree.size() < 4096; ++i) {
    for (const auto& [p, pp] : parent) {
      if (pp == tree[i]) tree.push_back(p);
    }
  }
  return tree;
}

}  // namespace

Result<std::vector<nlohmann::json>> LoadStateFindings(const std::string& path) {
  auto text = ReadSmallFile(path, 256u << 20);
  if (!text) return Fail(Error::NotFound(path + ": no host findings recorded (run `host scan`)"));
  std::vector<nlohmann::json> out;
  std::string_view t = *text;
  while (!t.empty()) {
    size_t nl = t.find('\n');
    std::string_view line = t.substr(0, nl);
    t.remove_prefix(nl == std::string_view::npos ? t.size() : nl + 1);
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;  // a torn last line from a crash
    out.push_back(std::move(j));
  }
  return out;
}

Status AppendStateFindings(const std::string& path, const std::vector<Finding>& findings) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::app);
  if (!out) return Fail(Error::IoError(path + ": cannot write"));
  for (const Finding& f : findings) out << f.ToJson().dump() << '\n';
  if (!out.flush()) return Fail(Error::IoError(path + ": write failed"));
  return Ok();
}

Result<std::vector<RemediationAction>> Remediate(const nlohmann::json& finding,
                                                 const RemediateOptions& o) {
  std::vector<RemediationAction> actions;
  std::string id = finding.value("id", "");
  const nlohmann::json ev = finding.value("evidence", nlohmann::json::object());
  auto record = [&](RemediationAction a) {
    Audit(o, id, a);
    actions.push_back(std::move(a));
  };
  bool live = o.root.empty() || o.root == "/";

  // 1. Processes: verify identity, stop the tree (SIGSTOP all first so nothing respawns
  //    siblings, then SIGKILL), quarantine the executable.
  if (ev.contains("processes") && ev["processes"].is_array()) {
    for (const auto& pj : ev["processes"]) {
      pid_t pid = pj.value("pid", 0);
      std::string target = "pid " + std::to_string(pid) + " " + pj.value("exe", "");
      if (!live) {
        record({"stop-process", target, "refused: processes can only be stopped on the live root"});
        continue;
      }
      ProcReader reader(ReadOptions{.root = "/", .hash_exe = false, .read_sockets = false});
      auto cur = reader.Read(pid);
      if (pid <= 1 || pid == getpid() || pid == getppid()) {
        record({"refuse", target, "refused: PID 1, minerwatch itself or its parent"});
        continue;
      }
      if (!cur) {
        record({"stop-process", target, "skipped: process no longer exists"});
      } else if (cur->kernel_thread) {
        record({"refuse", target, "refused: kernel thread"});
        continue;
      } else if (pj.contains("start_ticks") &&
                 cur->start_time_ticks != pj.value("start_ticks", uint64_t(0))) {
        record({"stop-process", target, "refused: pid was reused by another process"});
        continue;
      } else {
        // Keep the executable before killing: a deleted file only lives in /proc/PID/exe.
        std::string sha = pj.value("exe_sha256", "");
        if (!sha.empty()) {
          std::string qdir = o.state_dir + "/quarantine/" + sha;
          RemediationAction q{"quarantine", pj.value("exe", "") + " -> " + qdir, "planned"};
          if (o.apply) {
            std::error_code ec;
            fs::create_directories(qdir, ec);
            std::string exe = pj.value("exe", "");
            bool deleted = pj.value("exe_deleted", false) || pj.value("exe_memfd", false);
            struct stat st {};
            bool on_disk = !deleted && stat(exe.c_str(), &st) == 0;
            nlohmann::json meta = {{"original_path", exe},
                                   {"sha256", sha},
                                   {"finding", id},
                                   {"time", NowSec()},
                                   {"mode", on_disk ? int(st.st_mode & 07777) : 0755},
                                   {"uid", on_disk ? int(st.st_uid) : 0},
                                   {"gid", on_disk ? int(st.st_gid) : 0},
                                   {"was_deleted", !on_disk}};
            std::string dst = qdir + "/binary";
            if (on_disk) {
              fs::rename(exe, dst, ec);
              if (ec) {  // across file systems: copy then remove
                ec.clear();
                fs::copy_file(exe, dst, fs::copy_options::overwrite_existing, ec);
                if (!ec) fs::remove(exe, ec);
              }
            } else {
              fs::copy_file("/proc/" + std::to_string(pid) + "/exe", dst,
                            fs::copy_options::overwrite_existing, ec);
            }
            if (!ec) chmod(dst.c_str(), 0);
            std::ofstream(qdir + "/metadata.json") << meta.dump(2) << '\n';
            q.result = ec ? "failed: " + ec.message() : "done";
          }
          record(q);
        }
        std::vector<pid_t> tree = ProcessTree(pid, "/");
        std::string pids;
        for (pid_t p : tree) pids += (pids.empty() ? "" : ",") + std::to_string(p);
        RemediationAction a{"stop-process", target + " (tree: " + pids + ")", "planned"};
        if (o.apply) {
          for (pid_t p : tree) {
            if (p > 1 && p != getpid()) kill(p, SIGSTOP);
          }
          for (pid_t p : tree) {
            if (p > 1 && p != getpid()) kill(p, SIGKILL);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          auto stat_text = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
          auto st = stat_text ? ParseStat(*stat_text) : std::nullopt;
          bool alive = st && st->state != 'Z' && st->state != 'X';
          a.result = alive ? "failed: still running" : "done";
        }
        record(a);
      }
    }
  }

  // 2. Persistence: back the file up, then comment the line out (ld.so.preload has no comment
  //    syntax, so the line is removed there).
  if (ev.contains("persistence") && ev["persistence"].is_object()) {
    const auto& pj = ev["persistence"];
    std::string file = pj.value("file", "");
    uint64_t line_no = pj.value("line", uint64_t(0));
    std::string expect = pj.value("text", "");
    std::string real = JoinRoot(o.root, file);
    RemediationAction a{"disable-persistence", file + ":" + std::to_string(line_no), "planned"};
    if (line_no == 0) {
      a.result = "refused: whole-file finding (replaced binary): reinstall the package instead";
    } else if (o.apply) {
      auto text = ReadSmallFile(real, 16u << 20);
      if (!text) {
        a.result = "failed: cannot read " + real;
      } else {
        std::vector<std::string> lines;
        size_t start = 0;
        while (start <= text->size()) {
          size_t nl = text->find('\n', start);
          if (nl == std::string::npos) {
            if (start < text->size()) lines.push_back(text->substr(start));
            break;
          }
          lines.push_back(text->substr(start, nl - start));
          start = nl + 1;
        }
        std::string cur = line_no <= lines.size() ? lines[line_no - 1] : "";
        auto trim = [](std::string s) {
          s.erase(0, s.find_first_not_of(" \t"));
          s.erase(s.find_last_not_of(" \t\r") + 1);
          return s;
        };
        if (line_no > lines.size() || trim(cur).substr(0, 512) != expect) {
          a.result = "refused: the line changed since the scan";
        } else {
          std::error_code ec;
          std::string bdir = o.state_dir + "/backup";
          fs::create_directories(bdir, ec);
          std::string backup =
              bdir + "/" + std::to_string(NowSec()) + "-" + fs::path(file).filename().string();
          fs::copy_file(real, backup, fs::copy_options::overwrite_existing, ec);
          if (ec) {
            a.result = "failed: backup: " + ec.message();
          } else {
            bool preload = file.ends_with("ld.so.preload");
            std::string out;
            for (size_t i = 0; i < lines.size(); ++i) {
              if (i + 1 == line_no) {
                if (preload) continue;
                out += "# disabled by minerwatch (finding " + id + "): " + lines[i] + "\n";
              } else {
                out += lines[i] + "\n";
              }
            }
            std::string tmp = real + ".minerwatch.tmp";
            std::ofstream(tmp, std::ios::trunc) << out;
            struct stat st {};
            if (stat(real.c_str(), &st) == 0) chmod(tmp.c_str(), st.st_mode & 07777);
            fs::rename(tmp, real, ec);
            a.result = ec ? "failed: " + ec.message() : "done (backup " + backup + ")";
          }
        }
      }
    }
    record(a);
  }
  if (actions.empty()) record({"none", id, "nothing in this finding to act on"});
  return actions;
}

Status RestoreQuarantined(const std::string& dir) {
  auto text = ReadSmallFile(dir + "/metadata.json");
  if (!text) return Fail(Error::NotFound(dir + "/metadata.json: not a quarantine entry"));
  auto meta = nlohmann::json::parse(*text, nullptr, false);
  if (meta.is_discarded()) return Fail(Error::Corruption(dir + "/metadata.json: invalid JSON"));
  std::string dst = meta.value("original_path", "");
  if (dst.empty() || dst.starts_with("/memfd:")) {
    return Fail(Error::InvalidArgument("no original path to restore to"));
  }
  std::error_code ec;
  if (fs::exists(dst, ec)) return Fail(Error::InvalidArgument(dst + " exists; not overwriting"));
  fs::rename(dir + "/binary", dst, ec);
  if (ec) return Fail(Error::IoError(ec.message()));
  chmod(dst.c_str(), mode_t(meta.value("mode", 0755)));
  if (chown(dst.c_str(), uid_t(meta.value("uid", 0)), gid_t(meta.value("gid", 0))) != 0) {
    // Ownership restore is best effort (not root); the file itself is back.
  }
  return Ok();
}

}  // namespace mw::hostscan
