#include "pfopt/data/scenario_cube.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/reference_data.h"

namespace pfopt {
namespace {

using testing::ScenarioCubePath;
using testing::ScenarioReference;
using testing::SourcePath;

const ScenarioCube& DevCube() { return *testing::ScenarioDevCube(); }

// A .npy file written by hand (not by our writer): version 1.0, the given descr and order.
std::string HandMadeNpy(const std::string& descr, bool fortran, const std::string& shape,
                        const std::string& data) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                     ", 'shape': " + shape + ", }";
  while ((10 + dict.size() + 1) % 16 != 0) dict.push_back(' ');
  dict.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(dict.size()));
  out.push_back('\0');
  return out + dict + data;
}

TEST(ScenarioCubeNpy, ReadsTheDeveloperCube) {
  const ScenarioCube& cube = DevCube();
  const auto& ref = ScenarioReference()["cube"];
  ASSERT_EQ(cube.num_periods(), 20);
  ASSERT_EQ(cube.num_trials(), 2000);
  ASSERT_EQ(cube.num_assets(), 6);
  for (int j = 0; j < 6; ++j) {
    EXPECT_EQ(cube(0, 0, j), ref["first_values_flat"][j].get<double>());
    EXPECT_EQ(cube(19, 1999, j), ref["last_values_flat"][j].get<double>());
  }
  double lo = kInfinity, hi = -kInfinity;
  for (double v : cube.values()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, ref["min"].get<double>());
  EXPECT_EQ(hi, ref["max"].get<double>());
  // Period blocks view the same memory.
  EXPECT_EQ(cube.Period(3)(17, 4), cube(3, 17, 4));
}

