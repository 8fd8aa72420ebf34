// Metric history for the charts: the last hour at full rate in memory, and
// aggregated tiers on disk in SQLite (<state_dir>/history.sqlite):
//   10 s buckets (min/avg/max) kept 7 days, 5 min buckets kept 90 days.
// Writes are batched: samples update pending buckets in memory, and those are
// written in one transaction at most every flushInterval (30 s) or on flush().
// Each flush upserts every pending bucket, so a longer interval writes each
// 10 s bucket once instead of twice and each 5 min bucket a tenth as often;
// a crash loses at most that much of the on-disk history (the last hour is in
// memory anyway, and charts read pending buckets too).
// The file is capped in size (oldest rows go first). A database that cannot
// be read is moved aside and replaced, never a crash; lastWarning() says so.
// Damage inside the file is looked for twice: PRAGMA quick_check at open
// (linear in the file, which the size cap bounds; it runs where the open
// always ran, before the first sample), and SQLITE_CORRUPT / SQLITE_NOTADB
// from any later read or write, after which the file is moved aside to
// history.sqlite.corrupt-<time> (with its -wal and -shm) and a fresh one
// takes the pending buckets: one warning, and later flushes succeed.
// A series is a (service, metric) pair; the empty service is the system.
// Times are wall-clock milliseconds since the epoch (they outlive a restart).
#pragma once

#include <QHash>
#include <QList>
#include <QObject>
#include <QPointF>
#include <QSqlDatabase>
#include <QSqlError>
#include <QString>
#include <QThread>
#include <QTimer>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

namespace lifeline {

enum class HistoryEventKind
{
    Start,
    Exit,
    Restart,
    Health,
    Recovery
};
QString historyEventKindName(HistoryEventKind kind); // "start", "exit", ...
std::optional<HistoryEventKind> historyEventKindFromName(QStringView name);

struct HistoryEvent
{
    qint64 timeMs = 0;
    QString service;
    HistoryEventKind kind = HistoryEventKind::Start;
    QString text;
};

enum class HistoryTier
{
    TenSeconds,
    FiveMinutes
};

struct HistoryBucket
{
    qint64 timeMs = 0; // bucket start
    double min = 0;
    double avg = 0;
    double max = 0;
    qint64 count = 0; // samples folded into it
};

class MetricsHistory final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricsHistory)

public:
    static constexpr qint64 kDefaultMaxSizeBytes = 200'000'000;
    static constexpr qint64 kRingSpanMs = 3'600'000;
    static constexpr int kRingCapacity = 7'200; // an hour at sample_interval = 500ms
    static constexpr qint64 k10sBucketMs = 10'000;
    static constexpr qint64 k5mBucketMs = 300'000;
    static constexpr qint64 k10sRetentionMs = 7LL * 24 * 3'600'000;
    static constexpr qint64 k5mRetentionMs = 90LL * 24 * 3'600'000;

    // An empty stateDir keeps everything in memory (the last hour only).
    explicit MetricsHistory(const QString &stateDir, QObject *parent = nullptr);
    ~MetricsHistory() override; // flushes

    bool isPersistent() const { return m_persistent; }
    QString databasePath() const { return m_path; }
    // The last problem with the database file, for a person: empty when none.
    QString lastWarning() const { return m_lastWarning; }
    // For tables other parts keep in the same file (crash records): the
    // connection (this thread's), the generation of the file, bumped when a
    // damaged one is replaced (their tables must then be created again), and
    // where their SQL errors go so that a damaged file is replaced.
    QSqlDatabase database() const { return m_db; }
    int generation() const { return m_generation; }
    void noteSqlError(const QSqlError &error) const { noteError(error); }

    void setMaxSizeBytes(qint64 bytes) { m_maxSizeBytes = bytes; }
    qint64 maxSizeBytes() const { return m_maxSizeBytes; }
    void setFlushInterval(std::chrono::milliseconds interval);
    // Wall clock used for retention and for choosing the source of a query.
    void setNowFunction(std::function<qint64()> now) { m_now = std::move(now); }

    void append(const QString &service, const QString &metric, qint64 timeMs, double value);
    // Writes all pending buckets in one transaction, then prunes (at most
    // every 10 min) and enforces the size cap.
    void flush();
    // Deletes rows older than each tier's retention, relative to nowMs.
    void prune(qint64 nowMs);
    // Deletes the oldest rows until the database is under maxSizeBytes().
    void enforceSizeCap();
    // Pages in use, in bytes (what the cap is compared with).
    qint64 databaseSizeBytes() const;

    // Queued, and written within EventDelayMs in one transaction with the
    // events around it: a crash loop's exit, restart and start are off the
    // path from an exit to the next start. events() sees them at once.
    void addEvent(qint64 timeMs, const QString &service, HistoryEventKind kind, const QString &text);
    static constexpr int EventDelayMs = 200;
    void flushEvents();
    // Events in [fromMs, toMs] in time order; an empty service means all.
    QList<HistoryEvent> events(const QString &service, qint64 fromMs, qint64 toMs) const;

    // Points of one series in [fromMs, toMs], min/max decimated: the range is
    // cut into at most maxPoints equal buckets and each contributes its
    // minimum and its maximum in time order (so at most 2 * maxPoints points,
    // and peaks survive). Reads the in-memory ring when the range lies in the
    // last hour, and otherwise the coarsest tier that still gives maxPoints
    // (10 s, or 5 min beyond 7 days or for coarse ranges). Aggregated points
    // sit at their bucket's start.
    QList<QPointF> series(const QString &service, const QString &metric, qint64 fromMs, qint64 toMs,
                          int maxPoints) const;
    // When the oldest sample of a series that is still kept was taken:
    // exact while the ring holds it, else the start of its 10 s bucket, or
    // of its 5 min one beyond the 10 s tier's week; nullopt when none.
    std::optional<qint64> firstSampleMs(const QString &service, const QString &metric) const;
    // The stored buckets of one tier (including ones not yet written).
    QList<HistoryBucket> buckets(const QString &service, const QString &metric, HistoryTier tier,
                                 qint64 fromMs, qint64 toMs) const;

    // The decimation used by series(), for raw points sorted by x.
    static QList<QPointF> decimateMinMax(const QList<QPointF> &points, qint64 fromMs, qint64 toMs,
                                         int maxPoints);

