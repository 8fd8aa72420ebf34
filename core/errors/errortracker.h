// Recurring-error tracking (issue 12): reads only the new bytes of each
// service's output (the files lifeline-logger writes) and of the files its
// [service.errors] files globs match, finds error events in them
// (ErrorDetector) and groups them by signature (errorsignature.h).
//
// Lives on the engine's thread. The files are followed by LogTailer, which
// follows rotation and reads at most a bounded number of bytes per file per
// tick; a timer of its own closes traces that went quiet, looks for new files
// matching the globs and writes changed signatures to errors.sqlite.
// Files that exist when watching starts are read from their end (history is
// never rescanned); a file that appears later is new, and read whole.
#pragma once

#include "config/servicespec.h"
#include "errors/errorsignature.h"
#include "logs/logtailer.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <map>
#include <memory>

namespace lifeline {

class Clock;
class ErrorDetector;
class ErrorStore;
class Fleet;

class ErrorTracker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ErrorTracker)

public:
    // How often every followed file is looked at for new lines (two stats
    // and a read per file), all on one timer: an error counted a second late
    // costs nobody. While a multi-line trace is open, every kIntervalMs, so
    // a trace still being written is read before it is judged quiet.
    static constexpr int kTailIntervalMs = 1000;
    static constexpr int kIntervalMs = 250;
    static constexpr qint64 kScanFilesMs = 2000; // new files matching the globs
    static constexpr qint64 kPersistMs = 5000;
    // A trace with no new line for this long is complete.
    static constexpr qint64 kQuietMs = 500;
    static constexpr int kMaxSignaturesPerService = 200;
    static constexpr qint64 kMaxBytesPerTick = 2 * 1024 * 1024;
    static constexpr qint64 kDayMs = 24LL * 60 * 60 * 1000;

    // `databasePath` empty: nothing is kept across restarts.
    ErrorTracker(Fleet *fleet, const QString &databasePath, Clock *clock = nullptr,
                 QObject *parent = nullptr);
    ~ErrorTracker() override;

    // first_seen/last_seen and the trend; the system clock by default.
    void setWallClock(std::function<qint64()> now) { m_wallNow = std::move(now); }

    // Follows the Fleet's services and their [service.errors] as they are now
    // (after a reload); signatures of a service that stays are kept.
    void sync();
    // Reads every followed file now and does a tick's work (the timer calls it).
    void pollNow();

    // Most recently seen first.
    QList<ErrorSignature> signatures(const QString &service) const;
    // The extra files followed for the service (absolute paths).
    QStringList watchedFiles(const QString &service) const;

signals:
    void errorOccurred(const QString &service, const QString &signatureId, const QString &signature,
                       qint64 timeMs);
    void signaturesChanged(const QString &service);
    // A file that cannot be followed (a FIFO, a device): once per file.
    void problem(const QString &service, const QString &text);

private:
    struct Source;
    struct Watch;

    void watch(const QString &service);
    void startSource(const QString &service, Watch &w, const QString &path, bool fromStart);
    void scanFiles(const QString &service, Watch &w, bool initial);
    void onLines(const QString &service, Source &source, const QList<LogTailer::Line> &lines);
    void record(const QString &service, const QString &source, QList<ErrorEvent> &events);
    void tick();
    void persist();
    qint64 wallNow() const { return m_wallNow(); }

    Fleet *m_fleet;
    Clock *m_clock;
    std::function<qint64()> m_wallNow;
    std::unique_ptr<ErrorStore> m_store;
    std::map<QString, std::unique_ptr<Watch>> m_watches;
    QHash<QString, QHash<QString, ErrorSignature>> m_signatures;
    QHash<QString, QSet<QString>> m_dirty; // signature ids to save, per service
    QHash<QString, QStringList> m_evicted; // signature ids to delete, per service
    QTimer m_timer;
    qint64 m_lastScanMs = 0;
    qint64 m_lastPersistMs = 0;
};

} // namespace lifeline
