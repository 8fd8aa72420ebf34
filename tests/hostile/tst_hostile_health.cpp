// A huge health report: a real demo backend answering about 1 MB of JSON on
// /health every 150 ms, supervised by a real `lifeline --headless`. Lifeline
// keeps the latest report only (capped), so its memory stays bounded and the
// control socket keeps answering at once.
#include "control/controlclient.h"
#include "control/controlpaths.h"

#include "testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace lifeline;
using namespace Qt::StringLiterals;

namespace {

// VmRSS of PID in bytes, from /proc/PID/status; -1 when unreadable.
qint64 rssBytes(qint64 pid)
{
    QFile status(u"/proc/%1/status"_s.arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return -1;
}

} // namespace

class TestHostileHealth : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime; // XDG_RUNTIME_DIR of this test and of every child it starts

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
    }

    void hugeReportsKeepMemoryBounded()
    {
        constexpr qint64 kBodyBytes = 1'000'000;
        constexpr qint64 kRssBound = 100LL * 1024 * 1024;
        constexpr int kChecks = 100; // 15 s at one check every 150 ms

        QTemporaryDir dir;
        const quint16 port = freePort();
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + dir.filePath(u"state"_s).toUtf8() +
            "\"\non_exit = \"stop\"\n\n[[service]]\nname = \"big\"\ncommand = [\"" LIFELINE_DEMO_BACKEND
            "\", \"--port\", \"" +
            QByteArray::number(port) + "\", \"--health-body-size\", \"" + QByteArray::number(kBodyBytes) +
            "\"]\nstop_timeout = \"3s\"\n[service.health]\nurl = \"http://127.0.0.1:" +
            QByteArray::number(port) +
            "/health\"\ninterval = \"150ms\"\ntimeout = \"140ms\"\nstart_period = \"0s\"\n";
        const QString config = dir.filePath(u"lifeline.toml"_s);
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(toml);
        f.close();
        const QString socketPath = socketPathForConfig(config);

        QProcess lifeline;
        lifeline.setProcessChannelMode(QProcess::ForwardedChannels);
        lifeline.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, config});
        QVERIFY(lifeline.waitForStarted());
        const auto stop = qScopeGuard([&lifeline] {
            lifeline.terminate();
            if (!lifeline.waitForFinished(15000))
                lifeline.kill();
            lifeline.waitForFinished(5000);
        });

        // Asked the way lifelinectl asks; the reply must come within a bound
        // that is generous for a loaded machine (the goal is well under 100 ms).
        qint64 peakRss = 0;
        qint64 slowestMs = 0;
        const auto ask = [&](const QString &cmd) {
            peakRss = std::max(peakRss, rssBytes(lifeline.processId()));
            QElapsedTimer t;
            t.start();
            const auto reply =
                ControlClient(socketPath, 5000).request({{u"cmd"_s, cmd}, {u"name"_s, u"big"_s}});
            if (reply)
                slowestMs = std::max(slowestMs, t.elapsed());
            return reply.value_or(QJsonObject());
        };
        // Stops early once over the bound: that is the failure to report.
        const auto enoughChecks = [&] {
            const QJsonObject health = ask(u"health"_s);
            ask(u"status"_s);
            const QJsonArray results = health.value(u"results"_s).toArray();
            const auto ok = std::count_if(results.begin(), results.end(), [](const QJsonValue &r) {
                return r.toObject().value(u"ok"_s).toBool();
            });
            return ok >= kChecks || peakRss >= kRssBound;
        };
        QTRY_VERIFY_WITH_TIMEOUT(enoughChecks(), 90000);

        qInfo("Lifeline's peak RSS %lld MiB, slowest answer %lld ms", peakRss / (1024 * 1024), slowestMs);
        QVERIFY2(peakRss > 0 && peakRss < kRssBound,
                 qPrintable(u"Lifeline's RSS reached %1 MiB"_s.arg(peakRss / (1024 * 1024))));
        const QJsonObject health = ask(u"health"_s);
        const QString truncated = health.value(u"report"_s).toObject().value(u"truncated"_s).toString();
        QVERIFY2(truncated.startsWith(u"… truncated, "_s) && truncated.endsWith(u" bytes total"_s),
                 qPrintable(truncated));
        QVERIFY2(slowestMs < 2000, qPrintable(u"the slowest answer took %1 ms"_s.arg(slowestMs)));
    }
};

QTEST_GUILESS_MAIN(TestHostileHealth)
#include "tst_hostile_health.moc"
