#include "metricssampler.h"

#include "metricshistory.h"
#include "util/clock.h"
#include "util/units.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace lifeline {

MetricsSampler::MetricsSampler(MetricsHistory *history, QObject *parent, const QString &procRoot)
    : QObject(parent)
    , m_history(history)
    , m_procRoot(procRoot)
    , m_system(procRoot)
    , m_diskProbe(new DiskProbe(this))
    , m_clock(Clock::system())
{
    m_timer.setInterval(m_interval);
    connect(&m_timer, &QTimer::timeout, this, &MetricsSampler::sampleNow);
    // Disk answers arrive between ticks; the status shows them at once.
    connect(m_diskProbe, &DiskProbe::updated, this,
            [this] { setDiskFigures(m_lastSystem, m_diskPaths, *m_diskProbe); });
}

MetricsSampler::~MetricsSampler() = default;

void MetricsSampler::setInterval(std::chrono::milliseconds interval)
{
    m_interval = interval;
    updateTimer();
}

std::chrono::milliseconds MetricsSampler::interval() const
{
    return m_interval;
}

std::chrono::milliseconds MetricsSampler::idleInterval() const
{
    return std::max(m_interval, std::min(m_interval * 10, IdleMax));
}

void MetricsSampler::setWatched(bool watched)
{
    if (watched == m_watched)
        return;
    m_watched = watched;
    updateTimer();
    // The window that just opened shows figures of now, not of up to
    // idleInterval() ago.
    if (watched && m_timer.isActive())
        sampleNow();
}

void MetricsSampler::updateTimer()
{
    const std::chrono::milliseconds wanted = m_watched || hasLimits() ? m_interval : idleInterval();
    if (m_timer.intervalAsDuration() != wanted)
        m_timer.setInterval(wanted);
}

void MetricsSampler::start()
{
    m_timer.start();
}

void MetricsSampler::stop()
{
    m_timer.stop();
}

void MetricsSampler::setMemoryLimit(const QString &service, qint64 bytes, std::chrono::milliseconds duration,
                                    const QString &unit)
{
    if (bytes <= 0)
        m_limits.remove(service);
    else
        m_limits.insert(service, Limit{bytes, std::max<qint64>(duration.count(), 0), unit, -1});
    updateTimer();
}

void MetricsSampler::setProcessReader(TreeSampler::ProcessReader reader, TreeSampler::FdCounter fds,
                                      qint64 ticksPerSecond)
{
    m_reader = std::move(reader);
    m_fds = std::move(fds);
    m_ticksPerSecond = ticksPerSecond;
    m_trees.clear();
}

std::unique_ptr<TreeSampler> MetricsSampler::makeTreeSampler() const
{
    if (m_reader)
        return std::make_unique<TreeSampler>(m_reader, m_fds, m_ticksPerSecond);
    return std::make_unique<TreeSampler>(m_procRoot);
}

std::optional<TreeSample> MetricsSampler::lastService(const QString &name) const
{
    const auto it = m_lastServices.constFind(name);
    if (it == m_lastServices.cend())
        return std::nullopt;
    return *it;
}

void MetricsSampler::setCpuLimit(const QString &service, double percent, std::chrono::milliseconds duration)
{
    if (percent <= 0)
        m_cpuLimits.remove(service);
    else
        m_cpuLimits.insert(service, CpuLimit{percent, std::max<qint64>(duration.count(), 0), -1});
    updateTimer();
}

QString MetricsSampler::cpuLimitReason(double limitPercent, std::chrono::milliseconds duration,
                                       double cpuPercent)
{
    return u"cpu limit %1% exceeded for %2 (%3%)"_s.arg(
        QString::number(limitPercent, 'g', 6), formatDuration(duration), QString::number(cpuPercent, 'f', 0));
}

QString MetricsSampler::memoryLimitReason(qint64 limitBytes, qint64 rssBytes, const QString &unit,
                                          std::chrono::milliseconds duration)
{
    // Without a unit (a limit in bytes) MB, as the configuration reads it.
    const QString u = unit.isEmpty() ? u"MB"_s : unit;
    QString reason = u"memory %1 > limit %2"_s.arg(formatSizeIn(rssBytes, u), formatSizeIn(limitBytes, u));
    if (duration.count() > 0)
        reason += u" for "_s + formatDuration(duration);
    return reason;
}

