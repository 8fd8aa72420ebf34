#include "engine/enginehost.h"

namespace lifeline {

EngineHost::EngineHost(const Config &config, Threading threading, const EngineOptions &options,
                       QObject *parent)
    : QObject(parent)
{
    m_engine = new Engine(config, options);
    if (threading == Threading::OwnThread) {
        m_thread = std::make_unique<QThread>();
        m_thread->setObjectName(QStringLiteral("lifeline-engine"));
        m_engine->moveToThread(m_thread.get());
        m_thread->start();
    }
    m_client = std::make_unique<EngineClient>(m_engine, config);
}

EngineHost::~EngineHost()
{
    m_client.reset();
    if (!m_thread) {
        delete m_engine;
        return;
    }
    // The GUI has ended by now; waiting here delays only the process exit.
    QMetaObject::invokeMethod(
        m_engine, [e = m_engine] { delete e; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

void EngineHost::initialize(const QString &socketPath)
{
    if (!m_thread) {
        m_engine->initialize(socketPath);
        return;
    }
    QMetaObject::invokeMethod(
        m_engine, [e = m_engine, socketPath] { e->initialize(socketPath); }, Qt::QueuedConnection);
}

} // namespace lifeline
