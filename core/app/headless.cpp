#include "app/headless.h"

#include "app/livereload.h"
#include "config/configloader.h"
#include "control/controlpaths.h"
#include "control/controlserver.h"
#include "control/statedir.h"
#include "recovery/recovery.h"
#include "supervise/exitstatus.h"
#include "supervise/fleet.h"
#include "util/signalpipe.h"

#include <QCoreApplication>
#include <QDir>
#include <QLockFile>
#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

void printErr(const QString &text)
{
    std::fputs(qPrintable(text + u'\n'), stderr);
    std::fflush(stderr);
}

void printOut(const QString &text)
{
    std::fputs(qPrintable(text + u'\n'), stdout);
    std::fflush(stdout);
}

} // namespace

int runHeadless(const QString &configPath, const QString &socketPathArg)
{
    // app/main.cpp calls us before any application object exists.
    std::unique_ptr<QCoreApplication> ownApp;
    if (!QCoreApplication::instance()) {
        static int argc = 1;
        static char arg0[] = "lifeline";
        static char *argv[] = {arg0, nullptr};
        ownApp = std::make_unique<QCoreApplication>(argc, argv);
        QCoreApplication::setApplicationName(u"lifeline"_s);
        QCoreApplication::setApplicationVersion(QStringLiteral(LIFELINE_VERSION));
    }

    // 1. Configuration: errors stop us (exit 2), warnings are shown.
    const LoadResult loaded = ConfigLoader::loadFile(configPath);
    for (const Diagnostic &d : loaded.warnings)
        printErr(d.toString());
    if (!loaded.ok()) {
        for (const Diagnostic &d : loaded.errors)
            printErr(d.toString());
        if (loaded.errors.isEmpty())
            printErr(u"%1: error: cannot load the configuration"_s.arg(configPath));
        return 2;
    }
    const Config &config = *loaded.config;
    const QString configName = config.path.isEmpty() ? canonicalConfigPath(configPath) : config.path;

    // 2. Single instance, per configuration: the control socket answers.
    QString socketPath = socketPathArg;
    if (socketPath.isEmpty()) {
        QString error;
        socketPath = socketPathForConfig(configName, &error);
        if (socketPath.isEmpty()) {
            printErr(u"lifeline: %1"_s.arg(error));
            return 1;
        }
    }
    if (ControlServer::isServerAlive(socketPath)) {
        printErr(u"lifeline: another Lifeline is already running for %1 (socket %2)"_s.arg(configName,
                                                                                           socketPath));
        return 1;
    }

    // 3. ... and per state_dir: two configurations must not share pidfiles and logs.
    QString lockError;
    const std::unique_ptr<QLockFile> lock = takeStateDirLock(config.settings.stateDir, &lockError);
    if (!lock) {
        printErr(u"lifeline: %1 (configuration %2)"_s.arg(lockError, configName));
        return 1;
    }

    // 4. The engine and its control socket.
    Fleet fleet(config);
    Recovery recovery(&fleet);
    ControlServer server(&fleet);
    server.setRecovery(&recovery);
    // Edits of the file apply while we run, as in the desktop app.
    LiveReload reload(&fleet, &recovery);
    QObject::connect(&reload, &LiveReload::applied, &fleet, [](const QString &summary) {
        printErr(u"lifeline: configuration reloaded: "_s + summary);
    });
    QObject::connect(&reload, &LiveReload::deferred, &fleet, [] {
        printErr(u"lifeline: configuration changed; applied when the running recovery has finished"_s);
    });
    QObject::connect(&reload, &LiveReload::failed, &fleet, [](const QString &errors) {
        printErr(u"lifeline: configuration not reloaded (the running one stays):\n"_s + errors);
    });
    QString error;
    if (!server.listen(socketPath, &error)) {
        printErr(u"lifeline: "_s + error);
        return 1;
    }

    SignalPipe signalPipe;
    if (!signalPipe.install(&error)) {
        printErr(u"lifeline: "_s + error);
        return 1;
    }
    bool shuttingDown = false;
    QSocketNotifier notifier(signalPipe.readFd(), QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &fleet, [&] {
        const QList<int> sigs = signalPipe.drain();
        if (sigs.isEmpty())
            return;
        if (shuttingDown) {
            printErr(u"lifeline: %1 received; already shutting down (services get stop_timeout, then "
                     u"SIGKILL)"_s.arg(signalName(sigs.constLast())));
            return;
        }
        shuttingDown = true;
        // From here on nothing starts: no reload, no restart, no lifelinectl start.
        fleet.beginShutdown();
        const qsizetype count = fleet.services().size();
        if (fleet.config().settings.onExit == OnExit::Keep) { // follows reloads
            // on_exit = keep: the services outlive us; a later Lifeline adopts them.
            printErr(u"lifeline: %1 received; leaving %2 services running (on_exit = keep)"_s.arg(
                signalName(sigs.constFirst()), QString::number(count)));
            fleet.detachAll();
            QCoreApplication::exit(0);
            return;
        }
        // stop, or ask with nobody to ask: stop everything in reverse dependency order.
        printErr(u"lifeline: %1 received; stopping %2 services"_s.arg(signalName(sigs.constFirst()),
                                                                      QString::number(count)));
        QObject::connect(&fleet, &Fleet::allStopped, &fleet, [] { QCoreApplication::exit(0); });
        fleet.stopAll();
        if (fleet.isAllStopped())
            QCoreApplication::exit(0);
    });

    fleet.boot();
    printOut(u"lifeline: supervising %1 services, control socket %2"_s.arg(
        QString::number(fleet.services().size()), socketPath));

    const int rc = QCoreApplication::exec();
    server.close();
    printErr(u"lifeline: stopped"_s);
    return rc;
}

} // namespace lifeline
