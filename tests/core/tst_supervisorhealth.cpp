// The supervisor acting on what its checks see: restarts for an unhealthy
// service and for a memory limit, readiness of dependencies, and a port
// held by someone else while the service "runs". Real demo backends.
#include "config/configloader.h"
#include "health/healthmonitor.h"
#include "metrics/metricssampler.h"
#include "platform/procfs.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"

#include "testsupport.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace lifeline;

namespace {

QByteArray demo(const char *name, quint16 port, const QByteArray &flags = {}, const QByteArray &extra = {})
{
    return "[[service]]\nname = \"" + QByteArray(name) +
           "\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" + QByteArray::number(port) + "\"" +
           flags + "]\nstop_timeout = \"2s\"\nrestart_delay = \"100ms\"\n" + extra + "\n";
}

QByteArray httpHealth(quint16 port, const QByteArray &extra = {})
{
    return "[service.health]\nurl = \"http://127.0.0.1:" + QByteArray::number(port) +
           "/health\"\ninterval = \"200ms\"\ntimeout = \"150ms\"\nstart_period = \"0s\"\n" + extra;
}

} // namespace

class TestSupervisorHealth : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_seq = 0;

    Config load(const QByteArray &body, const QByteArray &settings = {})
    {
        const QString dir = m_dir.filePath(QString::number(++m_seq));
        const QByteArray toml = "[settings]\nstate_dir = \"" + dir.toUtf8() +
                                "\"\nsample_interval = \"200ms\"\n" + settings + body;
        LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(QStringLiteral("t%1.toml").arg(m_seq)));
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qPrintable(d.toString()));
        return r.config.value_or(Config{});
    }

    static void stopAll(Fleet &fleet)
    {
        QSignalSpy stopped(&fleet, &Fleet::allStopped);
        fleet.stopAll();
        if (!fleet.isAllStopped())
            QVERIFY(stopped.wait(10000));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qRegisterMetaType<ServiceState>();
        qRegisterMetaType<Health>();
    }

    // Liveness: a process that is alive but answers 503 is restarted through
    // the restart policy, with the reason saying why.
    void unhealthyServiceIsRestarted()
    {
        const quint16 port = freePort();
        const Config cfg = load(demo("api", port, ", \"--unhealthy-after\", \"500ms\"",
                                     httpHealth(port, "failures = 2\nrestart_on_unhealthy = true\n")));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        ServiceSupervisor *api = fleet.service(QStringLiteral("api"));
        QTRY_COMPARE(api->state(), ServiceState::Running);
        QVERIFY(api->health());
        QTRY_COMPARE_WITH_TIMEOUT(api->health()->health(), Health::Healthy, 5000);
        const pid_t first = api->pid();
        QTRY_VERIFY_WITH_TIMEOUT(api->restarts() >= 1 && api->pid() != first, 10000);
        QVERIFY2(api->restartReason().startsWith(QStringLiteral("unhealthy: ")),
                 qPrintable(api->restartReason()));
        QVERIFY2(api->restartReason().contains(QStringLiteral("HTTP 503")), qPrintable(api->restartReason()));
        stopAll(fleet);
    }

    // The first verdict does not wait a whole interval, and the early probes
    // that find the backend not yet listening do not count as failures.
    void firstVerdictComesEarly()
    {
        const quint16 port = freePort();
        const QByteArray health = "[service.health]\nurl = \"http://127.0.0.1:" + QByteArray::number(port) +
                                  "/health\"\ninterval = \"30s\"\ntimeout = \"1s\"\nstart_period = \"0s\"\n"
                                  "failures = 1\nrestart_on_unhealthy = true\n";
        const Config cfg = load(demo("api", port, ", \"--ready-after\", \"400ms\"", health));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        ServiceSupervisor *api = fleet.service(QStringLiteral("api"));
        QTRY_COMPARE(api->state(), ServiceState::Running);
        QTRY_COMPARE_WITH_TIMEOUT(api->health()->health(), Health::Healthy, 5000); // not 30 s
        QCOMPARE(api->restarts(), 0); // the refused early probes did not make it "unhealthy"
        QVERIFY(api->health()->history().size() >= 2);
        stopAll(fleet);
    }

    // Without restart_on_unhealthy the service is only reported.
    void unhealthyWithoutRestartIsOnlyReported()
    {
        const quint16 port = freePort();
        const Config cfg =
            load(demo("api", port, ", \"--unhealthy-after\", \"300ms\"", httpHealth(port, "failures = 1\n")));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        ServiceSupervisor *api = fleet.service(QStringLiteral("api"));
        QTRY_COMPARE(api->state(), ServiceState::Running);
        QTRY_COMPARE_WITH_TIMEOUT(api->health()->health(), Health::Unhealthy, 5000);
        QCOMPARE(api->restarts(), 0);
        QCOMPARE(api->state(), ServiceState::Running);
        // A stopped service's health is unknown.
        fleet.stop(QStringLiteral("api"));
        QTRY_COMPARE(api->state(), ServiceState::Stopped);
        QCOMPARE(api->health()->health(), Health::Unknown);
    }

    // memory_limit: a leaking service is restarted with the figures in the reason.
    void memoryLimitRestarts()
    {
        const Config cfg =
            load(demo("leaky", freePort(), ", \"--leak\", \"60\"", "memory_limit = \"60MB\"\n"));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        ServiceSupervisor *leaky = fleet.service(QStringLiteral("leaky"));
        QTRY_COMPARE(leaky->state(), ServiceState::Running);
        const pid_t first = leaky->pid();
        QTRY_VERIFY_WITH_TIMEOUT(leaky->restarts() >= 1 && leaky->pid() != first, 15000);
        QVERIFY2(QRegularExpression(QStringLiteral("^memory \\d+ MB > limit 60 MB$"))
                     .match(leaky->restartReason())
                     .hasMatch(),
                 qPrintable(leaky->restartReason()));
        stopAll(fleet);
    }

    // memory_limit_for: restarted only after RSS stayed over the limit that
    // long, with the limit spoken in the unit it was written in.
    void memoryLimitForWaits()
    {
        const Config cfg = load(demo("leaky", freePort(), ", \"--leak\", \"60\"",
                                     "memory_limit = \"40MiB\"\nmemory_limit_for = \"1s\"\n"));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        ServiceSupervisor *leaky = fleet.service(QStringLiteral("leaky"));
        QTRY_COMPARE(leaky->state(), ServiceState::Running);
        QTRY_VERIFY_WITH_TIMEOUT(leaky->restarts() >= 1, 15000);
        QVERIFY2(QRegularExpression(QStringLiteral("^memory \\d+ MiB > limit 40 MiB for 1s$"))
                     .match(leaky->restartReason())
                     .hasMatch(),
                 qPrintable(leaky->restartReason()));
        stopAll(fleet);
    }

    // Readiness: a dependent starts only once its dependency is healthy.
    void dependentWaitsForHealthyDependency()
    {
        const quint16 apiPort = freePort();
        const Config cfg = load(demo("api", apiPort, ", \"--ready-after\", \"1s\"", httpHealth(apiPort)) +
                                demo("worker", freePort(), {}, "depends_on = [\"api\"]\n"));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        ServiceSupervisor *api = fleet.service(QStringLiteral("api"));
        ServiceSupervisor *worker = fleet.service(QStringLiteral("worker"));
        bool workerStartedBeforeHealthy = false;
        connect(&fleet, &Fleet::serviceStateChanged, this,
                [&](const QString &name, ServiceState, ServiceState to) {
                    if (name == QLatin1String("worker") && to == ServiceState::Starting)
                        workerStartedBeforeHealthy = api->health()->health() != Health::Healthy;
                });
        fleet.boot();
        QTRY_COMPARE(api->state(), ServiceState::Running);
        QCOMPARE(worker->state(), ServiceState::Stopped);
        QTRY_VERIFY(fleet.waitingReason(QStringLiteral("worker")).contains(QStringLiteral("api")));
        QTRY_COMPARE_WITH_TIMEOUT(worker->state(), ServiceState::Running, 10000);
        QVERIFY(!workerStartedBeforeHealthy);
        QVERIFY(fleet.waitingReason(QStringLiteral("worker")).isEmpty());
        stopAll(fleet);
    }

    // ... with a bounded wait and a clear error when it never gets there.
    void dependencyThatNeverGetsHealthyIsNamed()
    {
        const quint16 apiPort = freePort();
        // The check asks a port nobody listens on: the dependency never becomes healthy.
        const QByteArray health =
            "[service.health]\nurl = \"http://127.0.0.1:" + QByteArray::number(freePort()) +
            "/health\"\ninterval = \"200ms\"\ntimeout = \"100ms\"\nstart_period = \"200ms\"\n"
            "failures = 2\n";
        const Config cfg = load(demo("api", apiPort, {}, health) +
                                demo("worker", freePort(), {}, "depends_on = [\"api\"]\n"));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        fleet.boot();
        QTRY_VERIFY_WITH_TIMEOUT(
            fleet.waitingReason(QStringLiteral("worker"))
                .startsWith(QStringLiteral("not started: api did not become healthy within")),
            10000);
        QVERIFY2(fleet.waitingReason(QStringLiteral("worker")).contains(QStringLiteral("connection refused")),
                 qPrintable(fleet.waitingReason(QStringLiteral("worker"))));
        QCOMPARE(fleet.service(QStringLiteral("worker"))->state(), ServiceState::Stopped);
        stopAll(fleet);
    }

    // "Is it really serving?": the service's process is alive, but the port
    // it should serve is held by an orphan of an earlier run.
    void portHeldByAnotherProcessIsUnhealthy()
    {
        const quint16 port = freePort();
        QProcess orphan; // answers /health on the service's port, but is not the service
        orphan.start(QStringLiteral(LIFELINE_DEMO_BACKEND),
                     {QStringLiteral("--port"), QString::number(port)});
        QVERIFY(orphan.waitForStarted());
        QTRY_VERIFY(ProcFs().portHolder(port).has_value());
        // The service itself does not listen on it (its own port is another one).
        const Config cfg = load(demo("api", freePort(), {}, httpHealth(port, "failures = 1\n")));
        TestEngine engine(cfg);
        Fleet &fleet = engine.fleet();
        ServiceSupervisor *api = fleet.service(QStringLiteral("api"));
        fleet.boot();
        QTRY_COMPARE(api->state(), ServiceState::Running);
        // Declared once it runs (pre-flight would have refused the start):
        // the orphan took the port the service is supposed to serve.
        ServiceSpec spec = api->spec();
        spec.ports = {port};
        api->setSpec(spec);
        QTRY_COMPARE_WITH_TIMEOUT(api->health()->health(), Health::Unhealthy, 5000);
        const QString reason = api->health()->lastResult()->reason;
        QVERIFY2(reason.contains(QString::number(orphan.processId())), qPrintable(reason));
        QVERIFY2(reason.contains(QStringLiteral("port %1").arg(port)), qPrintable(reason));
        stopAll(fleet);
        orphan.terminate();
        QVERIFY(orphan.waitForFinished(5000));
    }
};

QTEST_GUILESS_MAIN(TestSupervisorHealth)
#include "tst_supervisorhealth.moc"
