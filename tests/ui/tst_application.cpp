// The whole desktop app in-process (offscreen), driven the way a person and a
// session do it: Ctrl+Q on the window, the quit question answered with the
// mouse or scripted, SIGTERM from outside. The promise under test: quitting
// always ends the process, one decision wins, and what the event log says was
// left running was really alive.
#include "application.h"
#include "config/configloader.h"
#include "logs/eventlog.h"
#include "supervise/servicesupervisor.h"

#include <QApplication>
#include <QFile>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <optional>

#include <unistd.h>

using namespace lifeline;

namespace {

bool alive(qint64 pid)
{
    return pid > 0 && ::kill(pid_t(pid), 0) == 0;
}

QByteArray sleeper(const char *name, const QByteArray &extra = {})
{
    return "[[service]]\nname = \"" + QByteArray(name) +
           "\"\ncommand = [\"sleep\", \"60\"]\nstop_timeout = \"2s\"\n" + extra + "\n";
}

// Ignores SIGTERM: only the SIGKILL after stop_timeout ends it.
QByteArray stubborn(const char *name, const QByteArray &stopTimeout = "1s")
{
    return "[[service]]\nname = \"" + QByteArray(name) +
           "\"\ncommand = [\"/bin/sh\", \"-c\", \"trap '' TERM; while :; do sleep 0.2; done\"]\n"
           "stop_timeout = \"" +
           stopTimeout + "\"\n";
}

} // namespace

