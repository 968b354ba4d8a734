// The New Run dialog's Data section, offscreen: the rows that apply to data.source, Scan off the
// GUI thread with its preview (classes, counts, quarantined files), a stale scan, and closing or
// destroying the dialog while a scan runs.

#include "widgets/data_section.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QGroupBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <filesystem>

#include "support/fixtures.h"
#include "support/image_fixtures.h"
#include "widgets/new_run_dialog.h"

using namespace runboard;
namespace fs = std::filesystem;

namespace {

QPushButton* scanButton(widgets::NewRunDialog& d) {
    return d.findChild<QPushButton*>(QStringLiteral("data.scan"));
}

QString previewOf(widgets::NewRunDialog& d) {
    return d.scanPanel()->previewText();
}

}  // namespace

TEST(NewRunDataSection, ShowsOnlyTheRowsThatApplyToTheSource) {
    widgets::NewRunDialog d(config::Config::defaults());
    // Every data key is in the Data group, before the training keys.
    auto* data = d.findChild<QGroupBox*>(QStringLiteral("data.section"));
    ASSERT_NE(data, nullptr);
    for (const char* key :
         {"data.source", "data.dir", "data.path", "data.image_size", "model.path"})
        EXPECT_TRUE(data->isAncestorOf(d.editor(key))) << key;
    EXPECT_FALSE(data->isAncestorOf(d.editor("lr")));
    EXPECT_NE(d.findChild<QPushButton*>(QStringLiteral("data.dir.browse")), nullptr);
    EXPECT_NE(d.findChild<QPushButton*>(QStringLiteral("data.path.browse")), nullptr);
    EXPECT_NE(d.findChild<QPushButton*>(QStringLiteral("model.path.browse")), nullptr);

    // fashion-mnist: its IDX folder and validation count.
    EXPECT_TRUE(d.isRowShown("data.dir"));
    EXPECT_TRUE(d.isRowShown("data.val_size"));
    for (const char* key : {"data.path", "data.label", "data.missing", "data.image_size",
                            "data.channels", "data.workers", "data.val_share", "model.path",
                            "data.text", "data.tokens", "data.bucketing"})
        EXPECT_FALSE(d.isRowShown(key)) << key;
    d.setField("data.source", "folder");
    for (const char* key : {"data.dir", "data.image_size", "data.channels", "data.workers",
                            "data.cache_mb", "data.val_share", "data.test_size", "data.limit"})
        EXPECT_TRUE(d.isRowShown(key)) << key;
    for (const char* key : {"data.path", "data.label", "data.missing", "data.val_size"})
        EXPECT_FALSE(d.isRowShown(key)) << key;
    d.setField("data.source", "csv");
    for (const char* key : {"data.path", "data.label", "data.missing", "data.test_size"})
        EXPECT_TRUE(d.isRowShown(key)) << key;
    for (const char* key : {"data.dir", "data.image_size", "data.channels", "data.val_size"})
        EXPECT_FALSE(d.isRowShown(key)) << key;
    for (const char* key : {"data.text", "data.max_len", "data.vocab_size"})
        EXPECT_FALSE(d.isRowShown(key)) << key;
    // text: a table (data.path) or a folder of .txt files (data.dir), and the token settings.
    d.setField("data.source", "text");
    for (const char* key : {"data.path", "data.dir", "data.label", "data.text", "data.tokens",
                            "data.vocab_size", "data.min_freq", "data.max_len", "data.bucketing",
                            "data.workers", "data.test_size", "data.val_share", "data.limit"})
        EXPECT_TRUE(d.isRowShown(key)) << key;
    for (const char* key : {"data.missing", "data.image_size", "data.channels", "data.val_size"})
        EXPECT_FALSE(d.isRowShown(key)) << key;
    d.setField("data.source", "csv");
    d.setField("model", "torchscript");
    EXPECT_TRUE(d.isRowShown("model.path"));
    // A hidden row with an error is shown: Start stays disabled until it is fixed.
    d.setField("data.dir", "");
    EXPECT_TRUE(d.isRowShown("data.dir"));
    EXPECT_FALSE(d.problems().isEmpty());
    // Hidden editors still make the config.
    d.setField("data.dir", "/somewhere");
    const config::Config c = d.config();
    EXPECT_EQ(c.text("data.source"), "csv");
    EXPECT_EQ(c.text("data.dir"), "/somewhere");
    EXPECT_EQ(c.text("model"), "torchscript");
}

