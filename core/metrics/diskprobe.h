// Disk figures without blocking the event loop: statfs on a dead network
// mount hangs in the kernel, so every path is measured on a thread of its
// own and the event loop only reads the figures those threads left behind.
// A path whose measurement has not answered within the deadline is
// "unavailable" (its last figures are kept); its thread is abandoned, never
// joined, and the path is not measured again until that thread answers, so
// a dead mount costs one stuck thread, not one per tick.
#pragma once

#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace lifeline {

struct DiskFigures
{
    QString rootPath; // the mount point
    qint64 totalBytes = 0;
    qint64 freeBytes = 0;
    qint64 availableBytes = 0; // to an unprivileged user
};

class DiskProbe final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DiskProbe)

public:
    // Runs on a worker thread; nullopt when the path does not exist or
    // cannot be queried.
    using StatFunction = std::function<std::optional<DiskFigures>(const QString &path)>;

    struct Reading
    {
        std::optional<DiskFigures> figures; // the last answer, kept while unavailable
        qint64 takenMs = -1;                // wall-clock ms of that answer; -1 never answered
        bool unavailable = false;           // the current measurement is past the deadline
    };

    explicit DiskProbe(QObject *parent = nullptr, StatFunction stat = statPath,
                       std::chrono::milliseconds deadline = std::chrono::seconds(2));
    ~DiskProbe() override;

    // Starts a measurement of every path that has none running; forgets
    // paths no longer listed.
    void probe(const QStringList &paths);
    Reading reading(const QString &path) const { return m_entries.value(path).reading; }

    // QStorageInfo: the blocking call this class keeps off the event loop.
    static std::optional<DiskFigures> statPath(const QString &path);

signals:
    // A measurement answered, or one passed the deadline.
    void updated();

private:
    struct Entry
    {
        Reading reading;
        quint64 running = 0; // id of the measurement in flight; 0 none
    };
    struct Shared; // what outlives this object for the abandoned threads

    void land(const QString &path, quint64 id, const std::optional<DiskFigures> &figures);
    void expire(const QString &path, quint64 id);

    StatFunction m_stat;
    std::chrono::milliseconds m_deadline;
    std::shared_ptr<Shared> m_shared;
    QHash<QString, Entry> m_entries;
    quint64 m_nextId = 1;
};

} // namespace lifeline
