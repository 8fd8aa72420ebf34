// ServiceTableModel over a live Fleet of demo backends: the model passes
// QAbstractItemModelTester through real state changes, rows are services,
// a state change repaints its changed cells, the State column has an icon and the
// Restarts column shows the crash-loop window; MainWindow's restart action
// restarts the selected service through the core (the PID changes).
#include "config/configdiff.h"
#include "config/configloader.h"
#include "engine/engineclient.h"
#include "mainwindow.h"
#include "servicedetailpane.h"
#include "servicetablemodel.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "uistyle.h"
#include "util/clock.h"

#include "testsupport.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QIcon>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using namespace lifeline;
using namespace Qt::StringLiterals;

class TestServiceTableModel : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<TestEngine> m_engine;
    QByteArray m_toml; // what m_engine was made from

    // As the window sees them.
    ServiceView *api() const { return m_engine->client()->service(u"api"_s); }
    ServiceView *worker() const { return m_engine->client()->service(u"worker"_s); }
    Fleet *fleet() const { return &m_engine->fleet(); }

    // An engine of the test's own: `services` is the [[service]] part.
    [[nodiscard]] bool useEngine(const QByteArray &services)
    {
        m_engine.reset();
        const QByteArray toml = "[settings]\nstate_dir = \"" + m_dir.path().toUtf8() + "/state-" +
                                QTest::currentTestFunction() + "\"\nsample_interval = \"200ms\"\n\n" +
                                services;
        m_toml = toml;
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qPrintable(d.toString()));
        if (!r.ok())
            return false;
        m_engine = std::make_unique<TestEngine>(*r.config);
        return true;
    }

    // A demo backend service named api, with `flags` and then `more` TOML keys.
    static QByteArray demoApi(const QByteArray &flags, const QByteArray &more, quint16 port = freePort())
    {
        return "[[service]]\nname = \"api\"\ncommand = [\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" +
               QByteArray::number(port) + "\"" + flags + "]\nstop_timeout = \"2s\"\nautostart = false\n" +
               more + "\n";
    }

    QString lastExitCell() const
    {
        ServiceTableModel model(m_engine->client());
        return model.index(model.rowOf(u"api"_s), ServiceTableModel::LastExit).data().toString();
    }

    // Starts api and waits until a run of it ended and it is back to `state`.
    void runApiUntil(ServiceState state)
    {
        QVERIFY(fleet()->start(u"api"_s));
        QTRY_VERIFY_WITH_TIMEOUT(api()->hasExited() && api()->state() == state, 15000);
    }

    void bootAndWait()
    {
        fleet()->boot();
        QTRY_VERIFY_WITH_TIMEOUT(
            api()->state() == ServiceState::Running && worker()->state() == ServiceState::Running, 10000);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(u"lifeline-tests"_s);
        QCoreApplication::setApplicationName(u"tst_servicetablemodel"_s);
        qRegisterMetaType<ServiceState>();
    }

    void init()
    {
        auto demo = [](const char *name) -> QByteArray {
            return "[\"" LIFELINE_DEMO_BACKEND "\", \"--port\", \"" + QByteArray::number(freePort()) +
                   "\", \"--name\", \"" + name + "\"]";
        };
        const QByteArray toml =
            "[settings]\nstate_dir = \"" + m_dir.path().toUtf8() + "/state-" + QTest::currentTestFunction() +
            "\"\n\n"
            "[[service]]\nname = \"api\"\ncommand = " +
            demo("api") +
            "\nstop_timeout = \"2s\"\nmax_restarts = 7\nrestart_window = \"2m\"\ncpu_limit = 90\n\n"
            "[[service]]\nname = \"worker\"\ncommand = " +
            demo("worker") + "\nstop_timeout = \"2s\"\n";
        m_toml = toml;
        const LoadResult r = ConfigLoader::loadString(toml, m_dir.filePath(u"lifeline.toml"_s));
        for (const Diagnostic &d : r.errors)
            qWarning("%s", qPrintable(d.toString()));
        QVERIFY(r.ok());
        m_engine = std::make_unique<TestEngine>(*r.config);
    }

    void cleanup()
    {
        if (!m_engine)
            return;
        QSignalSpy stopped(fleet(), &Fleet::allStopped);
        fleet()->stopAll();
        if (!fleet()->isAllStopped())
            QVERIFY(stopped.wait(15000));
        m_engine.reset();
    }

    void latencyReadsForPeople()
    {
        // A local probe often answers within the clock's millisecond.
        QCOMPARE(UiStyle::latencyText(0), u"< 1 ms"_s);
        QCOMPARE(UiStyle::latencyText(1), u"1 ms"_s);
        QCOMPARE(UiStyle::latencyText(250), u"250 ms"_s);
    }

    void modelFollowsTheFleet()
    {
        ServiceTableModel model(m_engine->client());
        // Checks every structural and data invariant on every signal below.
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(ServiceTableModel::ColumnCount));
        QCOMPARE(model.index(0, ServiceTableModel::Name).data().toString(), u"api"_s);
        QCOMPARE(model.index(1, ServiceTableModel::Name).data().toString(), u"worker"_s);
        QCOMPARE(model.rowOf(u"worker"_s), 1);
        QCOMPARE(model.serviceAt(0), api());
        QCOMPARE(model.headerData(ServiceTableModel::Restarts, Qt::Horizontal).toString(), u"Restarts"_s);
        QCOMPARE(model.index(0, ServiceTableModel::State).data().toString(), u"stopped"_s);

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        fleet()->boot();
        QTRY_VERIFY_WITH_TIMEOUT(
            api()->state() == ServiceState::Running && worker()->state() == ServiceState::Running, 10000);
        // The whole row of each service was repainted on its first snapshot,
        // then the cells that changed.
        auto cellRepainted = [&](int row, int column) {
            for (const QList<QVariant> &args : changed) {
                const QModelIndex tl = args.at(0).toModelIndex();
                const QModelIndex br = args.at(1).toModelIndex();
                if (tl.row() <= row && row <= br.row() && tl.column() <= column && column <= br.column())
                    return true;
            }
            return false;
        };
        auto rowRepainted = [&](int row) {
            for (const QList<QVariant> &args : changed) {
                const QModelIndex tl = args.at(0).toModelIndex();
                const QModelIndex br = args.at(1).toModelIndex();
                if (tl.row() == row && br.row() == row && tl.column() == 0 &&
                    br.column() == ServiceTableModel::ColumnCount - 1)
                    return true;
            }
            return false;
        };
        QTRY_VERIFY(rowRepainted(0));
        QTRY_VERIFY(rowRepainted(1));

        // Only api's cells on api's change.
        changed.clear();
        const pid_t before = api()->pid();
        QVERIFY(fleet()->restart(u"api"_s));
        QTRY_VERIFY_WITH_TIMEOUT(api()->state() == ServiceState::Running && api()->pid() != before, 10000);
        QTRY_VERIFY(cellRepainted(0, ServiceTableModel::State));
        QTRY_VERIFY(cellRepainted(0, ServiceTableModel::Pid));
        QVERIFY(!cellRepainted(1, ServiceTableModel::State));
        QVERIFY(!cellRepainted(1, ServiceTableModel::Pid));
        QVERIFY(!cellRepainted(1, ServiceTableModel::Name));

        const QModelIndex state = model.index(0, ServiceTableModel::State);
        QCOMPARE(state.data().toString(), u"running"_s);
        const QIcon icon = qvariant_cast<QIcon>(state.data(Qt::DecorationRole));
        QVERIFY(!icon.isNull());
        QVERIFY(!icon.pixmap(16, 16).isNull());
        QCOMPARE(model.index(0, ServiceTableModel::Pid).data().toLongLong(), qint64(api()->pid()));
        QCOMPARE(model.index(0, 0).data(ServiceTableModel::SeverityRole).toInt(), 0);

        // "n  (n/max in window)": api's own max_restarts and restart_window.
        const QString restarts = model.index(0, ServiceTableModel::Restarts).data().toString();
        QVERIFY2(QRegularExpression(u"^\\d+\\s+\\(\\d+/7 in 2m\\)$"_s).match(restarts).hasMatch(),
                 qPrintable(restarts));
        const QString workerRestarts = model.index(1, ServiceTableModel::Restarts).data().toString();
        QVERIFY2(QRegularExpression(u"^\\d+\\s+\\(\\d+/10 in 5m\\)$"_s).match(workerRestarts).hasMatch(),
                 qPrintable(workerRestarts));

        // Usage as the sampler reports it, with the limit when there is one.
        model.setUsage(u"api"_s, 12.34, 5'000'000);
        model.setUsage(u"worker"_s, 3.0, 7'000'000);
        QCOMPARE(model.index(0, ServiceTableModel::Cpu).data().toString(), u"12.3 % / 90 %"_s);
        QCOMPARE(model.index(1, ServiceTableModel::Cpu).data().toString(), u"3.0 %"_s);

        // Stopping shows in the model too, still under the tester's eye.
        changed.clear();
        QVERIFY(fleet()->stop(u"worker"_s));
        QTRY_VERIFY_WITH_TIMEOUT(worker()->state() == ServiceState::Stopped, 10000);
        QTRY_VERIFY(cellRepainted(1, ServiceTableModel::State));
        QTRY_VERIFY(cellRepainted(1, ServiceTableModel::Pid));
        QCOMPARE(model.index(1, ServiceTableModel::State).data().toString(), u"stopped"_s);
        QCOMPARE(model.index(1, ServiceTableModel::Pid).data().toString(), u"—"_s);
    }

    void mainWindowRestartActionRestartsTheSelectedService()
    {
        MainWindow window(m_engine->client());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        bootAndWait();

        window.selectService(u"worker"_s);
        QCOMPARE(window.selectedService(), worker());
        QVERIFY(window.restartAction()->isEnabled());
        QVERIFY(!window.startAction()->isEnabled()); // already running
        const pid_t workerPid = worker()->pid();
        const pid_t apiPid = api()->pid();
        window.restartAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(worker()->state() == ServiceState::Running && worker()->pid() != workerPid,
                                 10000);
        QCOMPARE(api()->pid(), apiPid); // only the selected one
        const int row = window.model()->rowOf(u"worker"_s);
        QTRY_COMPARE(window.model()->index(row, ServiceTableModel::Pid).data().toLongLong(),
                     qint64(worker()->pid()));

        // Stop, then start, through the actions.
        window.stopAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(worker()->state() == ServiceState::Stopped, 10000);
        QTRY_VERIFY(window.startAction()->isEnabled());
        window.startAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(worker()->state() == ServiceState::Running, 10000);

        // Nothing selected: nothing to restart.
        window.selectService(u"no-such-service"_s);
        QVERIFY(!window.selectedService());
        QVERIFY(!window.restartAction()->isEnabled());
        window.hide();
    }

    // A configuration reload adds and removes services: rows are inserted and
    // removed (the tester checks every signal), and the detail pane lets go
    // of a service that is gone.
    void rowsFollowServicesAddedAndRemoved()
    {
        MainWindow window(m_engine->client());
        QAbstractItemModelTester tester(window.model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        bootAndWait();
        window.selectService(u"worker"_s);
        QCOMPARE(window.detailPane()->service(), worker());

        const QByteArray withoutWorker = m_toml.left(m_toml.indexOf("[[service]]\nname = \"worker\""));
        const QByteArray next = withoutWorker +
                                "[[service]]\nname = \"extra\"\ncommand = [\"" LIFELINE_DEMO_BACKEND
                                "\", \"--port\", \"" +
                                QByteArray::number(freePort()) + "\"]\n";
        const LoadResult r = ConfigLoader::loadString(next, fleet()->config().path);
        QVERIFY(r.ok());
        QSignalSpy inserted(window.model(), &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(window.model(), &QAbstractItemModel::rowsRemoved);
        fleet()->applyConfig(*r.config, ConfigDiff::compute(fleet()->config(), *r.config));

        QTRY_COMPARE(inserted.size(), 1); // once the engine's announcement arrives
        QCOMPARE(window.model()->rowCount(), 3);
        QCOMPARE(window.model()->index(2, ServiceTableModel::Name).data().toString(), u"extra"_s);
        QTRY_COMPARE_WITH_TIMEOUT(fleet()->service(u"extra"_s)->state(), ServiceState::Running, 10000);

        // worker stops first (its row says so), then its row goes.
        QTRY_COMPARE_WITH_TIMEOUT(removed.size(), 1, 10000);
        QCOMPARE(removed.at(0).at(1).toInt(), 1);
        QCOMPARE(window.model()->rowCount(), 2);
        QCOMPARE(window.model()->rowOf(u"worker"_s), -1);
        QCOMPARE(window.model()->index(1, ServiceTableModel::Name).data().toString(), u"extra"_s);
        QVERIFY(window.detailPane()->service() != nullptr
                    ? window.detailPane()->service()->name() != u"worker"_s
                    : true);
        QVERIFY(window.selectedService() == nullptr || window.selectedService()->name() != u"worker"_s);
        window.hide();
    }

    // ---- "Last exit / reason" tells why the last run ended -------------------

    void causeOfACrashIsItsExitCode()
    {
        QVERIFY(useEngine(
            demoApi(", \"--crash-after\", \"300ms\", \"--exit-code\", \"3\"", "restart_delay = \"1m\"")));
        runApiUntil(ServiceState::Backoff);
        QCOMPARE(lastExitCell(), u"crashed: exit code 3"_s);
    }

    void causeOfAKillIsTheSignal()
    {
        QVERIFY(useEngine(demoApi({}, "restart_delay = \"1m\"")));
        QVERIFY(fleet()->start(u"api"_s));
        QTRY_COMPARE_WITH_TIMEOUT(api()->state(), ServiceState::Running, 10000);
        QVERIFY(::kill(api()->pid(), SIGKILL) == 0); // the service's own main process, by its pid
        QTRY_VERIFY_WITH_TIMEOUT(api()->hasExited() && api()->state() == ServiceState::Backoff, 10000);
        QCOMPARE(lastExitCell(), u"killed by SIGKILL (9)"_s);
    }

    // The demo backend exits 0 on the SIGTERM of a memory-limit restart: the
    // cell used to say "exited cleanly (0)".
    void causeOfAMemoryRestartIsTheLimit()
    {
        QVERIFY(
            useEngine(demoApi(", \"--leak\", \"60\"", "memory_limit = \"40MB\"\nrestart_delay = \"1m\"")));
        runApiUntil(ServiceState::Backoff);
        QCOMPARE(api()->lastExit().describe(), u"exited cleanly (0)"_s);
        const QString cell = lastExitCell();
        QVERIFY2(QRegularExpression(u"^memory \\d+(\\.\\d)? MB > limit 40 MB$"_s).match(cell).hasMatch(),
                 qPrintable(cell));
    }

    void causeOfAHealthRestartIsTheFailedChecks()
    {
        const quint16 port = freePort();
        QVERIFY(useEngine(demoApi(
            ", \"--unhealthy-after\", \"200ms\"",
            "restart_delay = \"1m\"\n[service.health]\nurl = \"http://127.0.0.1:" + QByteArray::number(port) +
                "/health\"\ninterval = \"300ms\"\ntimeout = \"250ms\"\nstart_period = \"0s\"\n"
                "failures = 2\nrestart_on_unhealthy = true",
            port)));
        runApiUntil(ServiceState::Backoff);
        const QString cell = lastExitCell();
        QVERIFY2(cell.startsWith(u"unhealthy: failed 2 checks in a row, last: "_s), qPrintable(cell));
        QVERIFY2(cell.contains(u"503"_s), qPrintable(cell));
    }

    void causeOfAPersonsRestartAndStop()
    {
        QVERIFY(useEngine(demoApi({}, {})));
        QVERIFY(fleet()->start(u"api"_s));
        QTRY_COMPARE_WITH_TIMEOUT(api()->state(), ServiceState::Running, 10000);
        const pid_t before = api()->pid();
        // As the window and lifelinectl ask: through the client / the fleet's request.
        QVERIFY(m_engine->client()->restart(u"api"_s));
        QTRY_VERIFY_WITH_TIMEOUT(api()->state() == ServiceState::Running && api()->pid() != before, 10000);
        QCOMPARE(lastExitCell(), u"restarted by you"_s);
        QCOMPARE(api()->restartReason(), u"restarted by you"_s);

        QVERIFY(m_engine->client()->stop(u"api"_s));
        QTRY_COMPARE_WITH_TIMEOUT(api()->state(), ServiceState::Stopped, 10000);
        QCOMPARE(lastExitCell(), u"stopped by you"_s);
    }

    void causeOfAReloadRestartIsTheConfig()
    {
        QVERIFY(useEngine(demoApi({}, {})));
        QVERIFY(fleet()->start(u"api"_s));
        QTRY_COMPARE_WITH_TIMEOUT(api()->state(), ServiceState::Running, 10000);
        const pid_t before = api()->pid();
        const QByteArray next = m_toml + "env = { CHANGED = \"1\" }\n";
        const LoadResult r = ConfigLoader::loadString(next, fleet()->config().path);
        QVERIFY(r.ok());
        QCOMPARE(fleet()->applyConfig(*r.config, ConfigDiff::compute(fleet()->config(), *r.config)),
                 QStringList{u"api"_s});
        QTRY_VERIFY_WITH_TIMEOUT(api()->state() == ServiceState::Running && api()->pid() != before, 10000);
        QCOMPARE(lastExitCell(), u"config changed"_s);
    }

    // ---- time moves on by itself -------------------------------------------

    void backoffCountdownTicksEverySecond()
    {
        QVERIFY(useEngine(
            demoApi(", \"--crash-after\", \"300ms\", \"--exit-code\", \"3\"", "restart_delay = \"1m\"")));
        ServiceTableModel model(m_engine->client());
        ManualClock clock;
        model.setClock(&clock);
        QVERIFY(!model.isTicking()); // nothing moves while all is stopped

        runApiUntil(ServiceState::Backoff);
        QTRY_VERIFY(model.isTicking());
        const QModelIndex state = model.index(model.rowOf(u"api"_s), ServiceTableModel::State);
        clock.set(api()->snapshot().takenAtMs);
        QCOMPARE(state.data().toString(), u"backoff · retry in 1m00s"_s);

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        clock.advance(std::chrono::seconds(1));
        QVERIFY(changed.wait(3000)); // the next tick, at most a second away
        QCOMPARE(state.data().toString(), u"backoff · retry in 59s"_s);
        // The countdown's cell alone, not the row or the table.
        for (const QList<QVariant> &args : std::as_const(changed)) {
            QCOMPARE(args.at(0).toModelIndex(), state);
            QCOMPARE(args.at(1).toModelIndex(), state);
        }
        clock.advance(std::chrono::seconds(5));
        changed.clear();
        QVERIFY(changed.wait(3000));
        QCOMPARE(state.data().toString(), u"backoff · retry in 54s"_s);

        QVERIFY(fleet()->stop(u"api"_s));
        QTRY_COMPARE_WITH_TIMEOUT(api()->state(), ServiceState::Stopped, 10000);
        QTRY_VERIFY(!model.isTicking());
    }

    void sortKeysAreNumbersAndSeverities()
    {
        bootAndWait();
        QVERIFY(fleet()->stop(u"worker"_s));
        QTRY_COMPARE_WITH_TIMEOUT(worker()->state(), ServiceState::Stopped, 10000);
        ServiceTableModel model(m_engine->client());
        model.setUsage(u"api"_s, 9.5, 10'000'000);
        const auto key = [&](const QString &name, int column) {
            return model.index(model.rowOf(name), column).data(ServiceTableModel::SortRole);
        };
        QCOMPARE(key(u"api"_s, ServiceTableModel::Pid).toLongLong(), qint64(api()->pid()));
        QCOMPARE(key(u"worker"_s, ServiceTableModel::Pid).toLongLong(), -1);
        QCOMPARE(key(u"api"_s, ServiceTableModel::Cpu).typeId(), QMetaType::Double);
        QCOMPARE(key(u"api"_s, ServiceTableModel::Memory).toLongLong(), 10'000'000);
        QCOMPARE(key(u"api"_s, ServiceTableModel::Uptime).typeId(), QMetaType::LongLong);
        QVERIFY(key(u"api"_s, ServiceTableModel::Uptime).toLongLong() > 0);
        QCOMPARE(key(u"api"_s, ServiceTableModel::Restarts).typeId(), QMetaType::Int);
        // Running before stopped; anything that needs a person after both.
        QVERIFY(key(u"api"_s, ServiceTableModel::State).toInt() <
                key(u"worker"_s, ServiceTableModel::State).toInt());
    }

    void snapshotsThatChangeNothingVisibleRepaintNothing()
    {
        // A health check every 100 ms and 200 ms samples: a snapshot and a
        // sample several times a second, as with 20 services checked every
        // second. Each used to repaint the service's whole row.
        const quint16 port = freePort();
        QVERIFY(useEngine(demoApi("",
                                  "[service.health]\nurl = \"http://127.0.0.1:" + QByteArray::number(port) +
                                      "/health\"\ninterval = \"100ms\"\nstart_period = \"0s\"\n",
                                  port)));
        ServiceTableModel model(m_engine->client());
        // The sampler's figures come in as Application passes them.
        connect(m_engine->client(), &EngineClient::sampled, &model, [&] {
            for (const ServiceUsage &u : m_engine->client()->lastUsage().services)
                model.setUsage(u.name, u.cpuPercent, u.rssBytes);
        });
        QVERIFY(fleet()->start(u"api"_s));
        const int row = model.rowOf(u"api"_s);
        QTRY_VERIFY_WITH_TIMEOUT(
            model.index(row, ServiceTableModel::Health).data().toString().startsWith(u"healthy · "_s), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            !model.index(row, ServiceTableModel::Memory).data().toString().startsWith(u"—"_s), 10000);

        // What each cell shows, as a person sees it; a repaint must show something new.
        const auto look = [&](int column) {
            const QModelIndex i = model.index(row, column);
            return QStringList{i.data().toString(), i.data(ServiceTableModel::SeverityRole).toString(),
                               i.data(Qt::ForegroundRole).toString()};
        };
        QHash<int, QStringList> shown;
        for (int c = 0; c < ServiceTableModel::ColumnCount; ++c)
            shown[c] = look(c);
        int repaints = 0;
        QStringList needless;
        connect(&model, &QAbstractItemModel::dataChanged, this,
                [&](const QModelIndex &tl, const QModelIndex &br) {
                    for (int c = tl.column(); c <= br.column(); ++c) {
                        ++repaints;
                        const QStringList now = look(c);
                        if (now == shown[c])
                            needless << QStringLiteral("column %1: %2").arg(c).arg(now.join(u'|'));
                        shown[c] = now;
                    }
                });
        QSignalSpy updated(m_engine->client(), &EngineClient::serviceUpdated);
        QSignalSpy sampled(m_engine->client(), &EngineClient::sampled);
        QTRY_VERIFY_WITH_TIMEOUT(updated.size() >= 10 && sampled.size() >= 5, 15000);
        QVERIFY2(needless.isEmpty(), qPrintable(needless.join(u'\n')));
        // A latency moving between "< 1 ms" and "2 ms" may repaint its cell,
        // never the rest of the row.
        QVERIFY2(repaints < updated.size() + sampled.size(), qPrintable(QString::number(repaints)));
    }
};

QTEST_MAIN(TestServiceTableModel)
#include "tst_servicetablemodel.moc"
