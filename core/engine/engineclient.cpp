#include "engine/engineclient.h"

#include <algorithm>

namespace lifeline {

ServiceView::ServiceView(const ServiceSnapshot &snapshot, QObject *parent)
    : QObject(parent)
    , m_snap(snapshot)
{}

void ServiceView::update(const ServiceSnapshot &snapshot)
{
    m_snap = snapshot;
    emit changed();
}

void ServiceView::setErrors(const QList<ErrorSignature> &errors)
{
    m_errors = errors;
    emit errorsChanged();
}

qint64 ServiceView::sinceTaken(qint64 nowMs) const
{
    return std::max<qint64>(0, nowMs - m_snap.takenAtMs);
}

qint64 ServiceView::uptimeMs() const
{
    return uptimeMs(snapshotClockMs());
}

qint64 ServiceView::uptimeMs(qint64 nowMs) const
{
    if (m_snap.state != ServiceState::Running || m_snap.uptimeMs <= 0)
        return 0;
    return m_snap.uptimeMs + sinceTaken(nowMs);
}

qint64 ServiceView::nextRestartInMs() const
{
    return nextRestartInMs(snapshotClockMs());
}

qint64 ServiceView::nextRestartInMs(qint64 nowMs) const
{
    if (m_snap.nextRestartInMs < 0)
        return -1;
    return std::max<qint64>(0, m_snap.nextRestartInMs - sinceTaken(nowMs));
}

EngineClient::EngineClient(Engine *engine, const Config &config, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_config(config)
{
    m_fleet.stateDir = config.settings.stateDir;
    m_fleet.eventLogPath = config.settings.stateDir + QStringLiteral("/lifeline.log");
    for (const QString &name : config.startOrder()) {
        const ServiceSpec *spec = config.service(name);
        if (!spec)
            continue;
        auto *view = new ServiceView(ServiceSnapshot::beforeStart(*spec, config.settings.stateDir), this);
        m_services.append(view);
        m_byName.insert(name, view);
    }

    // Queued even when the engine shares our thread: a slot never runs
    // inside the engine's own call stack, in the desktop app or in a test.
    constexpr auto queued = Qt::QueuedConnection;
    connect(engine, &Engine::initialized, this, &EngineClient::initialized, queued);
    connect(
        engine, &Engine::configChanged, this,
        [this](const Config &c) {
            m_config = c;
            emit configChanged();
        },
        queued);
    connect(
        engine, &Engine::fleetUpdated, this,
        [this](const FleetSnapshot &f) {
            m_fleet = f;
            emit fleetUpdated();
        },
        queued);
    connect(engine, &Engine::serviceUpdated, this, &EngineClient::onServiceUpdated, queued);
    connect(
        engine, &Engine::errorsUpdated, this,
        [this](const QString &name, const QList<ErrorSignature> &errors) {
            if (ServiceView *view = service(name))
                view->setErrors(errors);
        },
        queued);
    connect(engine, &Engine::serviceAdded, this, &EngineClient::onServiceAdded, queued);
    connect(engine, &Engine::serviceRemoved, this, &EngineClient::onServiceRemoved, queued);
    connect(engine, &Engine::serviceStateChanged, this, &EngineClient::serviceStateChanged, queued);
    connect(engine, &Engine::serviceHealthChanged, this, &EngineClient::serviceHealthChanged, queued);
    connect(engine, &Engine::waitingChanged, this, &EngineClient::waitingChanged, queued);
    connect(engine, &Engine::serviceLogsDropping, this, &EngineClient::serviceLogsDropping, queued);
    connect(engine, &Engine::eventLogged, this, &EngineClient::eventLogged, queued);
    connect(engine, &Engine::allStopped, this, &EngineClient::allStopped, queued);
    connect(engine, &Engine::shutdownBegun, this, &EngineClient::shutdownBegun, queued);
    connect(engine, &Engine::orphansChanged, this, &EngineClient::orphansChanged, queued);
    connect(
        engine, &Engine::sampled, this,
        [this](const UsageSnapshot &usage) {
            m_usage = usage;
            m_usageIndex.clear();
            for (qsizetype i = 0; i < usage.services.size(); ++i)
                m_usageIndex.insert(usage.services.at(i).name, i);
            emit sampled();
        },
        queued);
    connect(engine, &Engine::reloadApplied, this, &EngineClient::reloadApplied, queued);
    connect(engine, &Engine::reloadFailed, this, &EngineClient::reloadFailed, queued);
    connect(engine, &Engine::reloadDeferred, this, &EngineClient::reloadDeferred, queued);
    connect(
        engine, &Engine::recoveryStarted, this,
        [this](const QList<RecoveryStep> &steps) {
            m_recoveryRunning = true;
            m_recoverySteps = steps;
            emit recoveryStarted();
        },
        queued);
    connect(
        engine, &Engine::recoveryStepChanged, this,
        [this](int index, const RecoveryStep &step) {
            if (index >= 0 && index < m_recoverySteps.size())
                m_recoverySteps[index] = step;
            emit recoveryStepChanged(index, step);
        },
        queued);
    connect(
        engine, &Engine::recoveryFinished, this,
        [this](const RecoveryReport &report) {
            m_recoveryRunning = false;
            emit recoveryFinished(report);
        },
        queued);
    connect(engine, &Engine::recoveryPlanned, this, &EngineClient::recoveryPlanned, queued);
    connect(engine, &Engine::recoveryRefused, this, &EngineClient::recoveryRefused, queued);
    connect(engine, &Engine::repairStarted, this, &EngineClient::repairStarted, queued);
    connect(engine, &Engine::repairStepStarted, this, &EngineClient::repairStepStarted, queued);
    connect(engine, &Engine::repairOutput, this, &EngineClient::repairOutput, queued);
    connect(engine, &Engine::repairStepFinished, this, &EngineClient::repairStepFinished, queued);
    connect(engine, &Engine::repairFinished, this, &EngineClient::repairFinished, queued);
    connect(engine, &Engine::repairRefused, this, &EngineClient::repairRefused, queued);
    connect(
        engine, &Engine::historyAnswered, this,
        [this](const HistoryAnswer &answer) {
            --m_pendingQueries;
            emit historyAnswered(answer);
        },
        queued);
    connect(engine, &Engine::commandFailed, this, &EngineClient::commandFailed, queued);
    connect(engine, &Engine::reportWritten, this, &EngineClient::reportWritten, queued);
    connect(engine, &Engine::updateAvailable, this, &EngineClient::updateAvailable, queued);
    connect(engine, &Engine::updateAlert, this, &EngineClient::updateAlert, queued);
    connect(engine, &Engine::updateFinished, this, &EngineClient::updateFinished, queued);
    connect(engine, &Engine::crashRecorded, this, &EngineClient::crashRecorded, queued);
    connect(engine, &Engine::crashesAnswered, this, &EngineClient::crashesAnswered, queued);
    connect(engine, &Engine::crashFetched, this, &EngineClient::crashFetched, queued);
    connect(engine, &Engine::alertNotified, this, &EngineClient::alertNotified, queued);
    connect(engine, &Engine::alertsChanged, this, &EngineClient::alertsChanged, queued);
    connect(engine, &Engine::alertsAnswered, this, &EngineClient::alertsAnswered, queued);
}

EngineClient::~EngineClient() = default;

template<typename F>
void EngineClient::post(F &&work)
{
    QMetaObject::invokeMethod(m_engine, std::forward<F>(work), Qt::QueuedConnection);
}

ServiceView *EngineClient::service(const QString &name) const
{
    return m_byName.value(name);
}

QStringList EngineClient::dependentsOf(const QString &name) const
{
    const ServiceView *s = service(name);
    return s ? s->dependents() : QStringList();
}

QString EngineClient::waitingReason(const QString &name) const
{
    const ServiceView *s = service(name);
    return s ? s->waitingReason() : QString();
}

std::optional<ServiceUsage> EngineClient::usage(const QString &name) const
{
    const auto it = m_usageIndex.constFind(name);
    if (it == m_usageIndex.constEnd())
        return std::nullopt;
    return m_usage.services.at(*it);
}

void EngineClient::onServiceUpdated(const ServiceSnapshot &snapshot)
{
    ServiceView *view = service(snapshot.name());
    if (!view)
        return; // removed meanwhile
    view->update(snapshot);
    emit serviceUpdated(snapshot.name());
}

void EngineClient::onServiceAdded(int row, const ServiceSnapshot &snapshot)
{
    if (m_byName.contains(snapshot.name()))
        return onServiceUpdated(snapshot);
    row = std::clamp(row, 0, int(m_services.size()));
    emit serviceAboutToBeAdded(row, snapshot.name());
    auto *view = new ServiceView(snapshot, this);
    m_services.insert(row, view);
    m_byName.insert(snapshot.name(), view);
    emit serviceAdded(snapshot.name());
}

void EngineClient::onServiceRemoved(const QString &name)
{
    ServiceView *view = m_byName.value(name);
    if (!view)
        return;
    const int row = int(m_services.indexOf(view));
    emit serviceAboutToBeRemoved(row, name);
    m_services.removeAt(row);
    m_byName.remove(name);
    emit serviceRemoved(name);
    view->deleteLater();
}

bool EngineClient::knows(const QString &name, QString *error) const
{
    if (m_byName.contains(name))
        return true;
    if (error)
        *error = tr("no service named \"%1\"").arg(name);
    return false;
}

bool EngineClient::start(const QString &name, QString *error)
{
    if (!knows(name, error))
        return false;
    post([e = m_engine, name] { e->start(name); });
    return true;
}

bool EngineClient::stop(const QString &name, QString *error)
{
    if (!knows(name, error))
        return false;
    post([e = m_engine, name] { e->stop(name); });
    return true;
}

bool EngineClient::restart(const QString &name, QString *error)
{
    if (!knows(name, error))
        return false;
    post([e = m_engine, name] { e->restart(name); });
    return true;
}

bool EngineClient::restartWithDependents(const QString &name, QString *error)
{
    if (!knows(name, error))
        return false;
    post([e = m_engine, name] { e->restartWithDependents(name); });
    return true;
}

void EngineClient::boot()
{
    post([e = m_engine] { e->boot(); });
}

void EngineClient::startAll()
{
    post([e = m_engine] { e->startAll(); });
}

void EngineClient::stopAll()
{
    post([e = m_engine] { e->stopAll(); });
}

void EngineClient::restartAll()
{
    post([e = m_engine] { e->restartAll(); });
}

void EngineClient::detachAll()
{
    post([e = m_engine] { e->detachAll(); });
}

void EngineClient::beginShutdown()
{
    m_fleet.shuttingDown = true; // the latch holds from the moment it is asked for
    post([e = m_engine] { e->beginShutdown(); });
}

void EngineClient::closeControl()
{
    post([e = m_engine] { e->closeControl(); });
}

void EngineClient::writeEvent(const QString &text)
{
    post([e = m_engine, text] { e->writeEvent(text); });
}

quint64 EngineClient::queryHistory(const HistoryQuery &query)
{
    const quint64 id = m_nextQueryId++;
    ++m_pendingQueries;
    post([e = m_engine, id, query] { e->queryHistory(id, query); });
    return id;
}

bool EngineClient::applyUpdate(const QString &name, QString *error)
{
    if (!knows(name, error))
        return false;
    post([e = m_engine, name] { e->applyUpdate(name); });
    return true;
}

void EngineClient::queryCrashes(const QString &service)
{
    post([e = m_engine, service] { e->queryCrashes(service); });
}

void EngineClient::fetchCrash(const QString &service, qint64 id)
{
    post([e = m_engine, service, id] { e->fetchCrash(service, id); });
}

void EngineClient::queryAlerts(const QString &service)
{
    post([e = m_engine, service] { e->queryAlerts(service); });
}

void EngineClient::pauseAlerts(qint64 ms)
{
    post([e = m_engine, ms] { e->pauseAlerts(ms); });
}

void EngineClient::setWindowShown(bool shown)
{
    if (m_windowShown == shown)
        return;
    m_windowShown = shown;
    post([e = m_engine, shown] { e->setWindowShown(shown); });
}

void EngineClient::planRecovery()
{
    post([e = m_engine] { e->planRecovery(); });
}

void EngineClient::startRecovery(const RecoveryOptions &options)
{
    post([e = m_engine, options] { e->startRecovery(options); });
}

void EngineClient::writeReport(const QString &path)
{
    post([e = m_engine, path] { e->writeReport(path); });
}

void EngineClient::startRepair(const QString &name)
{
    post([e = m_engine, name] { e->startRepair(name); });
}

void EngineClient::setProfile(const QString &name)
{
    post([engine = m_engine, name] { engine->setProfile(name); });
}

} // namespace lifeline
