// io::Progress: plain lines every ~10 %, the terminal bar, silence.
#include "nnworld/io/progress.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

using nnworld::io::Progress;

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[512];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(Progress, PlainLinesAtEachTenthAndAFinalLine) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p("work", 1000, Progress::Mode::lines, f, /*delay=*/0.0);
    for (int i = 1; i <= 1000; ++i) p.update(i);
    p.finish();
  }
  const std::string s = contents(f);
  // The first update draws (0 %), then one line per decile 10 %..90 %, then the final line.
  EXPECT_EQ(count_lines(s), 11) << s;
  EXPECT_NE(s.find("work:  50% (500/1000)"), std::string::npos) << s;
  EXPECT_NE(s.find("work: 100% (1000/1000)"), std::string::npos) << s;
  EXPECT_EQ(s.find('\r'), std::string::npos);
  std::fclose(f);
}

TEST(Progress, QuickLoopsStaySilentUntilTheDelay) {
  std::FILE* f = std::tmpfile();
  {
    Progress p("quick", 100, Progress::Mode::lines, f, /*delay=*/60.0);
    for (int i = 1; i <= 100; ++i) p.update(i);
  }
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
}

TEST(Progress, SilentModeWritesNothing) {
  std::FILE* f = std::tmpfile();
  {
    Progress p("quiet", 10, Progress::Mode::silent, f, 0.0);
    for (int i = 1; i <= 10; ++i) p.update(i);
    p.finish();
  }
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
}

TEST(Progress, BarRedrawsOneLine) {
  std::FILE* f = std::tmpfile();
  {
    Progress p("bar", 10, Progress::Mode::bar, f, 0.0);
    p.update(5);
    p.finish();
  }
  const std::string s = contents(f);
  EXPECT_EQ(s.front(), '\r');
  EXPECT_EQ(count_lines(s), 1);  // only the final draw ends the line
  EXPECT_NE(s.find("done in"), std::string::npos) << s;
  std::fclose(f);
}

TEST(Progress, AutomaticModeIsPlainWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  Progress p("auto", 10, Progress::Mode::automatic, f);
  EXPECT_EQ(p.mode(), Progress::Mode::lines);
  std::fclose(f);
}

}  // namespace
