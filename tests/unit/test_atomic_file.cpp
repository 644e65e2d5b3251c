// Atomic writes: a process killed in the middle of writing leaves the previous content loadable.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "support/TestSupport.h"

namespace fs = std::filesystem;
using namespace doppel;

namespace {
nlohmann::json bigDocument(int version) {
    nlohmann::json doc;
    doc["version"] = version;
    // ~2 MB so that a write takes long enough to be interrupted part way.
    doc["payload"] = std::string(2 << 20, char('a' + version % 26));
    return doc;
}
}  // namespace

TEST(AtomicFile, WriteThenReadRoundTrip) {
    fs::path dir = test::scratchDir("atomic_roundtrip");
    nlohmann::json doc = {{"a", 1}, {"b", {1, 2, 3}}};
    writeJsonAtomic(dir / "x.json", doc);
    EXPECT_EQ(readJsonFile(dir / "x.json"), doc);
    EXPECT_FALSE(fs::exists(dir / "x.json.tmp"));
}

TEST(AtomicFile, KeepsBackupAndFallsBackToIt) {
    fs::path dir = test::scratchDir("atomic_backup");
    writeJsonAtomic(dir / "p.json", {{"v", 1}});
    writeJsonAtomic(dir / "p.json", {{"v", 2}});
    ASSERT_TRUE(fs::exists(dir / "p.json.bak"));
    EXPECT_EQ(readJsonFile(dir / "p.json.bak")["v"], 1);
    // Corrupt the main file by hand: the reader falls back to the backup.
    std::ofstream(dir / "p.json") << "{ not json";
    EXPECT_EQ(readJsonFile(dir / "p.json")["v"], 1);
}

TEST(AtomicFile, SurvivesAKilledWriter) {
    fs::path dir = test::scratchDir("atomic_killed");
    fs::path file = dir / "state.json";
    writeJsonAtomic(file, bigDocument(0), false);
    for (int round = 0; round < 8; ++round) {
        pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            for (int v = 1;; ++v) writeJsonAtomic(file, bigDocument(v), false);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + 17 * round));
        kill(child, SIGKILL);
        int status = 0;
        waitpid(child, &status, 0);
        // Whatever moment the writer died at, the final name holds one complete document.
        nlohmann::json doc = readJsonFile(file);
        ASSERT_TRUE(doc.contains("version"));
        EXPECT_EQ(doc["payload"].get<std::string>().size(), size_t(2 << 20));
    }
}

TEST(AtomicFile, UnwritableFolderGivesAClearError) {
    // /proc refuses new files even for root.
    try {
        writeFileAtomic("/proc/doppel-cannot-write/x.json", "x");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Io);
    }
}

TEST(AtomicFile, MissingFileIsNotFound) {
    try {
        readJsonFile("/nonexistent/doppel.json");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::NotFound);
        EXPECT_NE(std::string(e.what()).find("/nonexistent/doppel.json"), std::string::npos);
    }
}
