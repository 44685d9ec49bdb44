#include "http/error_mapping.h"

#include <gtest/gtest.h>

namespace cp::http {
namespace {

TEST(ErrorMapping, StatusCodes) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kTooLarge), 413);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnsupportedMediaType), 415);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidParameter), 422);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kOverloaded), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 400);
  EXPECT_EQ(RetryAfterSeconds(StatusCode::kOverloaded), 1);
  EXPECT_EQ(RetryAfterSeconds(StatusCode::kInvalidArgument), 0);
}

TEST(ErrorMapping, FastApiShapes) {
  EXPECT_EQ(ErrorBody(InvalidArgument("x")), nlohmann::json({{"detail", "x"}}));
  const auto v = ErrorBody(InvalidParameter("bad k"), "top_k");
  ASSERT_TRUE(v["detail"].is_array());
  EXPECT_EQ(v["detail"][0]["loc"], nlohmann::json({"query", "top_k"}));
  EXPECT_EQ(v["detail"][0]["msg"], "bad k");
}

}  // namespace
}  // namespace cp::http
