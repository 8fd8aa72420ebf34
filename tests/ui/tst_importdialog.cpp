// Import from the window (issue 13): File → Import… adds what a Procfile,
// supervisord.conf or PM2 file describes to the running configuration, and
// the first run offers the same import, an empty configuration or the demo.
// Driven as a person drives them: the menu bar, typed paths, clicked buttons.
#include "config/configloader.h"
#include "engine/engineclient.h"
#include "importdialog.h"
#include "mainwindow.h"
#include "menubarsupport.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "testsupport.h"
#include "welcomedialog.h"

#include <QComboBox>
#include <QCommandLinkButton>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

bool write(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QByteArray read(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Types the path into the dialog's file field and presses Enter, as a
// person who pastes a path does; waits for the conversion to show.
bool typePath(ImportDialog *d, const QString &path)
{
    QSignalSpy done(d, &ImportDialog::readFinished);
    auto *field = d->findChild<QLineEdit *>(u"importFile"_s);
    QTest::mouseClick(field, Qt::LeftButton);
    QTest::keyClick(field, Qt::Key_A, Qt::ControlModifier); // replaces what was typed before
    QTest::keyClicks(field, path);
    QTest::keyClick(field, Qt::Key_Return);
    return done.wait(20'000);
}

} // namespace

class TestImportDialog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private slots:
    void fileImportAddsServicesThatStart()
    {
        const QString config = m_dir.filePath(u"add/lifeline.toml"_s);
        QVERIFY(QDir().mkpath(m_dir.filePath(u"add/state"_s)));
        const QByteArray original = "# mine, kept\n[settings]\nstate_dir = \"state\"\n\n"
                                    "[[service]]\nname = \"first\"\ncommand = [\"sleep\", \"600\"]\n";
        QVERIFY(write(config, original));
        const QString procfile = m_dir.filePath(u"add/Procfile"_s);
        QVERIFY(write(procfile, "# the two workers\nworker: sleep 600\nclock: sleep 601\n"
                                "release: ./migrate\n"));
        const LoadResult loaded = ConfigLoader::loadFile(config);
        QVERIFY(loaded.ok());
        TestEngine engine(*loaded.config, {.liveReload = true});
        MainWindow w(engine.client());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE(engine.fleet().services().size(), 1);

        QAction *import = menuBarAction(w, u"File"_s, u"Import from Procfile, supervisord or PM2…"_s);
        QVERIFY(import);
        import->trigger();
        auto *dialog = w.findChild<ImportDialog *>(u"importDialog"_s);
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        auto *save = dialog->findChild<QPushButton *>(u"importSave"_s);
        QVERIFY(!save->isEnabled()); // nothing read yet

        QVERIFY(typePath(dialog, procfile));
        // The format is guessed from the name, and the text shows what will be written.
        QCOMPARE(dialog->findChild<QComboBox *>(u"importFormat"_s)->currentData().toString(), u"procfile"_s);
        const QString text = dialog->toml();
        QVERIFY2(text.contains(u"name = \"worker\""_s) && text.contains(u"name = \"clock\""_s),
                 qPrintable(text));
        QVERIFY2(text.contains(u"release"_s), qPrintable(text)); // a comment, not a service
        QVERIFY(save->isEnabled());

        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_VERIFY(!dialog->isVisible());
        // One edit, after the existing service; what was there stays byte for byte.
        const QByteArray now = read(config);
        QVERIFY2(now.startsWith(original), now.constData());
        const LoadResult after = ConfigLoader::loadFile(config);
        QVERIFY(after.ok());
        QCOMPARE(after.config->services.size(), 3);
        // Live reload starts them: the window's table shows three services.
        QTRY_COMPARE_WITH_TIMEOUT(engine.client()->services().size(), 3, 15'000);
        QTRY_VERIFY_WITH_TIMEOUT(engine.client()->service(u"worker"_s) &&
                                     engine.client()->service(u"worker"_s)->state() == ServiceState::Running,
                                 15'000);
        engine.client()->stopAll();
        for (ServiceSupervisor *s : engine.fleet().services())
            QTRY_VERIFY_WITH_TIMEOUT(!isRunningState(s->state()), 15'000);
    }

    // A mistake names the line of the text shown, the dialog stays open and
    // the configuration is untouched; so is a file that cannot be read.
    void mistakesStayInTheDialog()
    {
        const QString config = m_dir.filePath(u"mistakes.toml"_s);
        const QByteArray original = "[[service]]\nname = \"web\"\ncommand = [\"sleep\", \"600\"]\n";
        QVERIFY(write(config, original));
        ImportDialog dialog(config, ImportDialog::Mode::Add);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto *status = dialog.findChild<QLabel *>(u"importStatus"_s);
        auto *save = dialog.findChild<QPushButton *>(u"importSave"_s);

        QVERIFY(typePath(&dialog, m_dir.filePath(u"no-such-Procfile"_s)));
        QVERIFY2(status->text().contains(u"no-such-Procfile"_s), qPrintable(status->text()));
        QVERIFY(!save->isEnabled());

        // The same name as a running service: the loader says so, nothing is written.
        const QString procfile = m_dir.filePath(u"Procfile"_s);
        QVERIFY(write(procfile, "web: sleep 600\n"));
        QVERIFY(typePath(&dialog, procfile));
        QTest::mouseClick(save, Qt::LeftButton);
        QVERIFY(dialog.isVisible());
        QVERIFY2(status->text().contains(u"web"_s), qPrintable(status->text()));
        QCOMPARE(read(config), original);

        // A typo the person makes in the text: its line is named.
        auto *preview = dialog.findChild<QPlainTextEdit *>(u"importPreview"_s);
        preview->setPlainText(
            u"[[service]]\nname = \"api\"\ncommand = [\"sleep\", \"600\"]\nrestrat = \"always\"\n"_s);
        QTest::mouseClick(save, Qt::LeftButton);
        QVERIFY(dialog.isVisible());
        QVERIFY2(status->text().contains(u"the text above:4"_s) && status->text().contains(u"restrat"_s),
                 qPrintable(status->text()));
        QCOMPARE(read(config), original);
    }

    // First run: "Start with an empty configuration" writes one that loads
    // (no services yet), and never overwrites a file.
    void welcomeEmptyConfiguration()
    {
        const QString config = m_dir.filePath(u"first/empty/lifeline.toml"_s);
        WelcomeDialog welcome(config, true);
        QSignalSpy chosen(&welcome, &WelcomeDialog::chosen);
        welcome.show();
        QVERIFY(QTest::qWaitForWindowExposed(&welcome));
        QVERIFY(welcome.findChild<QCommandLinkButton *>(u"welcomeDemo"_s));
        QTest::mouseClick(welcome.findChild<QCommandLinkButton *>(u"welcomeEmpty"_s), Qt::LeftButton);
        QCOMPARE(chosen.size(), 1);
        QCOMPARE(chosen.first().first().value<WelcomeDialog::Choice>(), WelcomeDialog::Choice::Empty);
        QVERIFY(!welcome.isVisible());

        QString error;
        QVERIFY2(WelcomeDialog::writeEmptyConfiguration(config, &error), qPrintable(error));
        const LoadResult loaded = ConfigLoader::loadFile(config);
        QVERIFY(loaded.ok());
        QCOMPARE(loaded.config->services.size(), 0);
        QVERIFY(write(config, "# mine\n"));
        QVERIFY(!WelcomeDialog::writeEmptyConfiguration(config, &error));
        QVERIFY2(error.contains(u"already exists"_s), qPrintable(error));
        QCOMPARE(read(config), QByteArray("# mine\n"));

        WelcomeDialog noDemo(config, false);
        QVERIFY(!noDemo.findChild<QCommandLinkButton *>(u"welcomeDemo"_s));
    }

    // First run: "Import…" makes the configuration file itself, folder and all.
    void welcomeImportMakesTheConfiguration()
    {
        const QString config = m_dir.filePath(u"first/import/deep/lifeline.toml"_s);
        const QString eco = QStringLiteral(LIFELINE_TEST_DATA) + u"/import/ecosystem.yaml"_s;
        ImportDialog dialog(config, ImportDialog::Mode::New);
        QSignalSpy saved(&dialog, &ImportDialog::saved);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY(typePath(&dialog, eco));
        QCOMPARE(dialog.findChild<QComboBox *>(u"importFormat"_s)->currentData().toString(), u"pm2"_s);
        QTest::mouseClick(dialog.findChild<QPushButton *>(u"importSave"_s), Qt::LeftButton);
        QCOMPARE(saved.size(), 1);
        QCOMPARE(saved.first().at(1).toInt(), 3);
        const LoadResult loaded = ConfigLoader::loadFile(config);
        QVERIFY(loaded.ok());
        QCOMPARE(loaded.config->startOrder(), (QStringList{u"api"_s, u"worker-0"_s, u"worker-1"_s}));
    }
};

QTEST_MAIN(TestImportDialog)
#include "tst_importdialog.moc"
