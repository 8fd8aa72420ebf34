#include "headless.h"

#include "control/controlpaths.h"
#include "engine/engine.h"
#include "engine/startup.h"
#include "supervise/exitstatus.h"
#include "supervise/fleet.h"
#include "util/signalpipe.h"

#include <QCoreApplication>
#include <QDir>
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

int runHeadless(const QString &configPath, const QString &socketPathArg, const QString &profile)
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

    const Startup startup = prepareStartup(configPath, socketPathArg, profile);
    for (const QString &w : startup.warnings)
        printErr(w);
    if (!startup.ok()) {
        printErr(startup.exitCode == 2 ? startup.error : u"lifeline: "_s + startup.error);
        return startup.exitCode;
    }
    const QString &socketPath = startup.socketPath;

    // The engine on this thread: there is no frame to keep.
    Engine engine(*startup.config);
    QObject::connect(&engine, &Engine::reloadApplied, &engine, [](const QString &summary) {
        printErr(u"lifeline: configuration reloaded: "_s + summary);
    });
    QObject::connect(&engine, &Engine::reloadDeferred, &engine, [] {
        printErr(u"lifeline: configuration changed; applied when the running recovery has finished"_s);
    });
    QObject::connect(&engine, &Engine::reloadFailed, &engine, [](const QString &errors) {
        printErr(u"lifeline: configuration not reloaded (the running one stays):\n"_s + errors);
    });
    QString error;
    QObject::connect(&engine, &Engine::initialized, &engine,
                     [&error](bool, const QString &why) { error = why; });
    if (!engine.initialize(socketPath)) {
        printErr(u"lifeline: "_s + error);
        return 1;
    }
    Fleet &fleet = *engine.fleet();

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
    const QString profileName = fleet.config().profile;
    printOut(u"lifeline: supervising %1 services%3, control socket %2"_s.arg(
        QString::number(fleet.services().size()), socketPath,
        profileName.isEmpty() ? QString() : u" (profile "_s + profileName + u')'));

    const int rc = QCoreApplication::exec();
    engine.closeControl();
    printErr(u"lifeline: stopped"_s);
    return rc;
}

} // namespace lifeline
