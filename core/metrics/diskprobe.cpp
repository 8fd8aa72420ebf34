#include "diskprobe.h"

#include <QDateTime>
#include <QMutex>
#include <QMutexLocker>
#include <QStorageInfo>
#include <QTimer>

#include <system_error>
#include <thread>

namespace lifeline {

struct DiskProbe::Shared
{
    QMutex mutex;
    DiskProbe *owner = nullptr; // null once the probe is gone
};

DiskProbe::DiskProbe(QObject *parent, StatFunction stat, std::chrono::milliseconds deadline)
    : QObject(parent)
    , m_stat(std::move(stat))
    , m_deadline(deadline)
    , m_shared(std::make_shared<Shared>())
{
    m_shared->owner = this;
}

DiskProbe::~DiskProbe()
{
    // Threads still in statfs finish on their own and find no owner; the
    // answers they already posted die with this object's posted events.
    const QMutexLocker lock(&m_shared->mutex);
    m_shared->owner = nullptr;
}

void DiskProbe::probe(const QStringList &paths)
{
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (paths.contains(it.key()))
            ++it;
        else
            it = m_entries.erase(it);
    }
    bool noThread = false;
    for (const QString &path : paths) {
        Entry &entry = m_entries[path];
        if (entry.running != 0)
            continue;
        const quint64 id = m_nextId++;
        try {
            std::thread([shared = m_shared, stat = m_stat, path, id] {
                const std::optional<DiskFigures> figures = stat(path);
                const QMutexLocker lock(&shared->mutex);
                if (DiskProbe *owner = shared->owner) {
                    QMetaObject::invokeMethod(
                        owner, [owner, path, id, figures] { owner->land(path, id, figures); },
                        Qt::QueuedConnection);
                }
            }).detach();
        } catch (const std::system_error &) {
            // Out of threads: unknown now, tried again on the next probe().
            entry.reading.unavailable = true;
            noThread = true;
            continue;
        }
        entry.running = id;
        QTimer::singleShot(m_deadline, this, [this, path, id] { expire(path, id); });
    }
    if (noThread)
        emit updated();
}

void DiskProbe::land(const QString &path, quint64 id, const std::optional<DiskFigures> &figures)
{
    const auto it = m_entries.find(path);
    if (it == m_entries.end() || it->running != id)
        return; // the path was dropped (and maybe listed again) meanwhile
    it->running = 0;
    it->reading.figures = figures;
    it->reading.takenMs = QDateTime::currentMSecsSinceEpoch();
    it->reading.unavailable = false;
    emit updated();
}

void DiskProbe::expire(const QString &path, quint64 id)
{
    const auto it = m_entries.find(path);
    if (it == m_entries.end() || it->running != id || it->reading.unavailable)
        return;
    it->reading.unavailable = true;
    emit updated();
}

std::optional<DiskFigures> DiskProbe::statPath(const QString &path)
{
    const QStorageInfo info(path);
    if (!info.isValid() || !info.isReady() || info.bytesTotal() <= 0)
        return std::nullopt;
    return DiskFigures{info.rootPath(), info.bytesTotal(), info.bytesFree(), info.bytesAvailable()};
}

} // namespace lifeline
