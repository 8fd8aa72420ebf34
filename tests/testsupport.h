// Small helpers shared by the tests (header-only; each test is one executable).
#pragma once

#include "engine/enginehost.h"
#include "supervise/fleet.h"

#include <QHostAddress>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>

// A TCP port on 127.0.0.1 that was free a moment ago: bind to port 0, read
// the port the kernel chose, release it. 0 if nothing could be bound.
inline quint16 freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0))
        return 0;
    return s.serverPort();
}

// True when something accepts connections on 127.0.0.1:port now. A demo
// backend listens only after its signal handlers are in place, so this is
// also "a --ignore-term backend ignores SIGTERM from now on".
inline bool portAnswers(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    return socket.waitForConnected(500);
}

// Stops every service (reverse dependency order, whole trees) and waits for
// it; false if the fleet did not get there within 15 s.
inline bool stopFleet(lifeline::Fleet &fleet)
{
    if (fleet.isAllStopped())
        return true;
    QSignalSpy stopped(&fleet, &lifeline::Fleet::allStopped);
    fleet.stopAll();
    return fleet.isAllStopped() || stopped.wait(15000);
}

// The same, asked through the client a window holds.
inline bool stopFleet(lifeline::EngineClient &engine)
{
    if (engine.isAllStopped())
        return true;
    QSignalSpy stopped(&engine, &lifeline::EngineClient::allStopped);
    engine.stopAll();
    return stopped.wait(15000) || engine.isAllStopped();
}

// A child the test started (a `lifeline --headless`, usually): asked to end,
// then killed if it will not, and waited for when the test ends.
// An Engine on the test's thread, as headless mode runs it, and the client
// the window reads. Widgets under test get client(); a test may drive and
// inspect the engine's side directly through fleet(), and the client
// follows once the event loop runs (QTRY_*).
class TestEngine
{
public:
    // Without live reload: a test applies configurations itself.
    explicit TestEngine(const lifeline::Config &config,
                        lifeline::EngineOptions options = {.liveReload = false})
        : m_host(config, lifeline::EngineHost::Threading::CallerThread, options)
    {
        m_host.initialize();
    }
    lifeline::EngineClient *client() const { return m_host.client(); }
    lifeline::Fleet &fleet() const { return *m_host.engine()->fleet(); }
    lifeline::Engine &engine() const { return *m_host.engine(); }

private:
    lifeline::EngineHost m_host;
};

struct HeadlessProcess
{
    QProcess process;

    HeadlessProcess() = default;
    HeadlessProcess(const HeadlessProcess &) = delete;
    HeadlessProcess &operator=(const HeadlessProcess &) = delete;
    ~HeadlessProcess()
    {
        if (process.state() != QProcess::NotRunning) {
            process.terminate();
            if (!process.waitForFinished(15000)) {
                process.kill();
                process.waitForFinished(5000);
            }
        }
    }
};

#ifdef LIFELINE_CTL
// lifelinectl run to its end: how it ended and what it said. A run that does
// not end within timeoutMs is killed and reported as not finished.
struct CtlRun
{
    bool finished = false;
    int exitCode = -1; // 128 + the signal when it crashed
    QString out;
    QString err;
};

inline CtlRun runLifelinectl(const QStringList &args, int timeoutMs = 30'000)
{
    QProcess p;
    p.start(QStringLiteral(LIFELINE_CTL), args);
    CtlRun r;
    r.finished = p.waitForStarted(5000) && p.waitForFinished(timeoutMs);
    if (!r.finished) {
        p.kill();
        p.waitForFinished(5000);
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : 128 + p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}
#endif
