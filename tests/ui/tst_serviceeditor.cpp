// ServiceEditor offscreen on a real configuration file: invalid entries are
// rejected with the loader's own message (and the file stays byte for
// byte), valid ones are written atomically with the previous file in .bak,
// editing keeps the keys the form does not show, and removing works.
#include "config/configloader.h"
#include "config/configwriter.h"
#include "serviceeditor.h"

#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

const QByteArray kConfig = "# Services of my machine.\n"
                           "[settings]\n"
                           "state_dir = \"state\"\n"
                           "\n"
                           "# The API.\n"
                           "[[service]]\n"
                           "name = \"api\"\n"
                           "command = [\"python3\", \"main.py\"]\n"
                           "env = { PORT = \"8000\" }\n"
                           "ports = [8000]\n"
                           "max_restarts = 4\n"
                           "[service.health]\n"
                           "url = \"http://127.0.0.1:8000/health\"\n"
                           "interval = \"10s\"\n"
                           "\n"
                           "# Cleanup.\n"
                           "[recovery]\n"
                           "backup_logs = false\n";

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

void writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

Config load(const QString &path)
{
    const LoadResult r = ConfigLoader::loadFile(path);
    for (const Diagnostic &d : r.errors)
        qWarning("%s", qPrintable(d.toString()));
    return r.config.value_or(Config{});
}

} // namespace

