// A full disk under a real `lifeline --headless` (issue 10, item 12): the
// state_dir sits on a 2 MB tmpfs, a service floods its log until the disk is
// full. The service must keep running (its logger drains the pipe and drops
// lines, never exits), `status --json` must count the dropped lines, and when
// space returns the log must say how many lines were lost.
//
// The tmpfs lives in a private mount namespace (`unshare -Urm`, no privilege
// needed where user namespaces are allowed); the test reaches its files
// through /proc/PID/root of the Lifeline inside it. Where that is not allowed
// (a locked-down container), the test skips and says why.
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

// $1 mount point, $2 lifeline, $3 config, $4 socket. 77: no tmpfs here.
constexpr char kInNamespace[] = "mount -t tmpfs -o size=2m tmpfs \"$1\" || exit 77\n"
                                "mkdir \"$1/state\" && head -c 1048576 /dev/zero > \"$1/filler\" || exit 78\n"
                                "exec \"$2\" --headless --config \"$3\" --socket \"$4\"\n";

} // namespace

class TestHostileDisk : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QProcess m_lifeline;
    QByteArray m_stderr;

    QString mountPoint() const { return m_dir.filePath(u"mnt"_s); }
    QString socketPath() const { return m_dir.filePath(u"ctl.sock"_s); }
    // A path inside the private mount, as seen from outside it.
    QString inside(const QString &relative) const
    {
        return u"/proc/%1/root%2/%3"_s.arg(m_lifeline.processId()).arg(mountPoint(), relative);
    }

    // What `lifelinectl status --json` says about one service (the public contract).
    QJsonObject service(const QString &name)
    {
        QProcess ctl;
        ctl.start(QStringLiteral(LIFELINE_CTL), {u"--socket"_s, socketPath(), u"status"_s, u"--json"_s});
        if (!ctl.waitForFinished(15000) || ctl.exitCode() != 0)
            return {};
        const QJsonArray services =
            QJsonDocument::fromJson(ctl.readAllStandardOutput()).object().value(u"services"_s).toArray();
        const auto it = std::find_if(services.begin(), services.end(), [&](const QJsonValue &v) {
            return v.toObject().value(u"name"_s).toString() == name;
        });
        return it == services.end() ? QJsonObject() : it->toObject();
    }

    QByteArray readInside(const QString &relative) const
    {
        QFile f(inside(relative));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir(m_dir.path()).mkdir(u"mnt"_s));
        const QString unshare = QStandardPaths::findExecutable(u"unshare"_s);
        if (unshare.isEmpty())
            QSKIP("unshare(1) is not installed: no private mount namespace for a small tmpfs");
        QProcess probe;
        probe.start(unshare, {u"-Urm"_s, u"sh"_s, u"-c"_s, u"mount -t tmpfs -o size=1m tmpfs \"$1\""_s,
                              u"sh"_s, mountPoint()});
        QVERIFY(probe.waitForFinished(15000));
        if (probe.exitStatus() != QProcess::NormalExit || probe.exitCode() != 0)
            QSKIP(qPrintable(u"cannot mount a tmpfs in a private namespace here (unshare -Urm): "_s +
                             QString::fromLocal8Bit(probe.readAllStandardError()).trimmed()));
    }

    void cleanup()
    {
        if (m_lifeline.state() != QProcess::NotRunning) {
            m_lifeline.terminate();
            if (!m_lifeline.waitForFinished(20000)) {
                m_lifeline.kill();
                m_lifeline.waitForFinished(5000);
            }
        }
    }

    void fullDiskDropsLinesButServiceLives()
    {
        const QString config = m_dir.filePath(u"lifeline.toml"_s);
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[settings]\nstate_dir = \"" + mountPoint().toUtf8() +
                "/state\"\non_exit = \"stop\"\n"
                "\n[[service]]\nname = \"flood\"\n"
                "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                QByteArray::number(freePort()) +
                "\", \"--name\", \"flood\", \"--flood\", \"50000\"]\n"
                "stop_timeout = \"3s\"\n"
                "[service.logs]\nmax_size = \"100MB\"\n");
        f.close();

        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"LIFELINE_LOGGER"_s, QStringLiteral(LIFELINE_LOGGER));
        m_lifeline.setProcessEnvironment(env);
        connect(&m_lifeline, &QProcess::readyReadStandardError, this,
                [this] { m_stderr += m_lifeline.readAllStandardError(); });
        m_lifeline.start(QStandardPaths::findExecutable(u"unshare"_s),
                         {u"-Urm"_s, u"sh"_s, u"-c"_s, QString::fromLatin1(kInNamespace), u"sh"_s,
                          mountPoint(), QStringLiteral(LIFELINE_BIN), config, socketPath()});
        QVERIFY(m_lifeline.waitForStarted(10000));

        // The flood fills the last megabyte within a second or two; the logger then drops lines.
        QTRY_VERIFY_WITH_TIMEOUT(service(u"flood"_s).value(u"logs_dropped"_s).toInteger() > 0, 30000);
        const QJsonObject dropping = service(u"flood"_s);
        QCOMPARE(dropping.value(u"state"_s).toString(), u"running"_s);
        const qint64 pid = dropping.value(u"pid"_s).toInteger();
        QVERIFY(pid > 0);
        QVERIFY2(m_lifeline.state() == QProcess::Running, m_stderr.constData());

        // Space comes back: the next write says what was lost, then the flood goes on.
        QVERIFY(QFile::remove(inside(u"filler"_s)));
        QTRY_VERIFY_WITH_TIMEOUT(
            readInside(u"state/logs/flood.log"_s).contains(" lines dropped: no space left on device]\n"),
            20000);
        const QByteArray log = readInside(u"state/logs/flood.log"_s);
        QVERIFY(log.contains("[lifeline: "));

        // The same process all along: never blocked, never killed by SIGPIPE, never restarted.
        const QJsonObject after = service(u"flood"_s);
        QCOMPARE(after.value(u"state"_s).toString(), u"running"_s);
        QCOMPARE(after.value(u"pid"_s).toInteger(), pid);
        QCOMPARE(after.value(u"restarts"_s).toInteger(), 0);
        // The event of the drop (written when there was room again) and of the resume.
        QTRY_VERIFY_WITH_TIMEOUT(readInside(u"state/lifeline.log"_s).contains("lines were dropped"), 10000);
        QVERIFY(
            readInside(u"state/lifeline.log"_s).contains("dropping its lines, the service keeps running"));
    }
};

QTEST_GUILESS_MAIN(TestHostileDisk)
#include "tst_hostile_disk.moc"
