// GUI tests of a database that cannot be opened at start-up, offscreen: the window says what is
// wrong and where, nothing can be trained (no action, no button, not even through the API, and no
// lock file appears anywhere), and Retry opens the database once it can be.

#include <gtest/gtest.h>

#include <QAction>
#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QTest>
#include <filesystem>

#include "app/main_window.h"
#include "app/run_launcher.h"
#include "support/dialogs.h"
#include "support/fixtures.h"
#include "widgets/database_error_panel.h"
#include "widgets/lr_finder_view.h"

using namespace runboard;
using runboard::test::actionNamed;

namespace {

// Every file under a directory, recursively.
std::vector<std::string> filesUnder(const std::filesystem::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

QPushButton* buttonNamed(QWidget* parent, const QString& text) {
    for (QPushButton* b : parent->findChildren<QPushButton*>())
        if (b->text() == text) return b;
    return nullptr;
}

// The working directory for a test's lifetime (a run queued into "no database" left a lock file
// in it).
class ScopedCurrentDir {
public:
    explicit ScopedCurrentDir(const QString& dir) : old_(QDir::currentPath()) {
        QDir::setCurrent(dir);
    }
    ~ScopedCurrentDir() { QDir::setCurrent(old_); }

private:
    QString old_;
};

}  // namespace

TEST(MainWindow, ADatabaseThatCannotBeOpenedIsExplainedAndNothingTrainsIntoNothing) {
    test::TempDir dir;
    test::TempDir work;
    const ScopedCurrentDir cwd(QString::fromStdString(work.path().string()));
    const std::string path = dir.file("notes.db");
    test::writeFile(path, "These are my notes, not a database.\n");
    const auto hash = test::fileHash(path);
    const auto before = filesUnder(dir.path());

    app::MainWindow window(QString::fromStdString(path));
    window.resize(1280, 800);
    window.show();
    QTest::qWait(100);
    EXPECT_FALSE(window.hasDatabase());
    // What is wrong, and where: on the page the Runs tab shows, not "No runs yet".
    ASSERT_NE(window.databaseError(), nullptr);
    EXPECT_TRUE(window.databaseError()->isVisible());
    const QString text = window.databaseError()->text();
    EXPECT_TRUE(text.contains("notes.db")) << text.toStdString();
    EXPECT_TRUE(text.contains("cannot be opened")) << text.toStdString();
    EXPECT_NE(buttonNamed(window.databaseError(), "Retry"), nullptr);
    EXPECT_NE(buttonNamed(window.databaseError(), "Open another database..."), nullptr);
    // Nothing trains: the actions and the LR finder's button are off, and the API refuses.
    for (const QString name : {"&New run...", "New run from &selected...",
                               "Re&peat with new seeds...", "New &LR sweep..."}) {
        QAction* a = actionNamed(window, name);
        ASSERT_NE(a, nullptr) << name.toStdString();
        EXPECT_FALSE(a->isEnabled()) << name.toStdString();
    }
    QPushButton* sweep = buttonNamed(window.lrFinder(), "New sweep...");
    ASSERT_NE(sweep, nullptr);
    EXPECT_FALSE(sweep->isEnabled());
    const auto id = window.launcher()->startRun(config::Config::defaults(), "into nothing");
    EXPECT_FALSE(id);
    window.launcher()->startSweep(config::Config::defaults(), sweep::Options{});
    EXPECT_TRUE(window.launcher()->repeatRun(1, 2).empty());
    QTest::qWait(200);
    EXPECT_FALSE(window.training()->busy());
    EXPECT_TRUE(filesUnder(work.path()).empty()) << "a lock file in the working directory";
    EXPECT_EQ(filesUnder(dir.path()), before);
    EXPECT_EQ(test::fileHash(path), hash) << "the file is left as it was";

    // Once the file is gone (the user moved the notes away), Retry opens a new database there.
    std::filesystem::rename(path, dir.file("notes.txt"));
    QPushButton* retry = buttonNamed(window.databaseError(), "Retry");
    ASSERT_NE(retry, nullptr);
    retry->click();
    ASSERT_TRUE(QTest::qWaitFor([&] { return window.hasDatabase(); }, 20'000));
    EXPECT_EQ(window.databasePath(), QString::fromStdString(path));
    EXPECT_FALSE(window.databaseError()->isVisible());
    EXPECT_TRUE(actionNamed(window, "&New run...")->isEnabled());
    EXPECT_TRUE(sweep->isEnabled());
}

TEST(MainWindow, AFailedOpenOfAnotherDatabaseKeepsTheOpenOne) {
    test::TempDir dir;
    const std::string good = dir.file("good.db");
    app::MainWindow window(QString::fromStdString(good));
    window.show();
    ASSERT_TRUE(window.hasDatabase());
    std::filesystem::create_directory(dir.path() / "folder.db");
    // The warning names the problem; the open database stays, and so do the actions.
    QString shown;
    test::answerNextDialog([&](QWidget* d) {
        shown = d->findChild<QLabel*>(QStringLiteral("qt_msgbox_label"))->text();
        d->close();
    });
    window.openDatabase(QString::fromStdString(dir.file("folder.db")));
    EXPECT_TRUE(shown.contains("good.db")) << shown.toStdString();
    EXPECT_EQ(window.databasePath(), QString::fromStdString(good));
    EXPECT_FALSE(window.databaseError()->isVisible());
    EXPECT_TRUE(actionNamed(window, "&New run...")->isEnabled());
}