class TestServiceEditor : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_path;

    void fill(ServiceEditor &e, const QString &name, const QString &command, const QString &ports,
              const QString &memory = {})
    {
        e.nameEdit()->setText(name);
        e.commandEdit()->setText(command);
        e.portsEdit()->setText(ports);
        e.memoryLimitEdit()->setText(memory);
    }
    // Clicks OK the way a person does; true when the dialog accepted.
    bool clickOk(ServiceEditor &e)
    {
        e.show();
        if (!QTest::qWaitForWindowExposed(&e))
            return false;
        e.buttons()->button(QDialogButtonBox::Ok)->click();
        return e.result() == QDialog::Accepted && !e.isVisible();
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + u".toml"_s);
        writeAll(m_path, kConfig);
    }

    void rejectsInvalidEntriesWithTheLoadersMessage_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("ports");
        QTest::addColumn<QString>("memory");
        QTest::addColumn<QString>("message");
        QTest::newRow("port 70000")
            << u"web"_s << u"node server.js"_s << u"3000, 70000"_s << QString()
            << u"error: service \"web\": ports[1]: must be between 1 and 65535, got 70000"_s;
        QTest::newRow("port not a number") << u"web"_s << u"node server.js"_s << u"http"_s << QString()
                                           << u"ports[0]: expected an integer, got a string"_s;
        QTest::newRow("duplicate name")
            << u"api"_s << u"node server.js"_s << QString() << QString()
            << u"name: duplicate service name \"api\" (first defined at line 7)"_s;
        QTest::newRow("port taken by api") << u"web"_s << u"node"_s << u"8000"_s << QString()
                                           << u"port 8000 is already used by service \"api\""_s;
        QTest::newRow("bad name") << u"my web"_s << u"node"_s << QString() << QString()
                                  << u"invalid name \"my web\""_s;
        QTest::newRow("empty name") << QString() << u"node"_s << QString() << QString()
                                    << u"name: must not be empty"_s;
        QTest::newRow("no command") << u"web"_s << QString() << QString() << QString()
                                    << u"command: must not be empty"_s;
        QTest::newRow("bad memory") << u"web"_s << u"node"_s << QString() << u"5 parsecs"_s
                                    << u"memory_limit: \"5 parsecs\" is not a size"_s;
    }

    void rejectsInvalidEntriesWithTheLoadersMessage()
    {
        QFETCH(QString, name);
        QFETCH(QString, command);
        QFETCH(QString, ports);
        QFETCH(QString, memory);
        QFETCH(QString, message);
        ServiceEditor e(m_path, ServiceEditor::Mode::Add);
        QSignalSpy saved(&e, &ServiceEditor::saved);
        fill(e, name, command, ports, memory);
        QVERIFY(!clickOk(e));
        QVERIFY(e.isVisible()); // stays open for a fix
        QVERIFY(e.errorLabel()->isVisible());
        const QString text = e.errorLabel()->text();
        QVERIFY2(text.contains(message), qPrintable(text));
        // As the loader prints it: FILE:LINE:COL: error: ...
        const QRegularExpression where(u"^"_s + QRegularExpression::escape(m_path) +
                                       u":\\d+:\\d+: error: "_s);
        QVERIFY2(where.match(text).hasMatch(), qPrintable(text));
        QCOMPARE(saved.size(), 0);
        QCOMPARE(readAll(m_path), kConfig);
        QVERIFY(!QFile::exists(ConfigWriter::backupPath(m_path)));
    }

    void unterminatedQuoteInTheCommand()
    {
        ServiceEditor e(m_path, ServiceEditor::Mode::Add);
        fill(e, u"web"_s, u"node 'server.js"_s, QString());
        QVERIFY(!clickOk(e));
        QVERIFY2(e.errorLabel()->text().startsWith(u"command: "_s) &&
                     e.errorLabel()->text().contains(u"unterminated ' quote"_s),
                 qPrintable(e.errorLabel()->text()));
        QCOMPARE(readAll(m_path), kConfig);
    }

    void addsAValidServiceAtomicallyWithBackup()
    {
        ServiceEditor e(m_path, ServiceEditor::Mode::Add);
        QSignalSpy saved(&e, &ServiceEditor::saved);
        // First a mistake, then the fix in the same dialog.
        fill(e, u"web"_s, u"node server.js --title 'my app'"_s, u"3000, 70000"_s, u"256MB"_s);
        QVERIFY(!clickOk(e));
        QVERIFY(e.errorLabel()->isVisible());
        e.portsEdit()->setText(u" 3000 , 3001 "_s);
        e.cwdEdit()->setText(u"~/web"_s);
        e.healthUrlEdit()->setText(u"http://127.0.0.1:3000/health"_s);
        e.restartCombo()->setCurrentIndex(e.restartCombo()->findText(u"always"_s));
        QVERIFY(clickOk(e));
        QVERIFY(e.errorLabel()->isHidden());
        QCOMPARE(saved.size(), 1);
        QCOMPARE(saved.at(0).at(0).toString(), u"web"_s);

        const Config c = load(m_path);
        QCOMPARE(c.services.size(), 2);
        const ServiceSpec *web = c.service(u"web"_s);
        QVERIFY(web);
        QCOMPARE(web->command, (QStringList{u"node"_s, u"server.js"_s, u"--title"_s, u"my app"_s}));
        QCOMPARE(web->cwd, QDir::homePath() + u"/web"_s);
        QCOMPARE(web->ports, (QList<quint16>{3000, 3001}));
        QCOMPARE(web->health.kind, HealthSpec::Kind::Http);
        QCOMPARE(web->health.url, u"http://127.0.0.1:3000/health"_s);
        QCOMPARE(web->restart, RestartPolicy::Always);
        QCOMPARE(web->memoryLimit, 256'000'000LL);
        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), kConfig);
        // Comments and the other tables are still there.
        const QByteArray text = readAll(m_path);
        for (const char *kept : {"# Services of my machine.\n", "# The API.\n", "# Cleanup.\n[recovery]\n"})
            QVERIFY2(text.contains(kept), kept);
        QVERIFY(text.contains("cwd = \"~/web\""));
        QVERIFY(text.contains("memory_limit = \"256MB\""));
    }

    void editKeepsWhatTheFormDoesNotShow()
    {
        const Config before = load(m_path);
        ServiceEditor e(m_path, ServiceEditor::Mode::Edit, *before.service(u"api"_s));
        // The form starts from the service.
        QCOMPARE(e.nameEdit()->text(), u"api"_s);
        QCOMPARE(e.commandEdit()->text(), u"python3 main.py"_s);
        QCOMPARE(e.portsEdit()->text(), u"8000"_s);
        QCOMPARE(e.healthUrlEdit()->text(), u"http://127.0.0.1:8000/health"_s);
        QCOMPARE(e.restartCombo()->currentText(), u"on-failure"_s);
        QVERIFY(e.memoryLimitEdit()->text().isEmpty());

        e.portsEdit()->setText(u"8001"_s);
        e.healthUrlEdit()->setText(u"http://127.0.0.1:8001/health"_s);
        e.memoryLimitEdit()->setText(u"1GiB"_s);
        QVERIFY(clickOk(e));
        const ServiceSpec api = *load(m_path).service(u"api"_s);
        QCOMPARE(api.ports, QList<quint16>{8001});
        QCOMPARE(api.health.url, u"http://127.0.0.1:8001/health"_s);
        QCOMPARE(api.memoryLimit, 1LL << 30);
        // Not in the form, kept from the file:
        QCOMPARE(api.env.value(u"PORT"_s), u"8000"_s);
        QCOMPARE(api.maxRestarts, 4);
        QCOMPARE(api.health.interval, std::chrono::milliseconds(10'000));
        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), kConfig);

        // Clearing the URL removes the health check; an edited memory limit
        // is shown as written.
        ServiceEditor again(m_path, ServiceEditor::Mode::Edit, api);
        QCOMPARE(again.memoryLimitEdit()->text(), u"1GiB"_s);
        again.healthUrlEdit()->clear();
        QVERIFY(clickOk(again));
        QVERIFY(!load(m_path).service(u"api"_s)->health.enabled());
    }

    void editRejectedLeavesTheFileAlone()
    {
        const Config before = load(m_path);
        ServiceEditor e(m_path, ServiceEditor::Mode::Edit, *before.service(u"api"_s));
        e.healthUrlEdit()->setText(u"ftp://example.org"_s);
        QVERIFY(!clickOk(e));
        QVERIFY2(e.errorLabel()->text().contains(
                     u"health.url: \"ftp://example.org\" is not an http or https URL"_s),
                 qPrintable(e.errorLabel()->text()));
        QCOMPARE(readAll(m_path), kConfig);
        QVERIFY(!QFile::exists(ConfigWriter::backupPath(m_path)));
    }

    void removeAndEntryPoints()
    {
        QWidget parent;
        ServiceEditor *add = ServiceEditor::add(m_path, &parent);
        QCOMPARE(add->mode(), ServiceEditor::Mode::Add);
        QVERIFY(add->isVisible());
        QVERIFY(add->testAttribute(Qt::WA_DeleteOnClose));
        QSignalSpy gone(add, &QObject::destroyed);
        add->buttons()->button(QDialogButtonBox::Cancel)->click();
        QTRY_COMPARE_WITH_TIMEOUT(gone.size(), 1, 5000);
        QCOMPARE(readAll(m_path), kConfig);

        ServiceEditor *edit = ServiceEditor::edit(m_path, *load(m_path).service(u"api"_s), &parent);
        QCOMPARE(edit->mode(), ServiceEditor::Mode::Edit);
        QVERIFY(edit->isVisible());
        edit->close();

        QString error;
        QVERIFY(!ServiceEditor::remove(m_path, u"nope"_s, &error));
        QVERIFY2(error.contains(u"there is no service \"nope\""_s), qPrintable(error));
        QVERIFY2(ServiceEditor::remove(m_path, u"api"_s, &error), qPrintable(error));
        QCOMPARE(load(m_path).services.size(), 0);
        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), kConfig);
        QVERIFY(readAll(m_path).contains("# Cleanup.\n[recovery]\nbackup_logs = false\n"));
    }

    void browseFillsTheWorkingFolder()
    {
        ServiceEditor e(m_path, ServiceEditor::Mode::Add);
        e.show();
        e.browseButton()->click();
        QFileDialog *fd = e.findChild<QFileDialog *>();
        QVERIFY(fd);
        QVERIFY(fd->isVisible());
        QCOMPARE(fd->fileMode(), QFileDialog::Directory);
        emit fd->fileSelected(m_dir.path());
        QCOMPARE(e.cwdEdit()->text(), m_dir.path());
        fd->reject();
    }

    void commandLineRoundTrip_data()
    {
        QTest::addColumn<QStringList>("argv");
        QTest::newRow("plain") << QStringList{u"python3"_s, u"-m"_s, u"http.server"_s, u"8000"_s};
        QTest::newRow("spaces") << QStringList{u"node"_s, u"my app.js"_s, u""_s};
        QTest::newRow("quotes") << QStringList{u"sh"_s, u"-c"_s, u"echo 'hi' \"there\" $HOME \\"_s};
        QTest::newRow("unicode") << QStringList{u"/opt/d\u00e9mo/run"_s, u"--name=\u00fcber"_s};
    }

    void commandLineRoundTrip()
    {
        QFETCH(QStringList, argv);
        const QString line = ServiceEditor::joinCommandLine(argv);
        QCOMPARE(splitCommandLine(line).value_or(QStringList{u"<error>"_s}), argv);
    }
};

QTEST_MAIN(TestServiceEditor)
#include "tst_serviceeditor.moc"
