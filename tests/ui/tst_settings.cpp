// SettingsDialog offscreen: app preferences go to QSettings (test mode) and
// come back, on_exit goes into the configuration file through ConfigWriter,
// and "start at login" writes and removes a real XDG autostart entry under
// a temporary XDG_CONFIG_HOME.
#include "config/configloader.h"
#include "config/configwriter.h"
#include "metricschart.h"
#include "platform/autostart.h"
#include "settingsdialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

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

const QByteArray kConfig = "# my services\n"
                           "[settings]\n"
                           "on_exit = \"ask\"   # what quitting does\n"
                           "\n"
                           "[[service]]\n"
                           "name = \"api\"\n"
                           "command = [\"python3\", \"main.py\"]\n";

} // namespace

class TestSettings : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_config;
    QString m_xdg;

    void clickApply(SettingsDialog &d) { d.buttons()->button(QDialogButtonBox::Apply)->click(); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"lifeline-tests"_s);
        QCoreApplication::setApplicationName(u"tst_settings"_s);
        qRegisterMetaType<OnExit>();
    }

    void init()
    {
        QSettings().clear();
        m_config = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + u".toml"_s);
        writeAll(m_config, kConfig);
        m_xdg = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + u"-xdg"_s);
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_xdg));
    }

    void preferencesAreStoredAndReadBack()
    {
        QVERIFY(SettingsDialog::notificationsEnabled());
        QCOMPARE(SettingsDialog::defaultRange(), int(ChartRange::FiveMinutes));

        SettingsDialog d(m_config, OnExit::Ask);
        QVERIFY(d.notificationsBox()->isChecked());
        QCOMPARE(d.rangeCombo()->count(), 4);
        QCOMPARE(d.rangeCombo()->currentText(), u"5 min"_s);
        QSignalSpy notif(&d, &SettingsDialog::notificationsChanged);
        QSignalSpy range(&d, &SettingsDialog::defaultRangeChanged);
        QSignalSpy onExit(&d, &SettingsDialog::onExitChanged);

        d.notificationsBox()->setChecked(false);
        d.rangeCombo()->setCurrentIndex(d.rangeCombo()->findText(u"24 h"_s));
        clickApply(d);
        QCOMPARE(notif.size(), 1);
        QCOMPARE(notif.at(0).at(0).toBool(), false);
        QCOMPARE(range.size(), 1);
        QCOMPARE(range.at(0).at(0).toInt(), int(ChartRange::OneDay));
        QCOMPARE(onExit.size(), 0);
        QVERIFY(d.errorLabel()->isHidden());

        // Read back: the accessors, a fresh QSettings and a new dialog.
        QVERIFY(!SettingsDialog::notificationsEnabled());
        QCOMPARE(SettingsDialog::defaultRange(), int(ChartRange::OneDay));
        QSettings s;
        s.sync();
        QCOMPARE(s.value(u"notifications/enabled"_s).toBool(), false);
        QCOMPARE(s.value(u"charts/defaultRange"_s).toInt(), int(ChartRange::OneDay));
        SettingsDialog again(m_config, OnExit::Ask);
        QVERIFY(!again.notificationsBox()->isChecked());
        QCOMPARE(again.rangeCombo()->currentText(), u"24 h"_s);

        // Nothing changed: no signals, and the config file is not rewritten.
        clickApply(d);
        QCOMPARE(notif.size(), 1);
        QCOMPARE(range.size(), 1);
        QCOMPARE(readAll(m_config), kConfig);
        QVERIFY(!QFile::exists(ConfigWriter::backupPath(m_config)));

        // A garbage value in the settings falls back to the default.
        s.setValue(u"charts/defaultRange"_s, 42);
        QCOMPARE(SettingsDialog::defaultRange(), int(ChartRange::FiveMinutes));
    }

    void onExitIsWrittenToTheConfigFile()
    {
        SettingsDialog d(m_config, OnExit::Ask);
        QCOMPARE(d.onExitCombo()->currentData().toInt(), int(OnExit::Ask));
        QSignalSpy onExit(&d, &SettingsDialog::onExitChanged);
        d.onExitCombo()->setCurrentIndex(d.onExitCombo()->findData(int(OnExit::Keep)));
        d.open();
        d.buttons()->button(QDialogButtonBox::Ok)->click();
        QCOMPARE(d.result(), int(QDialog::Accepted));
        QCOMPARE(onExit.size(), 1);
        QCOMPARE(onExit.at(0).at(0).value<OnExit>(), OnExit::Keep);

        const LoadResult r = ConfigLoader::loadFile(m_config);
        QVERIFY(r.ok());
        QCOMPARE(r.config->settings.onExit, OnExit::Keep);
        QByteArray expected = kConfig;
        expected.replace("on_exit = \"ask\"", "on_exit = \"keep\"");
        QCOMPARE(readAll(m_config), expected); // the comments are still there
        QCOMPARE(readAll(ConfigWriter::backupPath(m_config)), kConfig);
    }

    void onExitWriteFailureKeepsTheDialogOpen()
    {
        const QByteArray broken = kConfig + "ports = [70000]\n";
        writeAll(m_config, broken);
        SettingsDialog d(m_config, OnExit::Ask);
        QSignalSpy onExit(&d, &SettingsDialog::onExitChanged);
        d.onExitCombo()->setCurrentIndex(d.onExitCombo()->findData(int(OnExit::Stop)));
        d.show();
        QVERIFY(QTest::qWaitForWindowExposed(&d));
        d.buttons()->button(QDialogButtonBox::Ok)->click();
        QVERIFY(d.isVisible());
        QCOMPARE(d.result(), int(QDialog::Rejected)); // not accepted
        QVERIFY(d.errorLabel()->isVisible());
        const QRegularExpression where(u"^"_s + QRegularExpression::escape(m_config) +
                                       u":8:10: error: service \"api\": ports\\[0\\]: must be between 1 and "
                                       u"65535, got 70000$"_s);
        QVERIFY2(where.match(d.errorLabel()->text()).hasMatch(), qPrintable(d.errorLabel()->text()));
        QCOMPARE(onExit.size(), 0);
        QCOMPARE(readAll(m_config), broken);
        // The error is red.
        QVERIFY(d.errorLabel()->styleSheet().contains(u"color"_s));
    }

    void noConfigDisablesOnExit()
    {
        SettingsDialog d(QString(), OnExit::Stop);
        QVERIFY(!d.onExitCombo()->isEnabled());
        QCOMPARE(d.onExitCombo()->currentData().toInt(), int(OnExit::Stop));
        QVERIFY(d.apply());
    }

    void autostartEntryIsWrittenAndRemoved()
    {
        const QString entry = m_xdg + u"/autostart/lifeline.desktop"_s;
        QCOMPARE(Autostart::desktopFilePath(), entry);
        QVERIFY(!Autostart::isEnabled());

        SettingsDialog d(m_config, OnExit::Ask);
        d.setProgramPath(u"/opt/Life line/lifeline"_s);
        QVERIFY(!d.startAtLoginBox()->isChecked());
        QSignalSpy changed(&d, &SettingsDialog::autostartChanged);
        d.startAtLoginBox()->setChecked(true);
        clickApply(d);
        QVERIFY2(d.errorLabel()->isHidden(), qPrintable(d.errorLabel()->text()));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(0).toBool(), true);
        QVERIFY(Autostart::isEnabled());
        const QByteArray text = readAll(entry);
        QVERIFY2(text.startsWith("[Desktop Entry]\n"), text.constData());
        QVERIFY(text.contains("\nType=Application\n"));
        const QByteArray exec =
            "\nExec=\"/opt/Life line/lifeline\" --minimized --config " + QFile::encodeName(m_config) + "\n";
        QVERIFY2(text.contains(exec), text.constData());
        // A new dialog shows it enabled.
        QVERIFY(SettingsDialog(m_config, OnExit::Ask).startAtLoginBox()->isChecked());

        d.startAtLoginBox()->setChecked(false);
        clickApply(d);
        QCOMPARE(changed.size(), 2);
        QCOMPARE(changed.at(1).at(0).toBool(), false);
        QVERIFY(!QFile::exists(entry));
        QVERIFY(!Autostart::isEnabled());
    }

    void autostartDisabledByTheDesktopIsOff()
    {
        QVERIFY(Autostart::setEnabled(true, u"lifeline --minimized"_s));
        QVERIFY(Autostart::isEnabled());
        QFile f(Autostart::desktopFilePath());
        QVERIFY(f.open(QIODevice::Append));
        f.write("Hidden=true\n");
        f.close();
        QVERIFY(!Autostart::isEnabled());
        QVERIFY(Autostart::setEnabled(false, QString()));
        QVERIFY(!QFile::exists(Autostart::desktopFilePath()));
        QVERIFY(Autostart::setEnabled(false, QString())); // nothing to remove: fine
    }

    void autostartFailureIsShown()
    {
        // XDG_CONFIG_HOME is a file: the autostart folder cannot be created.
        writeAll(m_xdg, "not a folder");
        SettingsDialog d(m_config, OnExit::Ask);
        QSignalSpy changed(&d, &SettingsDialog::autostartChanged);
        QSignalSpy notif(&d, &SettingsDialog::notificationsChanged);
        d.startAtLoginBox()->setChecked(true);
        d.notificationsBox()->setChecked(false);
        QVERIFY(!d.apply());
        QCOMPARE(changed.size(), 0);
        QVERIFY(!d.errorLabel()->isHidden());
        QVERIFY2(d.errorLabel()->text().startsWith(u"cannot write the autostart entry "_s + m_xdg +
                                                   u"/autostart/lifeline.desktop: "_s),
                 qPrintable(d.errorLabel()->text()));
        // What could be applied was.
        QCOMPARE(notif.size(), 1);
        QVERIFY(!SettingsDialog::notificationsEnabled());
    }

    void relativeXdgConfigHomeIsIgnored()
    {
        qputenv("XDG_CONFIG_HOME", "relative/dir");
        QCOMPARE(Autostart::desktopFilePath(), QDir::homePath() + u"/.config/autostart/lifeline.desktop"_s);
        qunsetenv("XDG_CONFIG_HOME");
        QCOMPARE(Autostart::desktopFilePath(), QDir::homePath() + u"/.config/autostart/lifeline.desktop"_s);
    }

    void execLineQuoting()
    {
        QCOMPARE(Autostart::execLine(u"/usr/bin/lifeline"_s, u"/home/a/l.toml"_s),
                 u"/usr/bin/lifeline --minimized --config /home/a/l.toml"_s);
        const QString exec = Autostart::execLine(u"/a b/c\"d$"_s, u"/x%y"_s);
        QCOMPARE(exec, u"\"/a b/c\\\"d\\$\" --minimized --config /x%%y"_s);
        // In the file, each backslash of the quoting is itself escaped.
        QVERIFY(Autostart::desktopFileContents(exec).contains(
            "\nExec=\"/a b/c\\\\\"d\\\\$\" --minimized --config /x%%y\n"));
    }
};

QTEST_MAIN(TestSettings)
#include "tst_settings.moc"
