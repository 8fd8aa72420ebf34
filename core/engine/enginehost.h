// Runs one Engine for a composition root and hands out its EngineClient.
// The desktop app gives the engine a thread of its own, so no SQLite flush,
// /proc pass or statfs ever delays a frame; headless mode and most tests
// keep it on the calling thread. Either way the client talks to it only
// through queued calls and signals.
#pragma once

#include "engine/engine.h"
#include "engine/engineclient.h"

#include <QObject>
#include <QThread>

#include <memory>

namespace lifeline {

class EngineHost final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineHost)

public:
    enum class Threading
    {
        OwnThread,
        CallerThread,
    };

    EngineHost(const Config &config, Threading threading, const EngineOptions &options = {},
               QObject *parent = nullptr);
    // The engine is destroyed on its own thread, which then ends.
    ~EngineHost() override;

    // Builds the engine's parts (on its thread; at once with CallerThread)
    // and opens the control socket when socketPath is set; the client's
    // initialized() tells the outcome.
    void initialize(const QString &socketPath = QString());

    EngineClient *client() const { return m_client.get(); }
    // Touch only from the engine's thread (CallerThread: this one).
    Engine *engine() const { return m_engine; }
    bool hasOwnThread() const { return m_thread != nullptr; }

private:
    std::unique_ptr<QThread> m_thread;
    Engine *m_engine = nullptr;
    std::unique_ptr<EngineClient> m_client;
};

} // namespace lifeline