class TestApplication : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_configs = 0;
    std::optional<Config> m_config;

    std::unique_ptr<Application> start(const QByteArray &onExit, const QByteArray &services)
    {
        const QString base = m_dir.filePath(QStringLiteral("c%1").arg(++m_configs));
        const QByteArray toml = "[settings]\nstate_dir = \"" + base.toUtf8() + "/state\"\non_exit = \"" +
                                onExit + "\"\n" + services;
        const QString path = base + QStringLiteral(".toml");
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(toml) != toml.size())
            return nullptr;
        f.close();
        LoadResult r = ConfigLoader::loadFile(path);
        if (!r.ok())
            return nullptr;
        m_config = *r.config;
        auto app = std::make_unique<Application>(*m_config, false);
        QObject::connect(app.get(), &Application::startFailed, app.get(),
                         [](const QString &error) { qWarning("start: %s", qPrintable(error)); });
        app->start(base + QStringLiteral(".sock"));
        return app;
    }

    // start(), then waits until `name` runs; nullptr if it never does.
    std::unique_ptr<Application> startRunning(const QByteArray &onExit, const QByteArray &services,
                                              const QString &name)
    {
        auto app = start(onExit, services);
        if (!app ||
            !QTest::qWaitFor([&] { return app->engine()->service(name)->state() == ServiceState::Running; },
                             15000))
            return nullptr;
        return app;
    }

    // Ctrl+Q, then waits for the quit question to show.
    static bool openQuitQuestion(Application &app)
    {
        return pressCtrlQ(app) &&
               QTest::qWaitFor([&] { return app.quitDialog() && app.quitDialog()->isVisible(); }, 10000);
    }

    static bool pressCtrlQ(Application &app)
    {
        MainWindow *w = app.window();
        QApplication::setActiveWindow(w);
        if (!QTest::qWaitForWindowActive(w))
            return false;
        QTest::keyClick(w, Qt::Key_Q, Qt::ControlModifier);
        return true;
    }

    static QByteArray eventLog(Application &app)
    {
        QFile f(app.engine()->eventLogPath());
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    // The control socket cannot be opened (its folder is a file): the app
    // says why and ends with 1, before any service starts.
    void socketThatCannotBeOpenedEndsTheApp()
    {
        const QString base = m_dir.filePath(QStringLiteral("nosock"));
        const QByteArray toml = "[settings]\nstate_dir = \"" + base.toUtf8() + "/state\"\n" + sleeper("a");
        const LoadResult r = ConfigLoader::loadString(toml, base + QStringLiteral(".toml"));
        QVERIFY(r.ok());
        QFile notADir(base + QStringLiteral("-file"));
        QVERIFY(notADir.open(QIODevice::WriteOnly));
        notADir.close();
        Application app(*r.config, false);
        QSignalSpy failed(&app, &Application::startFailed);
        QSignalSpy exit(&app, &Application::exitRequested);
        app.start(notADir.fileName() + QStringLiteral("/ctl.sock"));
        QTRY_COMPARE(exit.size(), 1);
        QCOMPARE(exit.first().first().toInt(), 1);
        QCOMPARE(failed.size(), 1);
        QVERIFY2(failed.first().first().toString().contains(QStringLiteral("ctl.sock")),
                 qPrintable(failed.first().first().toString()));
        QCOMPARE(app.engine()->service(QStringLiteral("a"))->state(), ServiceState::Stopped);
    }

    void ctrlQWithEveryServiceStoppedEnds()
    {
        auto app = start("ask", sleeper("a") + sleeper("b"));
        QVERIFY(app);
        EngineClient *fleet = app->engine();
        QTRY_COMPARE(fleet->service(QStringLiteral("a"))->state(), ServiceState::Running);
        QTRY_COMPARE(fleet->service(QStringLiteral("b"))->state(), ServiceState::Running);
        const qint64 pidA = fleet->service(QStringLiteral("a"))->pid();
        QSignalSpy stopped(fleet, &EngineClient::allStopped);
        fleet->stopAll(); // what `lifelinectl stop all` does
        QVERIFY(stopped.wait(15000));

        QSignalSpy exit(app.get(), &Application::exitRequested);
        QVERIFY(pressCtrlQ(*app));
        QVERIFY(!app->quitDialog()); // nothing running: nothing to ask
        QTRY_COMPARE(exit.size(), 1);
        QCOMPARE(exit.first().first().toInt(), 0);
        QVERIFY(!eventLog(*app).contains("left running"));
        QVERIFY(!alive(pidA));
    }

    void aSecondQuitAfterAStalledOneStillEnds()
    {
        auto app = startRunning("stop", stubborn("stubborn"), QStringLiteral("stubborn"));
        QVERIFY(app);
        ServiceView *s = app->engine()->service(QStringLiteral("stubborn"));
        const qint64 pid = s->pid();
        QSignalSpy exit(app.get(), &Application::exitRequested);
        QVERIFY(pressCtrlQ(*app));
        QVERIFY(app->isQuitting());
        QVERIFY(!app->window()->isVisible());
        // Again, from the tray and from a signal, while the stop waits out
        // stop_timeout: heard, and the first quit still ends the process.
        app->tray()->menu()->findChild<QAction *>(QStringLiteral("quitAction"))->trigger();
        ::kill(::getpid(), SIGTERM);
        QTRY_COMPARE_WITH_TIMEOUT(exit.size(), 1, 15000);
        QCOMPARE(exit.first().first().toInt(), 0);
        QCOMPARE(s->state(), ServiceState::Stopped);
        QVERIFY(!alive(pid));
        QTRY_VERIFY(eventLog(*app).contains("already quitting")); // written on the engine's thread
    }

    void quitEndsEvenWhenTheServicesNeverReportStopped()
    {
        // stop_timeout is a minute and the deadline one second: the stop has
        // not reported when the deadline comes, as with a process stuck in
        // the kernel, and the deadline alone ends the app.
        auto app = startRunning("stop", stubborn("stubborn", "60s"), QStringLiteral("stubborn"));
        QVERIFY(app);
        QSignalSpy exit(app.get(), &Application::exitRequested);
        app->setQuitDeadline(std::chrono::seconds(1));
        app->quit();
        // Nothing starts once the quit has begun, not even a person's start.
        app->engine()->startAll();
        QTRY_COMPARE(app->engine()->service(QStringLiteral("stubborn"))->state(), ServiceState::Stopping);
        QTRY_COMPARE_WITH_TIMEOUT(exit.size(), 1, 20000);
        QCOMPARE(exit.first().first().toInt(), 1);
        QTRY_VERIFY(eventLog(*app).contains("quitting although stubborn"));
    }

    void sigtermWhileTheQuitQuestionIsOpenStopsOnce()
    {
        auto app = startRunning("ask", sleeper("a"), QStringLiteral("a"));
        QVERIFY(app);
        ServiceView *s = app->engine()->service(QStringLiteral("a"));
        const qint64 pid = s->pid();
        QSignalSpy exit(app.get(), &Application::exitRequested);
        QVERIFY(openQuitQuestion(*app));
        QPointer<QMessageBox> box = app->quitDialog();
        QPointer<QPushButton> keep = box->findChild<QPushButton *>(QStringLiteral("keepAndQuit"));
        QVERIFY(keep);

        // The signal is the one decision: the question goes, on_exit "ask"
        // becomes "stop", and no later click can turn it into "keep".
        ::kill(::getpid(), SIGTERM);
        QTRY_VERIFY(!box);
        QVERIFY(app->isQuitting());
        QTRY_COMPARE(exit.size(), 1);
        QCOMPARE(exit.first().first().toInt(), 0);
        QCOMPARE(s->state(), ServiceState::Stopped);
        QVERIFY(!alive(pid));
        QVERIFY(!keep);
        QVERIFY(!eventLog(*app).contains("left running"));
    }

    void quitQuestionAnsweredWithTheMouse()
    {
        auto app = startRunning("ask", sleeper("a"), QStringLiteral("a"));
        QVERIFY(app);
        ServiceView *s = app->engine()->service(QStringLiteral("a"));
        const qint64 pid = s->pid();
        QSignalSpy exit(app.get(), &Application::exitRequested);

        // Cancel: nothing changes, the window stays.
        QVERIFY(openQuitQuestion(*app));
        QTest::mouseClick(app->quitDialog()->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY(!app->quitDialog());
        QVERIFY(!app->isQuitting());
        QVERIFY(app->window()->isVisible());
        QCOMPARE(s->state(), ServiceState::Running);

        QVERIFY(openQuitQuestion(*app));
        QTest::mouseClick(app->quitDialog()->findChild<QPushButton *>(QStringLiteral("stopAndQuit")),
                          Qt::LeftButton);
        QTRY_COMPARE(exit.size(), 1);
        QCOMPARE(s->state(), ServiceState::Stopped);
        QVERIFY(!alive(pid));
    }

    void keepLeavesOnlyLiveServicesRunning()
    {
        auto app = start("ask", sleeper("kept") + sleeper("stopped"));
        QVERIFY(app);
        EngineClient *fleet = app->engine();
        ServiceView *kept = fleet->service(QStringLiteral("kept"));
        ServiceView *stopped = fleet->service(QStringLiteral("stopped"));
        QTRY_COMPARE(kept->state(), ServiceState::Running);
        QTRY_COMPARE(stopped->state(), ServiceState::Running);
        const qint64 keptPid = kept->pid();
        const qint64 stoppedPid = stopped->pid();
        fleet->stop(QStringLiteral("stopped"));
        QTRY_COMPARE(stopped->state(), ServiceState::Stopped);

        QSignalSpy exit(app.get(), &Application::exitRequested);
        Application::setNextQuitAnswer(Application::QuitAnswer::KeepServices);
        app->tray()->menu()->findChild<QAction *>(QStringLiteral("quitAction"))->trigger();
        QVERIFY(!app->quitDialog());
        QTRY_COMPARE(exit.size(), 1);
        QVERIFY(alive(keptPid));
        const auto leftRunning = [](qint64 pid) {
            return QByteArray("left running (pid %1)").replace("%1", QByteArray::number(pid));
        };
        QTRY_VERIFY(eventLog(*app).contains(leftRunning(keptPid))); // written on the engine's thread
        const QByteArray log = eventLog(*app);
        QVERIFY2(!log.contains(leftRunning(stoppedPid)), log.constData());
        ::kill(pid_t(keptPid), SIGKILL); // kept on purpose; the test ends it
        QTRY_VERIFY(!alive(keptPid));
    }
};

QTEST_MAIN(TestApplication)
#include "tst_application.moc"