TEST(ScenarioCubeNpy, ParsesBytesLikeTheFileReader) {
  std::ifstream in(ScenarioCubePath(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto cube = ParseScenarioCubeNpy(bytes);
  ASSERT_TRUE(cube) << cube.error().ToString();
  EXPECT_EQ(cube->values(), DevCube().values());
}

TEST(ScenarioCubeNpy, RoundTripsThroughOurWriterByteForByteWithNumpy) {
  // NumPy writes this file with a 128-byte header; our writer pads to 64 bytes the same way,
  // so the bytes must be identical.
  std::ifstream in(ScenarioCubePath(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(FormatScenarioCubeNpy(DevCube()), bytes);
}

TEST(ScenarioCubeNpy, ReadsFortranOrderFloat32AndBigEndian) {
  // shape (2, 3, 2); value(t, i, j) = 100 t + 10 i + j.
  auto value = [](int t, int i, int j) { return 100.0 * t + 10.0 * i + j; };
  std::string f8_fortran, f4_c, f8_big;
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 3; ++i)
      for (int t = 0; t < 2; ++t) {
        double v = value(t, i, j);
        f8_fortran.append(reinterpret_cast<const char*>(&v), 8);
      }
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 2; ++j) {
        float f = static_cast<float>(value(t, i, j));
        f4_c.append(reinterpret_cast<const char*>(&f), 4);
        double v = value(t, i, j);
        char b[8];
        std::memcpy(b, &v, 8);
        for (int k = 7; k >= 0; --k) f8_big.push_back(b[k]);
      }
  for (const std::string& bytes : {HandMadeNpy("<f8", true, "(2, 3, 2)", f8_fortran),
                                   HandMadeNpy("<f4", false, "(2, 3, 2)", f4_c),
                                   HandMadeNpy(">f8", false, "(2,3,2)", f8_big)}) {
    auto cube = ParseScenarioCubeNpy(bytes);
    ASSERT_TRUE(cube) << cube.error().ToString();
    for (int t = 0; t < 2; ++t)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 2; ++j) EXPECT_EQ((*cube)(t, i, j), value(t, i, j));
  }
}

TEST(ScenarioCubeNpy, RejectsMalformedFilesWithAReason) {
  const std::string eight(8 * 12, '\0');  // 12 zeros
  struct Bad {
    std::string bytes;
    std::string expected;
  };
  const std::vector<Bad> cases = {
      {"not a numpy file at all", "magic"},
      {HandMadeNpy("<i8", false, "(2, 3, 2)", eight), "'<i8'"},
      {HandMadeNpy("<f8", false, "(4, 3)", eight), "2 dimension(s)"},
      {HandMadeNpy("<f8", false, "(2, 3, 2)", eight.substr(0, 40)), "data bytes"},
      {HandMadeNpy("<f8", false, "(2, 3, 2)", eight + "x"), "data bytes"},
      {HandMadeNpy("<f8", false, "(0, 3, 2)", ""), "at least 1 period"},
      {std::string("\x93NUMPY\x09\x00", 8) + "xx", "version 9"},
  };
  for (const Bad& bad : cases) {
    auto cube = ParseScenarioCubeNpy(bad.bytes);
    ASSERT_FALSE(cube) << bad.expected;
    EXPECT_NE(cube.error().message().find(bad.expected), std::string::npos)
        << cube.error().message();
  }
  std::string nan_data = eight;
  const double nan = std::nan("");
  std::memcpy(nan_data.data() + 8 * 7, &nan, 8);  // flat 7 = (1, 0, 1)
  auto cube = ParseScenarioCubeNpy(HandMadeNpy("<f8", false, "(2, 3, 2)", nan_data));
  ASSERT_FALSE(cube);
  EXPECT_EQ(cube.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(cube.error().message().find("(period 1, trial 0, asset 1)"), std::string::npos)
      << cube.error().message();
  auto missing = ReadScenarioCubeNpy("/nonexistent/cube.npy");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kIoError);
}

TEST(ScenarioCubeCsv, ReadsRowsInAnyOrderAndMatchesTheNpy) {
  // tests/data/scenario/cube_head_4x50x6.csv: the first 4 periods and 50 trials of the cube,
  // written by NumPy (repr) with the trials in reverse order.
  auto cube = ReadScenarioCubeCsv(SourcePath("tests/data/scenario/cube_head_4x50x6.csv"));
  ASSERT_TRUE(cube) << cube.error().ToString();
  ASSERT_EQ(cube->num_periods(), 4);
  ASSERT_EQ(cube->num_trials(), 50);
  ASSERT_EQ(cube->num_assets(), 6);
  for (Index t = 0; t < 4; ++t)
    for (Index i = 0; i < 50; ++i)
      for (Index j = 0; j < 6; ++j) ASSERT_EQ((*cube)(t, i, j), DevCube()(t, i, j));
  // By extension.
  auto by_name = ReadScenarioCube(SourcePath("tests/data/scenario/cube_head_4x50x6.csv"));
  ASSERT_TRUE(by_name);
  EXPECT_EQ(by_name->values(), cube->values());
}

TEST(ScenarioCubeCsv, ReadsTheSharedFullCsvBitForBit) {
  // The 7 MB CSV of the shared data set is not copied into the repository; CI checks out the
  // shared folder next to the project (../shared), as documented in tests/data/scenario.
  const std::string path = SourcePath("../shared/data/scenario/cube_20x2000x6_seed7.csv");
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "the shared data folder is not next to the checkout (" << path << ")";
  }
  auto cube = ReadScenarioCube(path);
  ASSERT_TRUE(cube) << cube.error().ToString();
  EXPECT_EQ(cube->num_periods(), 20);
  EXPECT_EQ(cube->values(), DevCube().values());
}

TEST(ScenarioCubeCsv, FormatRoundTripsExactly) {
  auto head = DevCube().FirstPeriods(2);
  ASSERT_TRUE(head);
  auto back = ParseScenarioCubeCsv(FormatScenarioCubeCsv(*head));
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->values(), head->values());
}

