// load_csv: plain and gzip files, comments, header, whitespace, and every error with its
// exact FILE:LINE(:COL) location.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nnworld/core/error.hpp"
#include "nnworld/network/learning.hpp"

namespace nnworld::network {
namespace {

namespace fs = std::filesystem;

class Csv : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nnworld_csv_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string write_gz(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    gzFile f = gzopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())),
              static_cast<int>(text.size()));
    EXPECT_EQ(gzclose(f), Z_OK);
    return path;
  }

  // load_csv must throw nnworld::Error located at exactly `where`, mentioning `what`.
  static void expect_error(const std::string& path, const std::string& where,
                           const std::string& what) {
    try {
      load_csv(path);
      ADD_FAILURE() << "no error for " << path;
    } catch (const Error& e) {
      EXPECT_EQ(e.where, where) << e.message();
      EXPECT_NE(e.message().find(what), std::string::npos) << e.message();
      EXPECT_EQ(e.exit_code, 2);
    }
  }

  fs::path dir_;
};

const char* const kText =
    "# a comment line\n"
    "\n"
    "x0, x1 ,y\n"
    "1, 2.5, -3\n"
    "  # indented comment\n"
    "4e-1,\t+5 , 6.25e2\r\n"
    "\n"
    "-0.125,0,1E3\n";

void expect_table(const Dataset& d) {
  ASSERT_EQ(d.rows.rows(), 3);
  ASSERT_EQ(d.rows.cols(), 3);
  const double expected[3][3] = {{1, 2.5, -3}, {0.4, 5, 625}, {-0.125, 0, 1000}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(d.rows(i, j), expected[i][j]) << i << "," << j;
}

TEST_F(Csv, PlainWithCommentsHeaderAndWhitespace) {
  const std::string path = write("data.csv", kText);
  const Dataset d = load_csv(path);
  expect_table(d);
  EXPECT_EQ(d.source, path);
}

TEST_F(Csv, GzipGivesTheSameTable) {
  const std::string path = write_gz("data.csv.gz", kText);
  // The file really is gzip (magic bytes 1f 8b).
  std::ifstream in(path, std::ios::binary);
  const int b0 = in.get(), b1 = in.get();
  EXPECT_EQ(b0, 0x1f);
  EXPECT_EQ(b1, 0x8b);
  expect_table(load_csv(path));
  // The name does not matter, only the content.
  expect_table(load_csv(write_gz("renamed.csv", kText)));
}

TEST_F(Csv, NoHeaderNoTrailingNewlineAndLongLine) {
  expect_table(load_csv(write("a.csv", "1,2.5,-3\n0.4,5,625\n-0.125,0,1000")));
  // A row longer than any read buffer.
  std::string row;
  for (int k = 0; k < 3000; ++k) {
    if (k > 0) row.push_back(',');
    row.append(std::to_string(k));
  }
  const Dataset d = load_csv(write("long.csv", row + "\n" + row + "\n"));
  ASSERT_EQ(d.rows.cols(), 3000);
  EXPECT_EQ(d.rows.rows(), 2);
  EXPECT_EQ(d.rows(1, 2999), 2999.0);
}

TEST_F(Csv, MissingAndEmptyFiles) {
  const std::string missing = (dir_ / "missing.csv").string();
  expect_error(missing, missing, "cannot open");
  const std::string empty = write("empty.csv", "");
  expect_error(empty, empty, "no data rows");
  const std::string comments = write("comments.csv", "# only\n\n# comments\nx,y\n");
  expect_error(comments, comments, "no data rows");
}

TEST_F(Csv, RowLengthMismatch) {
  const std::string p = write("rows.csv", "# c\n1,2,3,4\n5,6,7,8\n\n# c\n9,10,11,12\n1,2,3\n");
  expect_error(p, p + ":7", "row has 3 values (expected 4 like line 2)");
  const std::string h = write("header.csv", "a,b,c\n1,2\n");
  expect_error(h, h + ":2", "row has 2 values (expected 3 like the header on line 1)");
}

TEST_F(Csv, BadValues) {
  const std::string a = write("alpha.csv", "1,2,3\n4, abc,6\n");
  expect_error(a, a + ":2:4", "value 'abc' is not a number");
  const std::string n = write("nan.csv", "1,2,3\n4,5,nan\n");
  expect_error(n, n + ":2:5", "value 'nan' is not finite");
  const std::string i = write("inf.csv", "-inf,2\n");
  expect_error(i, i + ":1:1", "value '-inf' is not finite");
  const std::string r = write("range.csv", "1,2\n3,1e999\n");
  expect_error(r, r + ":2:3", "out of the range");
  const std::string e = write("empty_field.csv", "1,,3\n");
  expect_error(e, e + ":1:3", "empty value in column 2");
  const std::string t = write("trailing.csv", "1,2x\n");
  expect_error(t, t + ":1:3", "value '2x' is not a number");
  // A second header-like line after data is an error, not a header.
  const std::string h = write("late_header.csv", "1,2\nx,y\n");
  expect_error(h, h + ":2:1", "value 'x' is not a number");
  // Only one header line.
  const std::string hh = write("two_headers.csv", "a,b\nc,d\n1,2\n");
  expect_error(hh, hh + ":2:1", "value 'c' is not a number");
  // Semicolons are not separators.
  const std::string s = write("semicolon.csv", "x;y\n1;2\n");
  expect_error(s, s + ":2:1", "value '1;2' is not a number");
}

TEST_F(Csv, CorruptGzip) {
  const std::string path = write_gz("bad.csv.gz", std::string(kText) + kText + kText);
  // Cut the compressed stream short: zlib reports a truncated stream while reading.
  const auto size = fs::file_size(path);
  fs::resize_file(path, size - 12);
  try {
    load_csv(path);
    ADD_FAILURE() << "no error for a truncated gzip file";
  } catch (const Error& e) {
    EXPECT_EQ(e.where.rfind(path + ":", 0), 0u) << e.message();
    EXPECT_NE(e.message().find("cannot read"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace nnworld::network
