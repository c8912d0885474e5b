#include "core/private_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace peerchat {
namespace {

namespace fs = std::filesystem;

class private_dir_test : public ::testing::Test {
protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("peerchat-private-dir-" + std::to_string(std::random_device{}()));
    fs::create_directories(root_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  static unsigned mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }
  static void write(const fs::path& p, unsigned m) {
    std::ofstream(p) << "x";
    fs::permissions(p, static_cast<fs::perms>(m));
  }
  fs::path root_;
};

TEST_F(private_dir_test, a_missing_directory_is_created_readable_by_its_owner_only) {
  std::error_code ec;
  const auto dir = root_ / "a" / "data";
  const auto out = make_private_dir(dir, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(out.created);
  EXPECT_EQ(mode(dir), 0700u);
}

TEST_F(private_dir_test, an_open_directory_and_its_files_lose_group_and_other_access) {
  const auto dir = root_ / "data";
  fs::create_directories(dir / "downloads");
  fs::permissions(dir, static_cast<fs::perms>(0755));
  fs::permissions(dir / "downloads", static_cast<fs::perms>(0755));
  write(dir / "history.db", 0644);
  write(dir / "downloads" / "tool", 0755);
  write(dir / "identity.key", 0600);
  std::error_code ec;
  const auto out = make_private_dir(dir, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(out.dir_tightened);
  EXPECT_EQ(out.tightened, 3u);  // history.db, downloads, downloads/tool
  EXPECT_EQ(mode(dir), 0700u);
  EXPECT_EQ(mode(dir / "history.db"), 0600u);
  EXPECT_EQ(mode(dir / "downloads"), 0700u);
  EXPECT_EQ(mode(dir / "downloads" / "tool"), 0700u);
  EXPECT_EQ(mode(dir / "identity.key"), 0600u);
}

TEST_F(private_dir_test, a_private_directory_is_left_as_it_is) {
  const auto dir = root_ / "data";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all);
  write(dir / "history.db", 0600);
  std::error_code ec;
  const auto out = make_private_dir(dir, ec);
  ASSERT_FALSE(ec);
  EXPECT_FALSE(out.created || out.dir_tightened);
  EXPECT_EQ(out.tightened, 0u);
}

TEST_F(private_dir_test, a_symbolic_link_inside_is_neither_followed_nor_changed) {
  const auto dir = root_ / "data";
  fs::create_directories(dir);
  const auto outside = root_ / "outside.txt";
  write(outside, 0644);
  fs::create_symlink(outside, dir / "link");
  std::error_code ec;
  make_private_dir(dir, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(mode(outside), 0644u);
}

TEST_F(private_dir_test, a_file_where_the_directory_should_be_is_an_error) {
  const auto file = root_ / "data";
  write(file, 0644);
  std::error_code ec;
  make_private_dir(file, ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace peerchat