TEST(NewRunDataSection, ScanPreviewsAFolderWithItsQuarantinedFiles) {
    test::TempDir dir;
    const fs::path root = dir.path() / "pets";
    test::writeHostileFolder(root);
    widgets::NewRunDialog d(config::Config::defaults());
    d.setField("data.source", "folder");
    d.setField("data.dir", QString::fromStdString(root.string()));
    d.setField("data.workers", "2");
    QSignalSpy finished(&d, &widgets::NewRunDialog::scanFinished);
    ASSERT_NE(scanButton(d), nullptr);
    scanButton(d)->click();
    EXPECT_TRUE(d.scanPanel()->isScanning());
    ASSERT_TRUE(finished.wait(20000));
    EXPECT_TRUE(finished.front().front().toBool());
    EXPECT_FALSE(d.scanPanel()->isScanning());
    ASSERT_TRUE(d.scanPanel()->result().has_value());
    EXPECT_EQ(d.scanPanel()->result()->classes.size(), 2u);
    EXPECT_EQ(d.scanPanel()->result()->quarantinedFiles, 4u);
    const QString text = previewOf(d);
    EXPECT_TRUE(text.contains(
        QRegularExpression(QStringLiteral("^cat +"), QRegularExpression::MultilineOption)))
        << text.toStdString();
    EXPECT_TRUE(text.contains(
        QRegularExpression(QStringLiteral("^dog +"), QRegularExpression::MultilineOption)))
        << text.toStdString();
    EXPECT_TRUE(text.contains("quarantined: cat/zero.png: zero bytes")) << text.toStdString();
    EXPECT_TRUE(text.contains("skipped: .DS_Store")) << text.toStdString();
    EXPECT_TRUE(d.scanPanel()->summaryText().contains("12 images in 2 classes"))
        << d.scanPanel()->summaryText().toStdString();
    auto* progress = d.findChild<QProgressBar*>(QStringLiteral("data.scan.progress"));
    ASSERT_NE(progress, nullptr);
    EXPECT_TRUE(progress->isHidden());
    EXPECT_EQ(scanButton(d)->text(), "Scan");
    // The config carries what was scanned.
    const config::Config c = d.config();
    EXPECT_EQ(c.text("data.source"), "folder");
    EXPECT_EQ(c.text("data.dir"), root.string());
    EXPECT_EQ(c.integer("data.workers"), 2);
    // Editing a data key after the scan says the preview is stale; a training key does not.
    d.setField("lr", "0.01");
    EXPECT_FALSE(d.scanPanel()->summaryText().contains("changed since this scan"));
    d.setField("data.image_size", "16");
    EXPECT_TRUE(d.scanPanel()->summaryText().contains("changed since this scan"));
}

TEST(NewRunDataSection, ScanPreviewsATableAndReportsAMissingFolder) {
    test::TempDir dir;
    const std::string csv = dir.file("blobs.csv");
    test::writeBlobsCsv(csv, 300);
    widgets::NewRunDialog d(config::Config::defaults());
    d.setField("data.source", "csv");
    d.setField("data.path", QString::fromStdString(csv));
    QSignalSpy finished(&d, &widgets::NewRunDialog::scanFinished);
    scanButton(d)->click();
    ASSERT_TRUE(finished.wait(20000));
    EXPECT_TRUE(finished.takeFirst().front().toBool());
    EXPECT_TRUE(previewOf(d).contains("setosa")) << previewOf(d).toStdString();
    EXPECT_TRUE(previewOf(d).contains("categorical: colour (3 values)"));
    EXPECT_TRUE(d.scanPanel()->summaryText().contains("300 rows"));

    const std::string missing = (dir.path() / "nowhere").string();
    d.setField("data.source", "folder");
    d.setField("data.dir", QString::fromStdString(missing));
    scanButton(d)->click();
    ASSERT_TRUE(finished.wait(20000));
    EXPECT_FALSE(finished.takeFirst().front().toBool());
    EXPECT_TRUE(d.scanPanel()->summaryText().contains(QString::fromStdString(missing)))
        << d.scanPanel()->summaryText().toStdString();
}

TEST(NewRunDataSection, ClosingOrDestroyingTheDialogDuringAScanStopsIt) {
    test::TempDir dir;
    const fs::path root = dir.path() / "bars";
    test::writeBarFolder(root, 150);  // 1,500 files: a scan of a few hundred ms on one thread
    for (int round = 0; round < 3; ++round) {
        auto* d = new widgets::NewRunDialog(config::Config::defaults());
        d->show();
        d->setField("data.source", "folder");
        d->setField("data.dir", QString::fromStdString(root.string()));
        d->setField("data.workers", "1");
        QSignalSpy finished(d, &widgets::NewRunDialog::scanFinished);
        scanButton(*d)->click();
        ASSERT_TRUE(d->scanPanel()->isScanning());
        QTest::qWait(round * 40);  // at once, while listing, while decoding
        if (round == 1) {
            delete d;  // destroyed without being closed
        } else {
            d->reject();  // Cancel or the window's close button
            EXPECT_FALSE(d->scanPanel()->isScanning());
            EXPECT_EQ(scanButton(*d)->text(), "Scan");
            delete d;
        }
        QTest::qWait(50);  // anything the thread posted is dropped with the dialog
    }
    // Stop in the panel: the thread ends and a new scan runs to the end.
    widgets::NewRunDialog d(config::Config::defaults());
    d.setField("data.source", "folder");
    d.setField("data.dir", QString::fromStdString(root.string()));
    QSignalSpy finished(&d, &widgets::NewRunDialog::scanFinished);
    scanButton(d)->click();
    scanButton(d)->click();  // "Stop"
    EXPECT_FALSE(d.scanPanel()->isScanning());
    EXPECT_TRUE(d.scanPanel()->summaryText().contains("stopped"));
    scanButton(d)->click();
    ASSERT_TRUE(finished.wait(30000));
    EXPECT_TRUE(finished.front().front().toBool());
    EXPECT_EQ(finished.size(), 1);  // the stopped scan's result never arrives
    EXPECT_EQ(d.scanPanel()->result()->trainCount() + d.scanPanel()->result()->valCount() +
                  d.scanPanel()->result()->testCount(),
              1500);
}
