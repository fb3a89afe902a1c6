#pragma once
// Exact error messages in tests. Assert through these, so that when a library's wording changes the expected text
// changes in one line and a test that throws nothing, or the wrong type, says so.

#include <gtest/gtest.h>

#include <string>

namespace memsoak::testing {

// What message_of returns when the call throws nothing.
inline const std::string kNoError = "no error";

// What `call` throws as `ErrorType`, or kNoError when it returns normally. Any other exception propagates, and
// GoogleTest reports it with its type.
template <typename ErrorType, typename Call>
std::string message_of(Call&& call) {
    try {
        call();
    } catch (const ErrorType& e) {
        return e.what();
    }
    return kNoError;
}

// Expects `call` to throw `ErrorType` with exactly `message`.
template <typename ErrorType, typename Call>
void expect_error(Call&& call, const std::string& message) {
    EXPECT_EQ(message, message_of<ErrorType>(call));
}

}  // namespace memsoak::testing