void MetricsSampler::sampleSystem(qint64 mono, qint64 wall)
{
    m_lastSystem = m_system.sample();
    // A disk fills in minutes, and each measurement is a thread per path.
    if (m_lastDiskMs < 0 || mono - m_lastDiskMs >= DiskEvery.count() - m_interval.count() / 2) {
        m_lastDiskMs = mono;
        m_diskProbe->probe(m_diskPaths);
    }
    setDiskFigures(m_lastSystem, m_diskPaths, *m_diskProbe);
    if (!m_history)
        return;
    if (m_lastSystem.cpuValid)
        m_history->append(QString(), u"cpu"_s, wall, m_lastSystem.cpuPercent);
    if (m_lastSystem.memoryValid) {
        m_history->append(QString(), u"memory"_s, wall, m_lastSystem.memoryPercent);
        m_history->append(QString(), u"swap"_s, wall, m_lastSystem.swapPercent);
    }
    if (m_lastSystem.loadValid)
        m_history->append(QString(), u"load"_s, wall, m_lastSystem.load.one);
    if (!m_lastSystem.disks.isEmpty())
        m_history->append(QString(), u"disk"_s, wall, m_lastSystem.diskPercent);
}

void MetricsSampler::sampleNow()
{
    const qint64 mono = m_clock->nowMs();
    const qint64 wall = QDateTime::currentMSecsSinceEpoch();
    // Half an interval of slack: a timer firing a little early still counts.
    const qint64 idleMs = idleInterval().count() - m_interval.count() / 2;
    const bool full = m_watched || m_lastFullMs < 0 || mono - m_lastFullMs >= idleMs;
    if (full) {
        m_lastFullMs = mono;
        sampleSystem(mono, wall);
    }

    const QHash<QString, QList<pid_t>> trees = m_provider ? m_provider() : QHash<QString, QList<pid_t>>();
    // Services that left the map lose their sample and their CPU baselines.
    for (auto it = m_trees.begin(); it != m_trees.end();) {
        if (!trees.contains(it.key()))
            it = m_trees.erase(it);
        else
            ++it;
    }
    for (auto it = m_lastServices.begin(); it != m_lastServices.end();) {
        if (!trees.contains(it.key()))
            it = m_lastServices.erase(it);
        else
            ++it;
    }
    m_lastPass.clear();
    for (auto it = trees.cbegin(); it != trees.cend(); ++it) {
        if (!full && !m_limits.contains(it.key()) && !m_cpuLimits.contains(it.key()))
            continue; // its last sample stands until the next full pass
        std::shared_ptr<TreeSampler> &sampler = m_trees[it.key()];
        if (!sampler)
            sampler = makeTreeSampler();
        const TreeSample s = sampler->sample(it.value(), mono);
        m_lastServices.insert(it.key(), s);
        m_lastPass.append(it.key());
        if (m_history) {
            m_history->append(it.key(), u"cpu"_s, wall, s.cpuPercent);
            m_history->append(it.key(), u"rss"_s, wall, double(s.rssBytes));
            m_history->append(it.key(), u"threads"_s, wall, s.threads);
            m_history->append(it.key(), u"fds"_s, wall, s.openFds);
        }
    }

    QList<std::pair<QString, QString>> exceeded;
    QList<std::pair<QString, QString>> cpuExceeded;
    for (auto it = m_limits.begin(); it != m_limits.end(); ++it) {
        const auto s = m_lastServices.constFind(it.key());
        if (s == m_lastServices.cend() || s->rssBytes <= it->bytes) {
            it->overSinceMs = -1;
            continue;
        }
        if (it->overSinceMs < 0)
            it->overSinceMs = mono;
        if (mono - it->overSinceMs >= it->durationMs) {
            it->overSinceMs = -1;
            exceeded.append({it.key(), memoryLimitReason(it->bytes, s->rssBytes, it->unit,
                                                         std::chrono::milliseconds(it->durationMs))});
        }
    }

    for (auto it = m_cpuLimits.begin(); it != m_cpuLimits.end(); ++it) {
        const auto s = m_lastServices.constFind(it.key());
        if (s == m_lastServices.cend() || s->cpuPercent <= it->percent) {
            it->overSinceMs = -1;
            continue;
        }
        if (it->overSinceMs < 0) {
            it->overSinceMs = mono;
            continue; // one sample is a moment, not a duration
        }
        if (mono - it->overSinceMs >= it->durationMs) {
            it->overSinceMs = -1;
            cpuExceeded.append(
                {it.key(),
                 cpuLimitReason(it->percent, std::chrono::milliseconds(it->durationMs), s->cpuPercent)});
        }
    }

    emit sampled(wall);
    // After sampled(), so a listener sees this pass's figures; a slot may
    // restart the service, which must not disturb the loop above.
    for (const auto &[service, reason] : std::as_const(exceeded))
        emit memoryLimitExceeded(service, reason);
    for (const auto &[service, reason] : std::as_const(cpuExceeded))
        emit cpuLimitExceeded(service, reason);
}

} // namespace lifeline
