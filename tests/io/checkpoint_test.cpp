// Checkpoint files: doubles come back with the same bits (signed zero, subnormals, NaN payloads,
// infinities), integers exactly; a missing key or a file that is not a checkpoint is an error
// naming it; saving replaces the previous checkpoint whole and leaves no temporary file.
#include "nnworld/io/checkpoint.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "nnworld/core/error.hpp"

namespace {

namespace fs = std::filesystem;
using nnworld::io::CheckpointState;

fs::path temp_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("nnworld_ckpt_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(Checkpoint, RoundTripKeepsEveryBit) {
  const fs::path d = temp_dir("bits");
  std::vector<double> v = {0.1,
                           -0.0,
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::infinity(),
                           std::nan("0x5a5a"),
                           1.0 / 3.0,
                           -1e308};
  CheckpointState st;
  st.put("q", v);
  st.put("step", std::int64_t{123456789012});
  st.put_scalar("time", 0.7000000000000001);
  st.put("empty", std::vector<double>{});
  nnworld::io::save_checkpoint(d / "c.cbor", st);
  const CheckpointState back = nnworld::io::load_checkpoint(d / "c.cbor");
  const std::vector<double> w = back.doubles("q");
  ASSERT_EQ(w.size(), v.size());
  EXPECT_EQ(std::memcmp(w.data(), v.data(), v.size() * sizeof(double)), 0);
  EXPECT_EQ(back.integer("step"), 123456789012);
  EXPECT_EQ(back.scalar("time"), 0.7000000000000001);
  EXPECT_TRUE(back.doubles("empty").empty());
  EXPECT_FALSE(fs::exists(d / "c.cbor.tmp"));
  fs::remove_all(d);
}

TEST(Checkpoint, MissingKeysAndForeignFilesAreErrors) {
  const fs::path d = temp_dir("errors");
  CheckpointState st;
  st.put("q", std::vector<double>{1.0, 2.0});
  nnworld::io::save_checkpoint(d / "c.cbor", st);
  const CheckpointState back = nnworld::io::load_checkpoint(d / "c.cbor");
  EXPECT_THROW((void)back.doubles("p"), nnworld::Error);
  EXPECT_THROW((void)back.integer("q"), nnworld::Error);  // an array, not an integer
  EXPECT_THROW((void)back.scalar("q"), nnworld::Error);   // two values
  std::ofstream(d / "junk.cbor") << "this is not CBOR";
  try {
    (void)nnworld::io::load_checkpoint(d / "junk.cbor");
    ADD_FAILURE() << "no error for a foreign file";
  } catch (const nnworld::Error& e) {
    EXPECT_NE(e.message().find("junk.cbor"), std::string::npos) << e.message();
    EXPECT_EQ(e.exit_code, 2);
  }
  EXPECT_THROW((void)nnworld::io::load_checkpoint(d / "absent.cbor"), nnworld::Error);
  fs::remove_all(d);
}

TEST(Checkpoint, SavingReplacesThePreviousOne) {
  const fs::path d = temp_dir("replace");
  CheckpointState a;
  a.put("record", std::int64_t{1});
  a.put("q", std::vector<double>(1000, 1.0));
  nnworld::io::save_checkpoint(d / "c.cbor", a);
  CheckpointState b;
  b.put("record", std::int64_t{2});
  nnworld::io::save_checkpoint(d / "c.cbor", b);
  const CheckpointState back = nnworld::io::load_checkpoint(d / "c.cbor");
  EXPECT_EQ(back.integer("record"), 2);
  EXPECT_FALSE(back.has("q"));
  fs::remove_all(d);
}

// A damaged checkpoint is refused (exit 2) rather than resumed with different data: a flipped
// byte inside the state fails the checksum, a cut file fails to parse.
TEST(Checkpoint, DamagedOrTruncatedIsRefused) {
  const fs::path d = temp_dir("damaged");
  CheckpointState st;
  st.put("record", std::int64_t{7});
  st.put("q", std::vector<double>(64, 0.25));
  nnworld::io::save_checkpoint(d / "c.cbor", st);
  std::string bytes;
  {
    std::ifstream in(d / "c.cbor", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(bytes.size(), 512u);  // the 64 doubles, stored as raw bytes
  const auto expect_refused = [&](const std::string& content, const char* why) {
    std::ofstream(d / "bad.cbor", std::ios::binary | std::ios::trunc) << content;
    try {
      (void)nnworld::io::load_checkpoint(d / "bad.cbor");
      ADD_FAILURE() << "accepted: " << why;
    } catch (const nnworld::Error& e) {
      EXPECT_EQ(e.exit_code, 2) << why;
      EXPECT_NE(e.message().find("bad.cbor"), std::string::npos) << e.message();
    }
  };
  std::string flipped = bytes;
  flipped[bytes.size() - 40] = static_cast<char>(flipped[bytes.size() - 40] ^ 0x01);  // in q
  expect_refused(flipped, "a flipped bit");
  expect_refused(bytes.substr(0, bytes.size() / 2), "half the file");
  expect_refused(bytes.substr(0, bytes.size() - 1), "one byte short");
  fs::remove_all(d);
}

}  // namespace