TEST(ScenarioCubeCsv, RejectsMalformedRowsNamingTheLine) {
  struct Bad {
    std::string text;
    std::string expected;
  };
  const std::string header = "period,trial,asset,return\n";
  const std::vector<Bad> cases = {
      {"", "empty"},
      {"t,i,j,r\n0,0,0,0.1\n", "header must be"},
      {header, "no data rows"},
      {header + "0,0,0,0.1\n0,0,0,0.2\n",
       "line 3: (period 0, trial 0, asset 0) already appeared "
       "on line 2"},
      {header + "0,0,0,0.1\n0,1,1,0.2\n", "no row for (period 0, trial 0, asset 1)"},
      {header + "0,0,0,abc\n", "line 2: return 'abc' is not a decimal number"},
      {header + "0,0,0,\n", "line 2: return '' is not a decimal number"},
      {header + "0,-1,0,0.1\n", "line 2: trial '-1' is not a non-negative integer index"},
      {header + "0,0,0\n", "expected 4 cells"},
      {header + "0,0,0,0.1,9\n", "expected 4 cells"},
      {header + "0,0,0,inf\n", "line 2: return 'inf' is not finite"},
  };
  for (const Bad& bad : cases) {
    auto cube = ParseScenarioCubeCsv(bad.text);
    ASSERT_FALSE(cube) << bad.expected;
    EXPECT_NE(cube.error().message().find(bad.expected), std::string::npos)
        << cube.error().message();
  }
  auto cube = ParseScenarioCubeCsv(" Period , TRIAL,asset,return\r\n0,0,0,+0.5\r\n\r\n");
  ASSERT_TRUE(cube) << cube.error().ToString();
  EXPECT_EQ((*cube)(0, 0, 0), 0.5);
  auto other = ReadScenarioCube("cube.parquet");
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message().find("neither a .npy nor a .csv"), std::string::npos);
}

TEST(ScenarioCube, CreateChecksSizesAndValues) {
  EXPECT_FALSE(ScenarioCube::Create(1, 2, 2, {0.1, 0.2, 0.3}));
  EXPECT_FALSE(ScenarioCube::Create(0, 2, 2, {}));
  auto inf = ScenarioCube::Create(1, 1, 2, {0.1, kInfinity});
  ASSERT_FALSE(inf);
  EXPECT_NE(inf.error().message().find("(period 0, trial 0, asset 1)"), std::string::npos);
  auto cube = ScenarioCube::Create(2, 1, 2, {0.1, 0.2, 0.3, 0.4});
  ASSERT_TRUE(cube);
  EXPECT_FALSE(cube->FirstPeriods(3));
  auto first = cube->FirstPeriods(1);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->values(), (std::vector<double>{0.1, 0.2}));
}

TEST(TimeUnit, ParsesAllopyNamesAndNumbers) {
  EXPECT_EQ(*ParseTimeUnit("monthly"), 12);
  EXPECT_EQ(*ParseTimeUnit("Month"), 12);
  EXPECT_EQ(*ParseTimeUnit("quarterly"), 4);
  EXPECT_EQ(*ParseTimeUnit("Q"), 4);
  EXPECT_EQ(*ParseTimeUnit("semi-annually"), 2);  // allopy maps this to 6: a bug
  EXPECT_EQ(*ParseTimeUnit("semi_annually"), 2);
  EXPECT_EQ(*ParseTimeUnit("yearly"), 1);
  EXPECT_EQ(*ParseTimeUnit("annual"), 1);
  EXPECT_EQ(*ParseTimeUnit("52"), 52);
  for (const char* bad : {"weekly", "0", "-4", "4.5", ""}) {
    auto unit = ParseTimeUnit(bad);
    ASSERT_FALSE(unit) << bad;
    EXPECT_NE(unit.error().message().find("quarterly (4)"), std::string::npos);
  }
}

}  // namespace
}  // namespace pfopt