signals:
    // Also for a problem found while constructing: that one is emitted from
    // the event loop, so whoever connects right after construction hears it.
    void warningRaised(const QString &message);
    // The integrity check of the file found at start has finished (it runs
    // on a thread of its own: quick_check reads every page, seconds for a
    // large history). ok is false when the file was found damaged.
    void integrityChecked(bool ok);

private:
    struct Point
    {
        qint64 t;
        double v;
    };
    struct Ring
    {
        std::deque<Point> points;
    };
    struct PendingKey
    {
        QString service;
        QString metric;
        int tier;
        qint64 t;
        friend bool operator==(const PendingKey &, const PendingKey &) = default;
        friend size_t qHash(const PendingKey &k, size_t seed = 0) noexcept
        {
            return qHashMulti(seed, k.service, k.metric, k.tier, k.t);
        }
    };
    struct Agg
    {
        double min;
        double max;
        double sum;
        qint64 n;
    };

    bool openDatabase(const QString &stateDir);
    bool tryOpen(QString *error);
    // Runs PRAGMA quick_check on its own connection and thread; a verdict
    // other than "ok" replaces the file, unless it was replaced meanwhile.
    void startIntegrityCheck();
    static QString quickCheck(const QString &path, const QString &connectionName);
    void closeDatabase();
    QString moveAside() const;
    // Moves a corrupt file aside and opens a fresh one; false (and memory
    // only from then on) when that fails too. Warns once either way.
    bool replaceCorruptDatabase(const QString &cause);
    // A read or write that failed on a corrupt file: replace it from the
    // event loop (readers are const and in the middle of their work).
    void noteError(const QSqlError &error) const;
    void setWarning(const QString &message);
    bool exec(const QString &sql, QSqlError *error = nullptr) const;
    QSqlError writePending();
    void incrementalVacuum() const;
    std::optional<qint64> seriesId(const QString &service, const QString &metric, bool create,
                                   QSqlError *error = nullptr) const;
    qint64 nowMs() const { return m_now(); }

    bool m_persistent = false;
    bool m_constructing = true;
    QString m_path;
    QString m_connectionName;
    QSqlDatabase m_db;
    QString m_lastWarning;
    qint64 m_maxSizeBytes = kDefaultMaxSizeBytes;
    qint64 m_lastPruneMs = 0;
    std::function<qint64()> m_now;
    QTimer m_flushTimer;
    mutable QTimer m_corruptionTimer;
    std::unique_ptr<QThread> m_checkThread;
    int m_generation = 0; // bumped each time the file is replaced
    mutable QString m_corruptionCause;
    QHash<QString, Ring> m_rings; // key: service + U+001F + metric
    QHash<PendingKey, Agg> m_pending;
    mutable QHash<QString, qint64> m_seriesIds;
    QList<HistoryEvent> m_memoryEvents; // only without a database
    QList<HistoryEvent> m_queuedEvents; // not yet written (addEvent)
    QTimer m_eventTimer;
};

} // namespace lifeline
