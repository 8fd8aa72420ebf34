// Crash records in the history database (history.sqlite, table
// crash_records), through MetricsHistory's connection on the engine's
// thread: they outlive Lifeline's restarts, and a damaged file is replaced
// by MetricsHistory as for its own tables (the table is made again in the
// new file). Kept per service up to maxPerService(); the oldest go first.
// Without a database (no state_dir, or one that cannot be used) the records
// are kept in memory, under the same cap.
#pragma once

#include "diagnostics/crashrecord.h"

#include <QHash>
#include <QList>
#include <QObject>

#include <algorithm>
#include <optional>

namespace lifeline {

class MetricsHistory;

class CrashStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CrashStore)

public:
    static constexpr int kDefaultMaxPerService = 50;

    // history may be nullptr (memory only); it must outlive the store.
    explicit CrashStore(MetricsHistory *history, QObject *parent = nullptr);
    ~CrashStore() override;

    void setMaxPerService(int count) { m_maxPerService = std::max(1, count); }
    int maxPerService() const { return m_maxPerService; }

    // Stores the record (its id is assigned here), drops the service's
    // oldest beyond the cap, emits added(); returns the id (0 when it could
    // not be written: the reason went to MetricsHistory's warnings).
    qint64 add(const CrashRecord &record);
    // The service's records, newest first.
    QList<CrashSummary> list(const QString &service) const;
    std::optional<CrashRecord> record(const QString &service, qint64 id) const;
    // Records kept per service now (at most maxPerService() each).
    QHash<QString, int> counts() const;
    // Records added per service since this store was made: only grows,
    // for a counter (crash_records_total).
    QHash<QString, qint64> addedSinceStart() const { return m_added; }

signals:
    void added(const lifeline::CrashSummary &summary);

private:
    bool persistent() const;
    bool ensureTable() const;

    MetricsHistory *m_history;
    int m_maxPerService = kDefaultMaxPerService;
    mutable int m_tableGeneration = -1; // the history file generation the table was made in
    QList<CrashRecord> m_memory;        // without a database
    qint64 m_nextMemoryId = 1;
    QHash<QString, qint64> m_added;
};

} // namespace lifeline
