// Outputs are whole or absent (workloads/io.h): files streamed as they are produced included.
#include <gtest/gtest.h>

#include <stdexcept>

#include "prunesim/common/error.h"
#include "prunesim/workloads/io.h"
#include "test_util.h"

using prunesim::StreamedOutput;

TEST(AtomicOutput, StreamedFilesAppearWholeAndOnlyTogether) {
  const std::string d = prunesim::test::temp_dir();
  prunesim::write_files_atomic(
      std::vector<StreamedOutput>{{d + "/a.json", [](std::ostream& os) { os << "{}\n"; }},
                                  {d + "/b.csv", [](std::ostream& os) { os << "x\n1\n"; }}});
  EXPECT_EQ(prunesim::test::read_file(d + "/a.json"), "{}\n");
  EXPECT_EQ(prunesim::test::read_file(d + "/b.csv"), "x\n1\n");
  EXPECT_FALSE(prunesim::test::file_exists(d + "/a.json.partial"));
  // A writer that fails halfway (the second file's) leaves neither file nor any temporary, and the error
  // is the writer's own.
  EXPECT_THROW(prunesim::write_files_atomic(std::vector<StreamedOutput>{
                   {d + "/c.json", [](std::ostream& os) { os << "{\"ops\": ["; }},
                   {d + "/c.csv",
                    [](std::ostream& os) {
                      os << "half";
                      throw prunesim::InputError("report: not a valid UTF-8 name");
                    }}}),
               prunesim::InputError);
  for (const char* f : {"/c.json", "/c.json.partial", "/c.csv", "/c.csv.partial"})
    EXPECT_FALSE(prunesim::test::file_exists(d + f)) << f;
  // A file that cannot be opened is named, and nothing else is left.
  EXPECT_THROW(prunesim::write_files_atomic(std::vector<StreamedOutput>{
                   {d + "/e.json", [](std::ostream& os) { os << "{}"; }},
                   {d + "/no/such/dir/f.csv", [](std::ostream& os) { os << "x"; }}}),
               prunesim::InputError);
  EXPECT_FALSE(prunesim::test::file_exists(d + "/e.json"));
  EXPECT_FALSE(prunesim::test::file_exists(d + "/e.json.partial"));
}
