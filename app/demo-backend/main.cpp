// lifeline-demo-backend: a small HTTP backend that fails on request, for the demo stack and the
// tests (design.md, "Demo backend").

#include "demobackend.h"
#include "options.h"

#include <QCoreApplication>

#include <cstdio>

#include <signal.h>
#include <unistd.h>

using namespace lifeline::demo;

namespace {

// Every log line is written with write(2) straight away, so nothing is buffered and leaving with
// _exit() loses nothing. Works while "hung" too, since it does not need the event loop.
extern "C" void exitOnSignal(int)
{
    ::_exit(0);
}

void installSignalHandlers(bool ignoreTerm)
{
    struct sigaction action = {};
    action.sa_handler = exitOnSignal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    if (ignoreTerm)
        action.sa_handler = SIG_IGN;
    ::sigaction(SIGTERM, &action, nullptr);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QString error;
    const auto options = parseOptions(QCoreApplication::arguments().mid(1), &error);
    if (!options) {
        std::fprintf(stderr, "lifeline-demo-backend: %s\n%s", qPrintable(error), qPrintable(usageText()));
        return 64; // EX_USAGE
    }
    installSignalHandlers(options->ignoreTerm);
    DemoBackend backend(*options);
    backend.start();
    return QCoreApplication::exec();
}
