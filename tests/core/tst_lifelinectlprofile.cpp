// `lifeline --headless --profile NAME` and `lifelinectl profile [NAME]`
// against a real headless Lifeline supervising a real demo backend.
#include "control/controlclient.h"
#include "control/controlpaths.h"
#include "testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace Qt::StringLiterals;
using namespace lifeline;

class TestLifelinectlProfile : public QObject
{
    Q_OBJECT

    QTemporaryDir m_runtime;
    QTemporaryDir m_dir;
    QString m_config;
    HeadlessProcess m_lifeline;

    QJsonObject status()
    {
        const CtlRun r = runLifelinectl({u"--config"_s, m_config, u"status"_s, u"--json"_s});
        return QJsonDocument::fromJson(r.out.toUtf8()).object();
    }

    qint64 apiPid()
    {
        const QJsonArray services = status().value(u"services"_s).toArray();
        const QJsonObject api = services.isEmpty() ? QJsonObject() : services.first().toObject();
        return api.value(u"state"_s).toString() == u"running"_s ? api.value(u"pid"_s).toInteger() : 0;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_runtime.isValid());
        QVERIFY(m_dir.isValid());
        qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
        m_config = m_dir.filePath(u"lifeline.toml"_s);
        QFile f(m_config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
                "\"\non_exit = \"stop\"\n"
                "[[service]]\nname = \"api\"\n"
                "command = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
                QByteArray::number(freePort()) +
                "\"]\nstop_timeout = \"3s\"\nenv = { MODE = \"dev\" }\n"
                "[profile.prod.api]\nenv = { MODE = \"prod\" }\n");
        f.close();
    }

    void anUnknownProfileOnTheCommandLineIsAnError()
    {
        QProcess p;
        p.start(QStringLiteral(LIFELINE_BIN),
                {u"--headless"_s, u"--config"_s, m_config, u"--profile"_s, u"staging"_s});
        QVERIFY(p.waitForFinished(15000));
        QCOMPARE(p.exitCode(), 2);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(
            err.contains(m_config + u": error: --profile: unknown profile \"staging\" (profiles: prod)"_s),
            qPrintable(err));
    }

    void headlessRunsTheProfileAndLifelinectlSwitchesIt()
    {
        QProcess &lifeline = m_lifeline.process;
        lifeline.start(QStringLiteral(LIFELINE_BIN),
                       {u"--headless"_s, u"--config"_s, m_config, u"--profile"_s, u"prod"_s});
        QVERIFY(lifeline.waitForStarted());
        const QString socket = socketPathForConfig(m_config);
        QTRY_VERIFY_WITH_TIMEOUT(ControlClient(socket, 1000).request({{u"cmd"_s, u"ping"_s}}).has_value(),
                                 10000);
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT(
            (out += lifeline.readAllStandardOutput()).contains("1 services (profile prod), control socket"),
            10000);
        QTRY_VERIFY_WITH_TIMEOUT(apiPid() > 0, 10000);
        QCOMPARE(status().value(u"profile"_s).toString(), u"prod"_s);
        const qint64 prodPid = apiPid();

        CtlRun r = runLifelinectl({u"--config"_s, m_config, u"profile"_s});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, u"profile: prod\nprofiles: default, prod\n"_s);

        r = runLifelinectl({u"--config"_s, m_config, u"profile"_s, u"default"_s});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, u"profile: default\n"_s);
        QVERIFY(status().value(u"profile"_s).isNull());
        QTRY_VERIFY_WITH_TIMEOUT(apiPid() > 0 && apiPid() != prodPid, 15000);

        r = runLifelinectl({u"--config"_s, m_config, u"profile"_s, u"staging"_s});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(u"unknown profile \"staging\" (profiles: prod)"_s), qPrintable(r.err));
        QVERIFY(status().value(u"profile"_s).isNull());

        r = runLifelinectl({u"--config"_s, m_config, u"profile"_s, u"a"_s, u"b"_s});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(u"profile: unexpected argument \"b\""_s), qPrintable(r.err));

        lifeline.terminate();
        QVERIFY(lifeline.waitForFinished(15000));
        QCOMPARE(lifeline.exitCode(), 0);
    }

    void nothingRunning()
    {
        const CtlRun r = runLifelinectl({u"--config"_s, m_config, u"profile"_s, u"prod"_s});
        QCOMPARE(r.exitCode, 3);
    }
};

QTEST_GUILESS_MAIN(TestLifelinectlProfile)
#include "tst_lifelinectlprofile.moc"
