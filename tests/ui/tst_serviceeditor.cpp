// ServiceEditor offscreen on a real configuration file, driven with the
// mouse and keyboard: every field round-trips through the file, nothing
// unset is written, errors land on the field that caused them (the file
// stays byte for byte), and labels are real buddies.
#include "config/configloader.h"
#include "config/configwriter.h"
#include "serviceeditor.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStyle>
#include <QStyleOptionViewItem>
#include <QTabBar>
#include <QTabWidget>
#include <QTableWidget>
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

// Two services, the edited one first, with a comment that must stay.
const QByteArray kTwoServices = "[settings]\n"
                                "state_dir = \"state\"\n"
                                "\n"
                                "[[service]]\n"
                                "name = \"api\"\n"
                                "command = [\"python3\", \"main.py\"]\n"
                                "env = { PORT = \"8000\" }\n"
                                "ports = [8000]\n"
                                "[service.health]\n"
                                "url = \"http://127.0.0.1:8000/health\"\n"
                                "\n"
                                "# The database.\n"
                                "[[service]]\n"
                                "name = \"db\"\n"
                                "command = [\"db\"]\n";

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
    bool show(ServiceEditor &e)
    {
        e.show();
        e.activateWindow();
        return QTest::qWaitForWindowActive(&e);
    }
    void selectTab(ServiceEditor &e, int tab)
    {
        QTabBar *bar = e.tabs()->tabBar();
        QTest::mouseClick(bar, Qt::LeftButton, {}, bar->tabRect(tab).center());
        QCOMPARE(e.tabs()->currentIndex(), tab);
    }
    // Selects what a field holds and types over it.
    static void retype(QLineEdit *edit, const QString &text)
    {
        edit->setFocus();
        QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
        QTest::keyClick(edit, Qt::Key_Delete);
        QTest::keyClicks(edit, text);
    }
    // A click on a check box's box (the widget may be wider than its text).
    static void clickBox(QCheckBox *box)
    {
        const int side = box->style()->pixelMetric(QStyle::PM_IndicatorWidth, nullptr, box);
        QTest::mouseClick(box, Qt::LeftButton, {}, QPoint(side / 2 + 1, box->height() / 2));
    }
    // A click on the item's check box, where the style draws it.
    static void clickCheck(QListWidget *list, QListWidgetItem *item)
    {
        QStyleOptionViewItem opt;
        opt.initFrom(list->viewport());
        opt.rect = list->visualItemRect(item);
        opt.features = QStyleOptionViewItem::HasCheckIndicator | QStyleOptionViewItem::HasDisplay;
        opt.text = item->text();
        const QRect check = list->style()->subElementRect(QStyle::SE_ItemViewItemCheckIndicator, &opt, list);
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, check.center());
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
        QFile::remove(ConfigWriter::backupPath(m_path));
    }

    void rejectsInvalidEntriesOnTheirField_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("ports");
        QTest::addColumn<QString>("memory");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("message");
        QTest::newRow("port 70000") << u"web"_s << u"node server.js"_s << u"3000, 70000"_s << QString()
                                    << u"ports"_s << u"ports[1]: must be between 1 and 65535, got 70000"_s;
        QTest::newRow("port not a number") << u"web"_s << u"node server.js"_s << u"http"_s << QString()
                                           << u"ports"_s << u"ports[0]: expected an integer, got a string"_s;
        // Line 7 is where "api" is named in the file: a line that exists.
        QTest::newRow("duplicate name")
            << u"api"_s << u"node server.js"_s << QString() << QString() << u"name"_s
            << u"duplicate service name \"api\" (first defined at line 7)"_s;
        QTest::newRow("port taken by api") << u"web"_s << u"node"_s << u"8000"_s << QString() << u"ports"_s
                                           << u"port 8000 is already used by service \"api\""_s;
        QTest::newRow("bad name") << u"my web"_s << u"node"_s << QString() << QString() << u"name"_s
                                  << u"invalid name \"my web\""_s;
        QTest::newRow("empty name") << QString() << u"node"_s << QString() << QString() << u"name"_s
                                    << u"must not be empty"_s;
        QTest::newRow("no command") << u"web"_s << QString() << QString() << QString() << u"command"_s
                                    << u"must not be empty"_s;
        QTest::newRow("bad memory") << u"web"_s << u"node"_s << QString() << u"5 parsecs"_s
                                    << u"memory_limit"_s << u"\"5 parsecs\" is not a size"_s;
    }

    void rejectsInvalidEntriesOnTheirField()
    {
        QFETCH(QString, name);
        QFETCH(QString, command);
        QFETCH(QString, ports);
        QFETCH(QString, memory);
        QFETCH(QString, key);
        QFETCH(QString, message);
        ServiceEditor e(m_path, ServiceEditor::Mode::Add);
        QSignalSpy saved(&e, &ServiceEditor::saved);
        fill(e, name, command, ports, memory);
        e.tabs()->setCurrentIndex(ServiceEditor::HealthTab);
        QVERIFY(!clickOk(e));
        QVERIFY(e.isVisible()); // stays open for a fix
        QLabel *under = e.fieldErrorLabel(key);
        QVERIFY(under);
        QVERIFY(under->isVisible());
        QVERIFY2(under->text().contains(message), qPrintable(under->text()));
        // The field is marked, its tab shown, and the cursor put there.
        QVERIFY(e.fieldFor(key)->property("invalid").toBool());
        QCOMPARE(e.tabs()->currentIndex(), int(ServiceEditor::GeneralTab));
        QCOMPARE(e.focusWidget(), e.fieldFor(key));
        // Never a line of a file that does not exist yet.
        QVERIFY2(!under->text().contains(m_path), qPrintable(under->text()));
        QVERIFY(e.errorLabel()->isHidden());
        QCOMPARE(saved.size(), 0);
        QCOMPARE(readAll(m_path), kConfig);
        QVERIFY(!QFile::exists(ConfigWriter::backupPath(m_path)));

        // Fixed, the marks go.
        fill(e, u"web2"_s, u"node"_s, QString());
        QVERIFY(clickOk(e));
        QVERIFY(under->isHidden());
        QVERIFY(!e.fieldFor(key)->property("invalid").toBool());
    }

    void unterminatedQuoteInTheCommand()
    {
        ServiceEditor e(m_path, ServiceEditor::Mode::Add);
        fill(e, u"web"_s, u"node 'server.js"_s, QString());
        QVERIFY(!clickOk(e));
        QVERIFY2(e.fieldErrorLabel(u"command"_s)->text().contains(u"unterminated ' quote"_s),
                 qPrintable(e.fieldErrorLabel(u"command"_s)->text()));
        QCOMPARE(e.focusWidget(), e.commandEdit());
        QCOMPARE(readAll(m_path), kConfig);
    }

    void addsAValidServiceAtomicallyWithBackup()
    {
        ServiceEditor e(m_path, ServiceEditor::Mode::Add);
        QSignalSpy saved(&e, &ServiceEditor::saved);
        // First a mistake, then the fix in the same dialog.
        fill(e, u"web"_s, u"node server.js --title 'my app'"_s, u"3000, 70000"_s, u"256MB"_s);
        QVERIFY(!clickOk(e));
        QVERIFY(e.fieldErrorLabel(u"ports"_s)->isVisible());
        e.portsEdit()->setText(u" 3000 , 3001 "_s);
        e.cwdEdit()->setText(u"~/web"_s);
        e.healthKindCombo()->setCurrentIndex(e.healthKindCombo()->findData(u"url"_s));
        e.healthTargetEdit()->setText(u"http://127.0.0.1:3000/health"_s);
        e.restartCombo()->setCurrentIndex(e.restartCombo()->findText(u"always"_s));
        QVERIFY(clickOk(e));
        QVERIFY(e.fieldErrorLabel(u"ports"_s)->isHidden());
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
        QCOMPARE(e.healthKindCombo()->currentData().toString(), u"url"_s);
        QCOMPARE(e.healthTargetEdit()->text(), u"http://127.0.0.1:8000/health"_s);
        QCOMPARE(e.restartCombo()->currentText(), u"on-failure"_s);
        QVERIFY(e.memoryLimitEdit()->text().isEmpty());
        QCOMPARE(e.textField(u"max_restarts"_s)->text(), u"4"_s);
        QCOMPARE(e.textField(u"health.interval"_s)->text(), u"10s"_s);

        e.portsEdit()->setText(u"8001"_s);
        e.healthTargetEdit()->setText(u"http://127.0.0.1:8001/health"_s);
        e.memoryLimitEdit()->setText(u"1GiB"_s);
        QVERIFY(clickOk(e));
        const ServiceSpec api = *load(m_path).service(u"api"_s);
        QCOMPARE(api.ports, QList<quint16>{8001});
        QCOMPARE(api.health.url, u"http://127.0.0.1:8001/health"_s);
        QCOMPARE(api.memoryLimit, 1LL << 30);
        // Not changed in the form, kept from the file:
        QCOMPARE(api.env.value(u"PORT"_s), u"8000"_s);
        QCOMPARE(api.maxRestarts, 4);
        QCOMPARE(api.health.interval, std::chrono::milliseconds(10'000));
        QCOMPARE(readAll(ConfigWriter::backupPath(m_path)), kConfig);

        // "No health check" removes it with its timings; an edited memory
        // limit is shown as written.
        ServiceEditor again(m_path, ServiceEditor::Mode::Edit, api);
        QCOMPARE(again.memoryLimitEdit()->text(), u"1GiB"_s);
        again.healthKindCombo()->setCurrentIndex(0);
        QVERIFY(clickOk(again));
        QVERIFY(!load(m_path).service(u"api"_s)->health.enabled());
    }

    void editRejectedLeavesTheFileAlone()
    {
        const Config before = load(m_path);
        ServiceEditor e(m_path, ServiceEditor::Mode::Edit, *before.service(u"api"_s));
        e.healthTargetEdit()->setText(u"ftp://example.org"_s);
        QVERIFY(!clickOk(e));
        QLabel *under = e.fieldErrorLabel(u"health.url"_s);
        QVERIFY2(under->text().startsWith(u"\"ftp://example.org\" is not an http or https URL"_s),
                 qPrintable(under->text()));
        QCOMPARE(e.tabs()->currentIndex(), int(ServiceEditor::HealthTab));
        QCOMPARE(e.focusWidget(), e.healthTargetEdit());
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

    void everyFieldRoundTripsThroughTheFile()
    {
        writeAll(m_path, kTwoServices);
        const Config before = load(m_path);
        {
            ServiceEditor e(m_path, ServiceEditor::Mode::Edit, *before.service(u"api"_s));
            QVERIFY(show(e));

            // Environment: a new variable typed into the table, PORT removed.
            selectTab(e, ServiceEditor::EnvironmentTab);
            QTableWidget *env = e.envTable();
            QCOMPARE(env->rowCount(), 1);
            QTest::mouseClick(e.addEnvButton(), Qt::LeftButton);
            QCOMPARE(env->rowCount(), 2);
            QTest::keyClicks(QApplication::focusWidget(), u"MODE"_s);
            QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab); // on to the value
            QTest::keyClicks(QApplication::focusWidget(), u"prod x"_s);
            QTest::keyClick(QApplication::focusWidget(), Qt::Key_Return);
            QTest::mouseClick(env->viewport(), Qt::LeftButton, {},
                              env->visualItemRect(env->item(0, 0)).center());
            QTest::mouseClick(e.removeEnvButton(), Qt::LeftButton);
            QCOMPARE(env->rowCount(), 1);

            // General: autostart off, depends on db, ports and memory typed.
            selectTab(e, ServiceEditor::GeneralTab);
            clickBox(e.autostartBox());
            QVERIFY(!e.autostartBox()->isChecked());
            QListWidget *deps = e.dependsOnList();
            QCOMPARE(deps->count(), 1);
            QCOMPARE(deps->item(0)->text(), u"db"_s);
            clickCheck(deps, deps->item(0));
            QCOMPARE(deps->item(0)->checkState(), Qt::Checked);
            retype(e.portsEdit(), u"8000, 8002"_s);
            retype(e.memoryLimitEdit(), u"100MiB"_s);

            // Restart policy.
            selectTab(e, ServiceEditor::RestartTab);
            e.restartCombo()->setFocus();
            QTest::keyClick(e.restartCombo(), Qt::Key_Down); // on-failure -> always
            QCOMPARE(e.restartCombo()->currentText(), u"always"_s);
            retype(e.textField(u"restart_delay"_s), u"1s"_s);
            retype(e.textField(u"backoff_factor"_s), u"1.5"_s);
            retype(e.textField(u"backoff_max"_s), u"2m"_s);
            retype(e.textField(u"max_restarts"_s), u"7"_s);
            retype(e.textField(u"restart_window"_s), u"10m"_s);
            retype(e.textField(u"stable_after"_s), u"30s"_s);

            // Health: from a URL to a TCP check.
            selectTab(e, ServiceEditor::HealthTab);
            e.healthKindCombo()->setFocus();
            QTest::keyClick(e.healthKindCombo(), Qt::Key_Down); // url -> tcp
            QCOMPARE(e.healthKindCombo()->currentData().toString(), u"tcp"_s);
            retype(e.healthTargetEdit(), u"127.0.0.1:8002"_s);
            retype(e.textField(u"health.interval"_s), u"20s"_s);
            retype(e.textField(u"health.timeout"_s), u"2s"_s);
            retype(e.textField(u"health.failures"_s), u"5"_s);
            clickBox(e.restartOnUnhealthyBox());
            QVERIFY(e.restartOnUnhealthyBox()->isChecked());

            QTest::mouseClick(e.buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
            QCOMPARE(e.result(), int(QDialog::Accepted));
        }

        const Config after = load(m_path);
        QCOMPARE(after.services.size(), 2);
        const ServiceSpec api = *after.service(u"api"_s);
        QCOMPARE(api.env, (QHash<QString, QString>{{u"MODE"_s, u"prod x"_s}}));
        QCOMPARE(api.autostart, false);
        QCOMPARE(api.dependsOn, QStringList{u"db"_s});
        QCOMPARE(api.ports, (QList<quint16>{8000, 8002}));
        QCOMPARE(api.memoryLimit, 100LL << 20);
        QCOMPARE(api.restart, RestartPolicy::Always);
        QCOMPARE(api.restartDelay, Millis(1'000));
        QCOMPARE(api.backoffFactor, 1.5);
        QCOMPARE(api.backoffMax, Millis(120'000));
        QCOMPARE(api.maxRestarts, 7);
        QCOMPARE(api.restartWindow, Millis(600'000));
        QCOMPARE(api.stableAfter, Millis(30'000));
        QCOMPARE(api.health.kind, HealthSpec::Kind::Tcp);
        QCOMPARE(api.health.tcpPort, quint16(8002));
        QCOMPARE(api.health.interval, Millis(20'000));
        QCOMPARE(api.health.timeout, Millis(2'000));
        QCOMPARE(api.health.failures, 5);
        QCOMPARE(api.health.restartOnUnhealthy, true);
        // In the unit it was typed in; the other service and the comments untouched.
        const QByteArray text = readAll(m_path);
        QVERIFY2(text.contains("memory_limit = \"100MiB\"\n"), text.constData());
        QVERIFY(text.contains("# The database.\n[[service]]\nname = \"db\"\ncommand = [\"db\"]\n"));

        // Opened again, the form shows what was saved.
        ServiceEditor again(m_path, ServiceEditor::Mode::Edit, api);
        QCOMPARE(again.envTable()->rowCount(), 1);
        QCOMPARE(again.envTable()->item(0, 0)->text(), u"MODE"_s);
        QCOMPARE(again.envTable()->item(0, 1)->text(), u"prod x"_s);
        QVERIFY(!again.autostartBox()->isChecked());
        QCOMPARE(again.dependsOnList()->item(0)->checkState(), Qt::Checked);
        QCOMPARE(again.portsEdit()->text(), u"8000, 8002"_s);
        QCOMPARE(again.memoryLimitEdit()->text(), u"100MiB"_s);
        QCOMPARE(again.restartCombo()->currentText(), u"always"_s);
        QCOMPARE(again.textField(u"restart_delay"_s)->text(), u"1s"_s);
        QCOMPARE(again.textField(u"backoff_factor"_s)->text(), u"1.5"_s);
        QCOMPARE(again.textField(u"backoff_max"_s)->text(), u"2m"_s);
        QCOMPARE(again.textField(u"max_restarts"_s)->text(), u"7"_s);
        QCOMPARE(again.textField(u"restart_window"_s)->text(), u"10m"_s);
        QCOMPARE(again.textField(u"stable_after"_s)->text(), u"30s"_s);
        QCOMPARE(again.healthKindCombo()->currentData().toString(), u"tcp"_s);
        QCOMPARE(again.healthTargetEdit()->text(), u"127.0.0.1:8002"_s);
        QCOMPARE(again.textField(u"health.interval"_s)->text(), u"20s"_s);
        QCOMPARE(again.textField(u"health.timeout"_s)->text(), u"2s"_s);
        QCOMPARE(again.textField(u"health.failures"_s)->text(), u"5"_s);
        QVERIFY(again.restartOnUnhealthyBox()->isChecked());
    }

    void noDefaultIsWrittenThatThePersonDidNotSet()
    {
        // interval alone gives the check a 1s timeout (the loader adapts
        // it); max_restarts = 10 is the default, written on purpose.
        const QByteArray original = "[[service]]\n"
                                    "name = \"api\"\n"
                                    "command = [\"python3\", \"main.py\"]\n"
                                    "max_restarts = 10\n"
                                    "[service.health]\n"
                                    "url = \"http://127.0.0.1:8000/health\"\n"
                                    "interval = \"1s\"\n";
        writeAll(m_path, original);
        const ServiceSpec api = *load(m_path).service(u"api"_s);
        QCOMPARE(api.health.timeout, Millis(1'000));
        ServiceEditor e(m_path, ServiceEditor::Mode::Edit, api);
        // Unset keys are empty fields that name the default.
        QVERIFY(e.textField(u"restart_delay"_s)->text().isEmpty());
        QVERIFY(e.textField(u"restart_delay"_s)->placeholderText().contains(u"3s"_s));
        QVERIFY(e.textField(u"health.timeout"_s)->text().isEmpty());
        QVERIFY(clickOk(e));
        QCOMPARE(readAll(m_path), original);

        // A new service with a name and a command gets just those.
        writeAll(m_path, original);
        ServiceEditor add(m_path, ServiceEditor::Mode::Add);
        fill(add, u"web"_s, u"node server.js"_s, QString());
        QVERIFY(clickOk(add));
        QCOMPARE(readAll(m_path),
                 original + "\n[[service]]\nname = \"web\"\ncommand = [\"node\", \"server.js\"]\n");
    }

    void duplicateNameLandsOnTheNameField()
    {
        // api comes first: the loader finds the duplicate at db, below.
        writeAll(m_path, kTwoServices);
        ServiceEditor e(m_path, ServiceEditor::Mode::Edit, *load(m_path).service(u"api"_s));
        QVERIFY(show(e));
        selectTab(e, ServiceEditor::HealthTab);
        retype(e.nameEdit(), u"db"_s);
        QTest::mouseClick(e.buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QVERIFY(e.isVisible());
        QVERIFY2(e.fieldErrorLabel(u"name"_s)->text() ==
                     u"another service is already called \"db\" (line 14)"_s,
                 qPrintable(e.fieldErrorLabel(u"name"_s)->text()));
        QCOMPARE(e.tabs()->currentIndex(), int(ServiceEditor::GeneralTab));
        QCOMPARE(QApplication::focusWidget(), e.nameEdit());
        QCOMPARE(readAll(m_path), kTwoServices);
    }

    void labelsAreBuddiesWithoutALiteralAmpersand()
    {
        ServiceEditor e(m_path, ServiceEditor::Mode::Edit, *load(m_path).service(u"api"_s));
        QVERIFY(show(e));
        QLabel *cwdLabel = nullptr;
        for (QLabel *label : e.findChildren<QLabel *>()) {
            // A '&' in a label without a buddy would be shown as it is.
            if (label->text().contains(u'&'))
                QVERIFY2(label->buddy(), qPrintable(label->text()));
            if (label->buddy() == e.cwdEdit())
                cwdLabel = label;
        }
        QVERIFY(cwdLabel);
        QCOMPARE(cwdLabel->text(), u"&Working folder:"_s);
        // Alt+W goes to the working folder, as the underlined W says.
        QTest::keyClick(&e, Qt::Key_W, Qt::AltModifier);
        QCOMPARE(QApplication::focusWidget(), e.cwdEdit());
    }

    void noTwoMnemonicsClashOnATab()
    {
        ServiceEditor e(m_path, ServiceEditor::Mode::Edit, *load(m_path).service(u"api"_s));
        const auto mnemonic = [](const QString &text) {
            const qsizetype at = text.indexOf(u'&');
            return at >= 0 && at + 1 < text.size() ? text.at(at + 1).toLower() : QChar();
        };
        QStringList tabKeys;
        for (int t = 0; t < e.tabs()->count(); ++t)
            tabKeys << QString(mnemonic(e.tabs()->tabText(t)));
        for (int t = 0; t < e.tabs()->count(); ++t) {
            // What Alt+letter can reach while this tab shows: the tabs, its
            // labels and buttons.
            QStringList keys = tabKeys;
            for (QLabel *label : e.tabs()->widget(t)->findChildren<QLabel *>())
                keys << QString(mnemonic(label->text()));
            for (QPushButton *button : e.tabs()->widget(t)->findChildren<QPushButton *>())
                keys << QString(mnemonic(button->text()));
            keys.removeAll(QString(QChar()));
            keys.removeAll(QString());
            for (const QString &k : std::as_const(keys))
                QVERIFY2(keys.count(k) == 1, qPrintable(u"Alt+%1 on tab %2"_s.arg(k).arg(t)));
        }
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
