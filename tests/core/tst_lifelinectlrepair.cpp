// `lifelinectl repair NAME` against a real `lifeline --headless`: the output
// of the steps and the result are printed, and the exit code says how it
// went (0 repaired, 1 failed or refused, 2 usage, 3 no Lifeline running).
#include "control/controlclient.h"
#include "control/controlpaths.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace lifeline;

class TestLifelinectlRepair : public QObject
{
    Q_OBJECT

    QTemporaryDir m_runtime;
    QTemporaryDir m_dir;
    QString m_config;
    HeadlessProcess m_lifeline;

    CtlRun ctl(const QStringList &args)
    {
        return runLifelinectl(QStringList{u"--config"_s, m_config} + args);
    }

    QString stateOf(const QString &name)
    {
        const auto reply =
            ControlClient(socketPathForConfig(m_config), 2000).request({{u"cmd"_s, u"status"_s}});
        if (!reply)
            return QString();
        for (const QJsonValue &v : reply->value(u"status"_s).toObject().value(u"services"_s).toArray()) {
            if (v.toObject().value(u"name"_s).toString() == name)
                return v.toObject().value(u"state"_s).toString();
        }
        return QString();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
        const QByteArray demo = "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"";
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
            "\"\non_exit = \"stop\"\n"
            "\n[[service]]\nname = \"api\"\ncwd = \"" +
            m_dir.path().toUtf8() + "\"\n" + demo + QByteArray::number(freePort()) +
            "\"]\nstop_timeout = \"3s\"\n"
            "[service.repair]\nsteps = [[\"/bin/sh\", \"-c\", \"echo installing; echo done >> "
            "repaired.txt\"]]\n"
            "\n[[service]]\nname = \"broken\"\n" +
            demo + QByteArray::number(freePort()) +
            "\"]\nstop_timeout = \"3s\"\n"
            "[service.repair]\nsteps = [[\"/bin/sh\", \"-c\", \"echo npm ERR! 404; exit 7\"], [\"true\"]]\n"
            "\n[[service]]\nname = \"plain\"\ncommand = [\"sleep\", \"600\"]\nstop_timeout = \"3s\"\n";
        m_config = m_dir.filePath(u"lifeline.toml"_s);
        QFile f(m_config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(toml);
        f.close();
        m_lifeline.process.start(QStringLiteral(LIFELINE_BIN), {u"--headless"_s, u"--config"_s, m_config});
        QVERIFY(m_lifeline.process.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(stateOf(u"api"_s) == u"running"_s && stateOf(u"broken"_s) == u"running"_s,
                                 15000);
    }

    void repairPrintsOutputAndSucceeds()
    {
        const CtlRun r = ctl({u"repair"_s, u"api"_s});
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(u"$ /bin/sh -c 'echo installing; echo done >> repaired.txt'\ninstalling\n"_s),
                 qPrintable(r.out));
        QVERIFY(r.out.contains(u"repair of api succeeded (1 steps in "_s));
        QVERIFY(r.out.contains(u"report: "_s + m_dir.filePath(u"state/repair/api-"_s)));
        QFile done(m_dir.filePath(u"repaired.txt"_s));
        QVERIFY(done.open(QIODevice::ReadOnly));
        QCOMPARE(done.readAll(), QByteArray("done\n"));
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(u"api"_s), u"running"_s, 15000);
    }

    void failedRepairExitsOneAndNamesTheStep()
    {
        const CtlRun r = ctl({u"repair"_s, u"broken"_s});
        QVERIFY(r.finished);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.contains(u"npm ERR! 404\n"_s), qPrintable(r.out));
        QVERIFY(
            r.out.contains(u"repair of broken failed: step 1 of 2 `/bin/sh -c 'echo npm ERR! 404; exit 7'` "
                           u"failed: exit code 7; broken left stopped"_s));
        QCOMPARE(stateOf(u"broken"_s), u"stopped"_s);
    }

    void refusedRepairsExitOne()
    {
        const CtlRun none = ctl({u"repair"_s, u"plain"_s});
        QCOMPARE(none.exitCode, 1);
        QVERIFY2(none.err.contains(u"plain has no repair steps"_s), qPrintable(none.err));
        const CtlRun unknown = ctl({u"repair"_s, u"nope"_s});
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY(unknown.err.contains(u"unknown service \"nope\""_s));
        QCOMPARE(stateOf(u"plain"_s), u"running"_s); // untouched
    }

    void usageAndNothingRunning()
    {
        const CtlRun usage = ctl({u"repair"_s});
        QCOMPARE(usage.exitCode, 2);
        QVERIFY(usage.err.contains(u"repair needs a NAME"_s));
        const CtlRun nobody =
            runLifelinectl({u"--socket"_s, m_runtime.filePath(u"nobody.sock"_s), u"repair"_s, u"api"_s});
        QCOMPARE(nobody.exitCode, 3);
        QVERIFY(nobody.err.contains(u"no Lifeline is running"_s));
    }

    void cleanupTestCase()
    {
        m_lifeline.process.terminate();
        QVERIFY(m_lifeline.process.waitForFinished(15000));
    }
};

QTEST_GUILESS_MAIN(TestLifelinectlRepair)
#include "tst_lifelinectlrepair.moc"
