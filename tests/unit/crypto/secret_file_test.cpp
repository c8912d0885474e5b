#include "crypto/secret_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "core/error.hpp"

namespace peerchat {
namespace {

namespace fs = std::filesystem;

class secret_file_test : public testing::Test {
protected:
  secret_file_test() {
    dir_ = fs::temp_directory_path() / ("peerchat-secret-" + std::to_string(::getpid()) + "-" +
                                        testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~secret_file_test() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    return dir_ / name;
  }

  fs::path dir_;
  std::error_code ec_;
};

TEST_F(secret_file_test, one_trailing_line_break_is_not_part_of_the_secret) {
  EXPECT_EQ(read_secret_file(write("a", "hunter2\n"), ec_), "hunter2");
  EXPECT_FALSE(ec_);
  EXPECT_EQ(read_secret_file(write("b", "hunter2\r\n"), ec_), "hunter2");
  EXPECT_EQ(read_secret_file(write("c", "two words \n\n"), ec_), "two words \n");
}

TEST_F(secret_file_test, a_missing_file_is_unreadable) {
  read_secret_file(dir_ / "nope", ec_);
  EXPECT_EQ(ec_, make_error_code(errc::secret_file_unreadable));
}

TEST_F(secret_file_test, a_directory_is_unreadable) {
  read_secret_file(dir_, ec_);
  EXPECT_EQ(ec_, make_error_code(errc::secret_file_unreadable));
}

TEST_F(secret_file_test, an_empty_file_is_an_empty_secret) {
  read_secret_file(write("e", "\n"), ec_);
  EXPECT_EQ(ec_, make_error_code(errc::secret_empty));
}

TEST_F(secret_file_test, a_huge_file_is_not_taken_for_a_secret) {
  read_secret_file(write("big", std::string(100'000, 'x')), ec_);
  EXPECT_EQ(ec_, make_error_code(errc::secret_file_unreadable));
}

TEST_F(secret_file_test, a_saved_secret_is_loaded_back_and_readable_by_the_owner_only) {
  save_room_secret(dir_ / "data", "s3cret", ec_);
  ASSERT_FALSE(ec_) << ec_.message();
  EXPECT_EQ(load_saved_room_secret(dir_ / "data", ec_), "s3cret");
  EXPECT_FALSE(ec_);
  const auto perms = fs::status(dir_ / "data" / "room.secret").permissions();
  EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
}

TEST_F(secret_file_test, no_saved_secret_is_empty_and_no_error) {
  EXPECT_EQ(load_saved_room_secret(dir_, ec_), "");
  EXPECT_FALSE(ec_);
}

TEST_F(secret_file_test, saving_again_replaces_the_secret) {
  save_room_secret(dir_, "one", ec_);
  save_room_secret(dir_, "two", ec_);
  EXPECT_EQ(load_saved_room_secret(dir_, ec_), "two");
}

}  // namespace
}  // namespace peerchat
