// Running out of file descriptors: a real `lifeline --headless` started
// under `prlimit --nofile=64:64`, flooded with connections to its control
// socket. The socket must survive, refuse with a reason while nothing is
// left, and answer again once the clients are gone.
#include "control/controlclient.h"
#include "control/controlpaths.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

using Headless = HeadlessProcess;

CtlRun lifelinectl(const QStringList &args)
{
    return runLifelinectl(args, 15000);
}

// "Max open files            64                   64                   files"
QStringList openFileLimits(qint64 pid)
{
    QFile limits(u"/proc/%1/limits"_s.arg(pid));
    if (!limits.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : limits.readAll().split('\n')) {
        if (line.startsWith("Max open files"))
            return QString::fromLatin1(line.mid(14)).split(u' ', Qt::SkipEmptyParts).mid(0, 2);
    }
    return {};
}

} // namespace

class TestHostileFds : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime; // XDG_RUNTIME_DIR of this test and of every child it starts
    QString m_prlimit;

    static QString writeConfig(const QTemporaryDir &dir)
    {
        const QByteArray toml = "[settings]\nstate_dir = \"" + dir.filePath(u"state"_s).toUtf8() +
                                "\"\non_exit = \"stop\"\n\n[[service]]\nname = \"sleeper\"\n"
                                "command = [\"/bin/sleep\", \"600\"]\nstop_timeout = \"3s\"\n";
        const QString path = dir.filePath(u"lifeline.toml"_s);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        f.write(toml);
        return path;
    }

    void startLimited(Headless &h, const QString &config, const QString &limit)
    {
        h.process.setProcessChannelMode(QProcess::MergedChannels);
        h.process.start(m_prlimit, {u"--nofile="_s + limit, u"--"_s, QStringLiteral(LIFELINE_BIN),
                                    u"--headless"_s, u"--config"_s, config});
    }

    static bool answers(const QString &socket)
    {
        const auto reply = ControlClient(socket, 2000).request({{u"cmd"_s, u"ping"_s}});
        return reply && reply->value(u"ok"_s).toBool();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
        m_prlimit = QStandardPaths::findExecutable(u"prlimit"_s);
        if (m_prlimit.isEmpty())
            QSKIP("prlimit (util-linux) is not installed");
    }

    // The soft limit is raised to the hard one at start.
    void softLimitIsRaisedToTheHardLimit()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir);
        Headless h;
        startLimited(h, config, u"64:4096"_s);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPathForConfig(config)), 15000);
        QCOMPARE(openFileLimits(h.process.processId()), (QStringList{u"4096"_s, u"4096"_s}));
        // ... for Lifeline only: the service gets the limit it was started under.
        qint64 servicePid = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            (servicePid = QJsonDocument::fromJson(
                              lifelinectl({u"--config"_s, config, u"status"_s, u"--json"_s}).out.toUtf8())
                              .object()[u"services"_s][0][u"pid"_s]
                              .toInteger()) > 0,
            15000);
        QCOMPARE(openFileLimits(servicePid), (QStringList{u"64"_s, u"4096"_s}));
    }

    // 150 clients against a Lifeline allowed 64 descriptors: those it cannot
    // take are refused with the reason, the socket stays, and once they are
    // gone lifelinectl works and a second Lifeline is still kept out.
    void controlSocketSurvivesRunningOutOfDescriptors()
    {
        QTemporaryDir dir;
        const QString config = writeConfig(dir);
        const QString socketPath = socketPathForConfig(config);
        Headless h;
        startLimited(h, config, u"64:64"_s);
        QTRY_VERIFY_WITH_TIMEOUT(answers(socketPath), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(lifelinectl({u"--config"_s, config, u"status"_s})
                                     .out.contains(QRegularExpression(u"sleeper +running"_s)),
                                 15000);

        // Each client asks once; what it hears back is kept.
        std::vector<std::unique_ptr<QLocalSocket>> clients;
        std::vector<QByteArray> heard(150);
        for (size_t i = 0; i < heard.size(); ++i) {
            auto &c = clients.emplace_back(std::make_unique<QLocalSocket>());
            QLocalSocket *socket = c.get();
            connect(socket, &QLocalSocket::readyRead, this,
                    [socket, &heard, i] { heard[i] += socket->readAll(); });
            socket->connectToServer(socketPath);
            socket->write("{\"cmd\":\"ping\"}\n");
        }
        // Every client is answered: served, or told why not.
        int served = 0;
        int refused = 0;
        const auto settled = [&] {
            served = 0;
            refused = 0;
            for (const QByteArray &answer : heard) {
                if (answer.contains("\"ok\":true"))
                    ++served;
                else if (answer.contains("out of file descriptors"))
                    ++refused;
            }
            return served + refused == int(heard.size());
        };
        QTRY_VERIFY2_WITH_TIMEOUT(settled(), qPrintable(u"served %1, refused %2"_s.arg(served).arg(refused)),
                                  30000);
        QVERIFY(served > 0);
        QVERIFY(refused > 0);
        QVERIFY2(QFileInfo::exists(socketPath), "the control socket file is gone");
        QCOMPARE(h.process.state(), QProcess::Running);

        for (auto &c : clients)
            c->abort();
        clients.clear();

        CtlRun status;
        QTRY_COMPARE_WITH_TIMEOUT((status = lifelinectl({u"--config"_s, config, u"status"_s})).exitCode, 0,
                                  20000);
        QVERIFY(status.out.contains(u"sleeper"_s));

        Headless second;
        second.process.setProcessChannelMode(QProcess::MergedChannels);
        second.process.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, config});
        QVERIFY(second.process.waitForFinished(15000));
        QCOMPARE(second.process.exitCode(), 1);
        QVERIFY(QString::fromUtf8(second.process.readAll()).contains(u"already running"_s));

        h.process.terminate();
        QVERIFY(h.process.waitForFinished(15000));
        const QString log = QString::fromUtf8(h.process.readAll());
        QVERIFY2(log.contains(u"out of file descriptors"_s), qPrintable(log));
        QVERIFY2(log.contains(u"accepting connections again"_s), qPrintable(log));
    }
};

QTEST_GUILESS_MAIN(TestHostileFds)
#include "tst_hostile_fds.moc"
