#include "pfopt/core/error.h"

#include <gtest/gtest.h>

#include "pfopt/core/enum_names.h"
#include "pfopt/data/returns.h"

namespace pfopt {
namespace {

TEST(Error, ToStringNamesCodeMessageAndField) {
  Error error(ErrorCode::kInvalidArgument, "must be > 0, got -1", "risk_aversion");
  EXPECT_EQ(error.ToString(), "INVALID_ARGUMENT: must be > 0, got -1 [risk_aversion]");
}

TEST(Error, FieldPrefixBuildsDottedAndIndexedPaths) {
  Error leaf(ErrorCode::kInvalidArgument, "bad", "min_weight");
  EXPECT_EQ(leaf.WithFieldPrefix("constraints").field(), "constraints.min_weight");
  Error indexed(ErrorCode::kInvalidArgument, "bad", "[3]");
  EXPECT_EQ(indexed.WithFieldPrefix("strategies").field(), "strategies[3]");
  Error bare(ErrorCode::kInvalidArgument, "bad");
  EXPECT_EQ(bare.WithFieldPrefix("objective").field(), "objective");
}

TEST(EnumNames, RoundTripIsCaseAndDashInsensitive) {
  EXPECT_EQ(EnumToString(ReturnKind::kLog), "LOG");
  EXPECT_EQ(*EnumFromString<ReturnKind>("log"), ReturnKind::kLog);
  EXPECT_EQ(*EnumFromString<ReturnKind>("Simple"), ReturnKind::kSimple);
}

TEST(EnumNames, UnknownNameListsAcceptedNames) {
  auto parsed = EnumFromString<ReturnKind>("geometric", "return kind");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(parsed.error().message().find("unknown return kind 'geometric'"), std::string::npos);
  EXPECT_NE(parsed.error().message().find("SIMPLE, LOG"), std::string::npos);
}

}  // namespace
}  // namespace pfopt
