// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// Control-plane results: mw::Result<T> is tl::expected<T, mw::Error>. Aliased here so moving to
// C++23 std::expected is a one-line change. Data-plane code never throws; it returns these or
// ParseResult (see parse/app_parser.h).
#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace mw {

class Error {
 public:
  enum class Code { kInvalidArgument, kNotFound, kCorruption, kIoError, kUnsupported, kInternal };

  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Error InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Error NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Error Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Error IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Error Unsupported(std::string m) { return {Code::kUnsupported, std::move(m)}; }
  static Error Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_;
  std::string message_;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> Fail(Error e) { return tl::unexpected<Error>(std::move(e)); }
inline Status Ok() { return {}; }

}  // namespace mw

// Early return on error, for functions that return mw::Result<T> or mw::Status:
//
//   MW_TRY(db.Exec("BEGIN"));           // a Status (or any Result): on error, return it
//   MW_ASSIGN(stmt, db.Prepare(sql));   // declares "stmt" = the value of a Result<T>, moved out;
//                                       // on error, returns the error
//
// The error is passed on unchanged (Fail(e.error())), so the enclosing function's Result type
// may differ from the expression's. MW_ASSIGN declares "lhs" and a hidden "lhs_result_" in the
// current scope (so a name is used once per scope) and expands to several statements: under an
// if or a loop it needs braces. Both evaluate "expr" exactly once.
#define MW_TRY(expr)                                                \
  do {                                                              \
    auto mw_try_status_ = (expr);                                   \
    if (!mw_try_status_) return ::mw::Fail(mw_try_status_.error()); \
  } while (0)

#define MW_ASSIGN(lhs, expr)                                    \
  auto lhs##_result_ = (expr);                                  \
  if (!lhs##_result_) return ::mw::Fail(lhs##_result_.error()); \
  auto lhs = std::move(*lhs##_result_)
