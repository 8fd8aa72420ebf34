#include "metricshistory.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QMap>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace lifeline {

Q_LOGGING_CATEGORY(lcHistory, "lifeline.metrics.history")

namespace {

constexpr qint64 kPruneEveryMs = 10 * 60'000;
constexpr int kMaxMemoryEvents = 10'000;

// SQLite stores a null QString as NULL; the system series is the empty name.
QString nonNull(const QString &s)
{
    return s.isNull() ? u""_s : s;
}

QString seriesKey(const QString &service, const QString &metric)
{
    return service + QChar(0x1f) + metric;
}

qint64 floorTo(qint64 t, qint64 width)
{
    const qint64 mod = ((t % width) + width) % width;
    return t - mod;
}

// SQLITE_CORRUPT and SQLITE_NOTADB, extended codes included. Qt keeps the
// code of a failed statement in nativeErrorCode().
bool isCorruption(const QSqlError &error)
{
    if (!error.isValid())
        return false;
    bool ok = false;
    const int code = error.nativeErrorCode().toInt(&ok) & 0xff;
    return ok && (code == 11 || code == 26);
}

QString tierTable(int tier)
{
    return tier == int(HistoryTier::TenSeconds) ? u"samples_10s"_s : u"samples_5m"_s;
}

// Min/max buckets over [from, to]: at most maxPoints of equal width.
class MinMaxBuckets
{
public:
    MinMaxBuckets(qint64 from, qint64 to, int maxPoints)
        : m_from(from)
    {
        const qint64 span = to - from + 1;
        m_width = std::max<qint64>(1, (span + maxPoints - 1) / maxPoints);
        m_buckets.resize(qsizetype((to - from) / m_width + 1));
    }
    qint64 width() const { return m_width; }
    void addMin(qint64 t, double v)
    {
        Bucket &b = bucketAt(t);
        if (!b.hasMin || v < b.vMin) {
            b.hasMin = true;
            b.tMin = t;
            b.vMin = v;
        }
    }
    void addMax(qint64 t, double v)
    {
        Bucket &b = bucketAt(t);
        if (!b.hasMax || v > b.vMax) {
            b.hasMax = true;
            b.tMax = t;
            b.vMax = v;
        }
    }
    QList<QPointF> points() const
    {
        QList<QPointF> out;
        for (const Bucket &b : m_buckets) {
            if (b.hasMin && b.hasMax) {
                if (b.tMin == b.tMax && b.vMin == b.vMax) {
                    out.append(QPointF(double(b.tMin), b.vMin));
                } else if (b.tMin <= b.tMax) {
                    out.append(QPointF(double(b.tMin), b.vMin));
                    out.append(QPointF(double(b.tMax), b.vMax));
                } else {
                    out.append(QPointF(double(b.tMax), b.vMax));
                    out.append(QPointF(double(b.tMin), b.vMin));
                }
            } else if (b.hasMin) {
                out.append(QPointF(double(b.tMin), b.vMin));
            } else if (b.hasMax) {
                out.append(QPointF(double(b.tMax), b.vMax));
            }
        }
        return out;
    }

private:
    struct Bucket
    {
        bool hasMin = false;
        bool hasMax = false;
        qint64 tMin = 0;
        qint64 tMax = 0;
        double vMin = 0;
        double vMax = 0;
    };
    Bucket &bucketAt(qint64 t)
    {
        const qsizetype i = std::clamp<qsizetype>(qsizetype((t - m_from) / m_width), 0, m_buckets.size() - 1);
        return m_buckets[i];
    }
    qint64 m_from;
    qint64 m_width;
    QList<Bucket> m_buckets;
};

} // namespace

QString historyEventKindName(HistoryEventKind kind)
{
    switch (kind) {
    case HistoryEventKind::Start:
        return u"start"_s;
    case HistoryEventKind::Exit:
        return u"exit"_s;
    case HistoryEventKind::Restart:
        return u"restart"_s;
    case HistoryEventKind::Health:
        return u"health"_s;
    case HistoryEventKind::Recovery:
        return u"recovery"_s;
    }
    return u"start"_s;
}

std::optional<HistoryEventKind> historyEventKindFromName(QStringView name)
{
    for (HistoryEventKind k : {HistoryEventKind::Start, HistoryEventKind::Exit, HistoryEventKind::Restart,
                               HistoryEventKind::Health, HistoryEventKind::Recovery}) {
        if (name == historyEventKindName(k))
            return k;
    }
    return std::nullopt;
}

MetricsHistory::MetricsHistory(const QString &stateDir, QObject *parent)
    : QObject(parent)
    , m_now([] { return QDateTime::currentMSecsSinceEpoch(); })
{
    static std::atomic<int> instances{0};
    m_connectionName = u"lifeline-history-%1"_s.arg(++instances);
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(30'000); // see the header
    connect(&m_flushTimer, &QTimer::timeout, this, &MetricsHistory::flush);
    m_eventTimer.setSingleShot(true);
    m_eventTimer.setInterval(EventDelayMs);
    connect(&m_eventTimer, &QTimer::timeout, this, &MetricsHistory::flushEvents);
    m_corruptionTimer.setSingleShot(true);
    m_corruptionTimer.setInterval(0);
    connect(&m_corruptionTimer, &QTimer::timeout, this,
            [this] { replaceCorruptDatabase(m_corruptionCause); });
    if (!stateDir.isEmpty())
        m_persistent = openDatabase(stateDir);
    m_constructing = false;
    if (m_persistent)
        startIntegrityCheck();
}

MetricsHistory::~MetricsHistory()
{
    flush();
    if (m_checkThread)
        m_checkThread->wait(); // only while the first check of a large file still runs
    closeDatabase();
}

void MetricsHistory::setFlushInterval(std::chrono::milliseconds interval)
{
    m_flushTimer.setInterval(interval);
}

void MetricsHistory::setWarning(const QString &message)
{
    m_lastWarning = message;
    qCWarning(lcHistory).noquote() << message;
    if (m_constructing)
        QMetaObject::invokeMethod(
            this, [this, message] { emit warningRaised(message); }, Qt::QueuedConnection);
    else
        emit warningRaised(message);
}

bool MetricsHistory::exec(const QString &sql, QSqlError *error) const
{
    QSqlQuery q(m_db);
    if (q.exec(sql))
        return true;
    if (error)
        *error = q.lastError();
    return false;
}

void MetricsHistory::noteError(const QSqlError &error) const
{
    if (!m_persistent || !isCorruption(error) || m_corruptionTimer.isActive())
        return;
    m_corruptionCause = error.text();
    m_corruptionTimer.start();
}

bool MetricsHistory::replaceCorruptDatabase(const QString &cause)
{
    m_corruptionTimer.stop();
    if (!m_persistent)
        return false;
    closeDatabase();
    const QString aside = moveAside();
    QString error = aside.isEmpty() ? u"cannot rename it"_s : QString();
    ++m_generation;
    if (!aside.isEmpty() && tryOpen(&error)) {
        setWarning(u"history database %1 is damaged (%2); moved it to %3 and started a new one"_s.arg(
            m_path, cause, aside));
        return true;
    }
    closeDatabase();
    m_persistent = false;
    m_pending.clear();
    setWarning(u"history database %1 is damaged (%2) and cannot be replaced (%3); keeping only the last hour "
               u"in memory"_s.arg(m_path, cause, error));
    return false;
}

bool MetricsHistory::openDatabase(const QString &stateDir)
{
    if (!QDir().mkpath(stateDir)) {
        setWarning(
            u"history: cannot create the state directory %1; keeping only the last hour in memory"_s.arg(
                stateDir));
        return false;
    }
    m_path = QDir(stateDir).filePath(u"history.sqlite"_s);
    const bool existed = QFileInfo::exists(m_path);
    QString error;
    if (tryOpen(&error))
        return true;
    closeDatabase();
    if (existed) {
        const QString aside = moveAside();
        QString error2;
        if (!aside.isEmpty() && tryOpen(&error2)) {
            setWarning(
                u"history database %1 could not be read (%2); moved it to %3 and started a new one"_s.arg(
                    m_path, error, aside));
            return true;
        }
        closeDatabase();
        if (!error2.isEmpty())
            error = error2;
    }
    setWarning(u"history database %1 cannot be used (%2); keeping only the last hour in memory"_s.arg(m_path,
                                                                                                      error));
    return false;
}

bool MetricsHistory::tryOpen(QString *error)
{
    m_db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
    m_db.setDatabaseName(m_path);
    if (!m_db.open()) {
        *error = m_db.lastError().text();
        return false;
    }
    const auto run = [this, error](const auto &statements) {
        for (const QString &sql : statements) {
            QSqlError sqlError;
            if (!exec(sql, &sqlError)) {
                *error = sqlError.text();
                return false;
            }
        }
        return true;
    };
    const QString settings[] = {
        // auto_vacuum only takes effect on a new file, before the first table.
        u"PRAGMA auto_vacuum = INCREMENTAL"_s,
        u"PRAGMA journal_mode = WAL"_s,
        u"PRAGMA synchronous = NORMAL"_s,
        u"SELECT count(*) FROM sqlite_master"_s,
    };
    const QString schema[] = {
        u"CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, service TEXT NOT NULL,"
        " metric TEXT NOT NULL, UNIQUE (service, metric))"_s,
        u"CREATE TABLE IF NOT EXISTS samples_10s (series INTEGER NOT NULL, t INTEGER NOT NULL,"
        " vmin REAL NOT NULL, vavg REAL NOT NULL, vmax REAL NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (series, t)) WITHOUT ROWID"_s,
        u"CREATE INDEX IF NOT EXISTS samples_10s_t ON samples_10s (t)"_s,
        u"CREATE TABLE IF NOT EXISTS samples_5m (series INTEGER NOT NULL, t INTEGER NOT NULL,"
        " vmin REAL NOT NULL, vavg REAL NOT NULL, vmax REAL NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (series, t)) WITHOUT ROWID"_s,
        u"CREATE INDEX IF NOT EXISTS samples_5m_t ON samples_5m (t)"_s,
        u"CREATE TABLE IF NOT EXISTS events (t INTEGER NOT NULL, service TEXT NOT NULL,"
        " kind TEXT NOT NULL, text TEXT NOT NULL)"_s,
        u"CREATE INDEX IF NOT EXISTS events_service_t ON events (service, t)"_s,
        u"CREATE INDEX IF NOT EXISTS events_t ON events (t)"_s,
        u"PRAGMA user_version = 1"_s,
    };
    return run(settings) && run(schema);
}

void MetricsHistory::startIntegrityCheck()
{
    // Only the schema is read by the open; damage in any other page would
    // otherwise surface as failing flushes, for ever. quick_check reads every
    // page once (no index-to-table cross check): 25-80 MB/s here, so seconds
    // at the 200 MB cap, which must not hold up the event loop. It reads on
    // its own connection while this one goes on writing (WAL allows that).
    const int generation = m_generation;
    const QString path = m_path;
    const QString connection = m_connectionName + u"-check"_s;
    m_checkThread.reset(QThread::create([this, generation, path, connection] {
        const QString problem = quickCheck(path, connection);
        QMetaObject::invokeMethod(
            this,
            [this, generation, problem] {
                // A file replaced meanwhile was judged already.
                if (generation != m_generation || !m_persistent)
                    return;
                if (!problem.isEmpty())
                    replaceCorruptDatabase(problem);
                emit integrityChecked(problem.isEmpty());
            },
            Qt::QueuedConnection);
    }));
    m_checkThread->start(QThread::LowPriority);
}

QString MetricsHistory::quickCheck(const QString &path, const QString &connectionName)
{
    QString problem;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, connectionName);
        db.setDatabaseName(path);
        db.setConnectOptions(u"QSQLITE_OPEN_READONLY"_s);
        if (!db.open()) {
            problem = db.lastError().text();
        } else {
            QSqlQuery q(db);
            if (!q.exec(u"PRAGMA quick_check(1)"_s) || !q.next()) {
                problem = q.lastError().isValid() ? q.lastError().text() : u"quick_check gave no answer"_s;
            } else if (QString verdict = q.value(0).toString(); verdict != u"ok") {
                // One line for the log: "*** in database main ***\nPage 3: btreeInitPage() ..."
                problem = u"integrity check failed: "_s +
                          verdict.remove(u"*** in database main ***"_s).simplified();
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(connectionName);
    return problem;
}

void MetricsHistory::closeDatabase()
{
    if (!m_db.isValid())
        return;
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
    m_seriesIds.clear();
}

QString MetricsHistory::moveAside() const
{
    const QString stamp = QDateTime::currentDateTime().toString(u"yyyyMMdd-HHmmss"_s);
    QString target = m_path + u".corrupt-"_s + stamp;
    for (int i = 2; QFileInfo::exists(target); ++i)
        target = m_path + u".corrupt-"_s + stamp + u'-' + QString::number(i);
    if (!QFile::rename(m_path, target))
        return {};
    for (const QString &suffix : {u"-wal"_s, u"-shm"_s}) {
        if (QFileInfo::exists(m_path + suffix))
            QFile::rename(m_path + suffix, target + suffix);
    }
    return target;
}

std::optional<qint64> MetricsHistory::seriesId(const QString &service, const QString &metric, bool create,
                                               QSqlError *error) const
{
    const QString key = seriesKey(service, metric);
    const auto it = m_seriesIds.constFind(key);
    if (it != m_seriesIds.cend())
        return *it;
    QSqlQuery q(m_db);
    q.prepare(u"SELECT id FROM series WHERE service = ? AND metric = ?"_s);
    q.addBindValue(nonNull(service));
    q.addBindValue(nonNull(metric));
    if (q.exec() && q.next()) {
        const qint64 id = q.value(0).toLongLong();
        m_seriesIds.insert(key, id);
        return id;
    }
    if (q.lastError().isValid()) {
        noteError(q.lastError());
        if (error)
            *error = q.lastError();
        return std::nullopt;
    }
    if (!create)
        return std::nullopt;
    QSqlQuery ins(m_db);
    ins.prepare(u"INSERT INTO series (service, metric) VALUES (?, ?)"_s);
    ins.addBindValue(nonNull(service));
    ins.addBindValue(nonNull(metric));
    if (!ins.exec()) {
        if (error)
            *error = ins.lastError();
        return std::nullopt;
    }
    const qint64 id = ins.lastInsertId().toLongLong();
    m_seriesIds.insert(key, id);
    return id;
}

void MetricsHistory::append(const QString &service, const QString &metric, qint64 timeMs, double value)
{
    if (!std::isfinite(value))
        return;
    std::deque<Point> &ring = m_rings[seriesKey(service, metric)].points;
    if (ring.empty() || ring.back().t <= timeMs) {
        ring.push_back({timeMs, value});
    } else { // out of order (a clock step back): keep the ring sorted
        const auto pos = std::upper_bound(ring.begin(), ring.end(), timeMs,
                                          [](qint64 t, const Point &p) { return t < p.t; });
        ring.insert(pos, {timeMs, value});
    }
    while (ring.size() > size_t(kRingCapacity) || ring.front().t < ring.back().t - kRingSpanMs)
        ring.pop_front();

    if (!m_persistent)
        return;
    for (const auto &[tier, width] : {std::pair{int(HistoryTier::TenSeconds), k10sBucketMs},
                                      std::pair{int(HistoryTier::FiveMinutes), k5mBucketMs}}) {
        const PendingKey key{service, metric, tier, floorTo(timeMs, width)};
        auto it = m_pending.find(key);
        if (it == m_pending.end()) {
            m_pending.insert(key, Agg{value, value, value, 1});
        } else {
            it->min = std::min(it->min, value);
            it->max = std::max(it->max, value);
            it->sum += value;
            ++it->n;
        }
    }
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void MetricsHistory::flush()
{
    flushEvents();
    m_flushTimer.stop();
    if (!m_persistent || m_pending.isEmpty())
        return;
    const qsizetype count = m_pending.size();
    QSqlError error = writePending();
    if (isCorruption(error)) {
        if (!replaceCorruptDatabase(error.text()))
            return; // said so; memory only from now on
        // The file went bad under us: these buckets start the fresh one.
        error = writePending();
    }
    // Dropped either way: pending data must not grow without bound when the
    // disk is full or the file went bad.
    m_pending.clear();
    if (error.isValid()) {
        m_seriesIds.clear();
        setWarning(u"history database %1: could not write %2 buckets (%3)"_s.arg(m_path).arg(count).arg(
            error.text()));
        return;
    }
    const qint64 now = nowMs();
    if (now - m_lastPruneMs >= kPruneEveryMs) {
        m_lastPruneMs = now;
        prune(now);
    }
    enforceSizeCap();
}

QSqlError MetricsHistory::writePending()
{
    // BEGIN and COMMIT as statements: QSqlDatabase::transaction() drops the
    // SQLite error code, which tells a damaged file from a full disk.
    QSqlError error;
    if (!exec(u"BEGIN"_s, &error))
        return error;
    QSqlQuery q[2] = {QSqlQuery(m_db), QSqlQuery(m_db)};
    for (int tier = 0; tier < 2; ++tier) {
        if (!q[tier].prepare(u"INSERT INTO %1 (series, t, vmin, vavg, vmax, n) VALUES (?, ?, ?, ?, ?, ?)"
                             " ON CONFLICT (series, t) DO UPDATE SET vmin = min(vmin, excluded.vmin),"
                             " vmax = max(vmax, excluded.vmax),"
                             " vavg = (vavg * n + excluded.vavg * excluded.n) / (n + excluded.n),"
                             " n = n + excluded.n"_s.arg(tierTable(tier)))) {
            error = q[tier].lastError();
            break;
        }
    }
    for (auto it = m_pending.cbegin(); !error.isValid() && it != m_pending.cend(); ++it) {
        const std::optional<qint64> sid = seriesId(it.key().service, it.key().metric, true, &error);
        if (!sid) {
            if (!error.isValid())
                error = QSqlError(u"cannot register series %1/%2"_s.arg(it.key().service, it.key().metric));
            break;
        }
        QSqlQuery &query = q[it.key().tier];
        query.bindValue(0, *sid);
        query.bindValue(1, it.key().t);
        query.bindValue(2, it->min);
        query.bindValue(3, it->sum / double(it->n));
        query.bindValue(4, it->max);
        query.bindValue(5, it->n);
        if (!query.exec())
            error = query.lastError();
    }
    q[0].finish();
    q[1].finish();
    if (!error.isValid() && exec(u"COMMIT"_s, &error))
        return {};
    exec(u"ROLLBACK"_s);
    return error;
}

void MetricsHistory::prune(qint64 now)
{
    if (!m_persistent)
        return;
    flushEvents();
    const struct
    {
        QString table;
        qint64 keepMs;
    } rules[] = {{u"samples_10s"_s, k10sRetentionMs},
                 {u"samples_5m"_s, k5mRetentionMs},
                 {u"events"_s, k5mRetentionMs}};
    for (const auto &rule : rules) {
        QSqlQuery q(m_db);
        q.prepare(u"DELETE FROM %1 WHERE t < ?"_s.arg(rule.table));
        q.addBindValue(now - rule.keepMs);
        if (!q.exec()) {
            if (isCorruption(q.lastError())) {
                noteError(q.lastError());
                return;
            }
            qCWarning(lcHistory) << "history: pruning" << rule.table << "failed:" << q.lastError().text();
        }
    }
    incrementalVacuum();
}

void MetricsHistory::incrementalVacuum() const
{
    // The pragma frees one page per sqlite3_step(), and QSqlQuery steps a
    // statement without result columns only once; so run it once per free page.
    QSqlQuery count(m_db);
    if (!count.exec(u"PRAGMA freelist_count"_s) || !count.next()) {
        noteError(count.lastError());
        return;
    }
    const qint64 freePages = count.value(0).toLongLong();
    count.finish();
    QSqlQuery q(m_db);
    if (!q.prepare(u"PRAGMA incremental_vacuum"_s))
        return;
    for (qint64 i = 0; i < freePages; ++i) {
        if (!q.exec()) {
            noteError(q.lastError());
            break;
        }
    }
}

qint64 MetricsHistory::databaseSizeBytes() const
{
    if (!m_persistent)
        return 0;
    QSqlQuery q(m_db);
    if (!q.exec(u"SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"_s) || !q.next())
        return 0;
    return q.value(0).toLongLong();
}

void MetricsHistory::enforceSizeCap()
{
    if (!m_persistent || m_maxSizeBytes <= 0 || databaseSizeBytes() <= m_maxSizeBytes)
        return;
    const QString tables[] = {u"samples_10s"_s, u"samples_5m"_s, u"events"_s};
    qint64 cutoff = 0;
    for (int round = 0; round < 64 && databaseSizeBytes() > m_maxSizeBytes; ++round) {
        qint64 oldest = std::numeric_limits<qint64>::max();
        qint64 newest = std::numeric_limits<qint64>::min();
        for (const QString &table : tables) {
            QSqlQuery q(m_db);
            if (q.exec(u"SELECT min(t), max(t) FROM %1"_s.arg(table)) && q.next() && !q.isNull(0)) {
                oldest = std::min(oldest, q.value(0).toLongLong());
                newest = std::max(newest, q.value(1).toLongLong());
            }
            noteError(q.lastError());
        }
        if (oldest > newest)
            break; // nothing left to delete
        cutoff = oldest + std::max<qint64>((newest - oldest) / 10, 1);
        m_db.transaction();
        for (const QString &table : tables) {
            QSqlQuery q(m_db);
            q.prepare(u"DELETE FROM %1 WHERE t < ?"_s.arg(table));
            q.addBindValue(cutoff);
            if (!q.exec())
                noteError(q.lastError());
        }
        m_db.commit();
        incrementalVacuum();
    }
    exec(u"PRAGMA wal_checkpoint(TRUNCATE)"_s);
    qCInfo(lcHistory).noquote()
        << u"history database %1 reached its size cap of %2 bytes; removed data older than %3"_s.arg(
               m_path, QString::number(m_maxSizeBytes),
               QDateTime::fromMSecsSinceEpoch(cutoff).toString(Qt::ISODate));
}

void MetricsHistory::addEvent(qint64 timeMs, const QString &service, HistoryEventKind kind,
                              const QString &text)
{
    if (!m_persistent) {
        m_memoryEvents.append(HistoryEvent{timeMs, service, kind, text});
        if (m_memoryEvents.size() > kMaxMemoryEvents)
            m_memoryEvents.removeFirst();
        return;
    }
    m_queuedEvents.append(HistoryEvent{timeMs, service, kind, text});
    if (!m_eventTimer.isActive())
        m_eventTimer.start();
}

void MetricsHistory::flushEvents()
{
    m_eventTimer.stop();
    const QList<HistoryEvent> queued = std::exchange(m_queuedEvents, {});
    if (queued.isEmpty())
        return;
    if (!m_persistent) { // the database was given up meanwhile
        for (const HistoryEvent &e : queued)
            addEvent(e.timeMs, e.service, e.kind, e.text);
        return;
    }
    const auto insert = [&] {
        QSqlQuery begin(m_db);
        if (!begin.exec(u"BEGIN"_s))
            return begin.lastError();
        QSqlQuery q(m_db);
        q.prepare(u"INSERT INTO events (t, service, kind, text) VALUES (?, ?, ?, ?)"_s);
        for (const HistoryEvent &e : queued) {
            q.addBindValue(e.timeMs);
            q.addBindValue(nonNull(e.service));
            q.addBindValue(historyEventKindName(e.kind));
            q.addBindValue(nonNull(e.text));
            if (!q.exec()) {
                const QSqlError error = q.lastError();
                QSqlQuery(m_db).exec(u"ROLLBACK"_s);
                return error;
            }
        }
        QSqlQuery commit(m_db);
        if (!commit.exec(u"COMMIT"_s)) {
            const QSqlError error = commit.lastError();
            QSqlQuery(m_db).exec(u"ROLLBACK"_s);
            return error;
        }
        return QSqlError();
    };
    QSqlError error = insert();
    if (isCorruption(error)) {
        if (!replaceCorruptDatabase(error.text())) {
            for (const HistoryEvent &e : queued) // into memory now
                addEvent(e.timeMs, e.service, e.kind, e.text);
            return;
        }
        error = insert();
    }
    if (error.isValid())
        setWarning(u"history database %1: could not record %2 event(s), the first of %3 (%4)"_s.arg(
            m_path, QString::number(queued.size()), queued.first().service, error.text()));
}

QList<HistoryEvent> MetricsHistory::events(const QString &service, qint64 fromMs, qint64 toMs) const
{
    QList<HistoryEvent> result;
    if (!m_persistent) {
        for (const HistoryEvent &e : m_memoryEvents) {
            if (e.timeMs >= fromMs && e.timeMs <= toMs && (service.isEmpty() || e.service == service))
                result.append(e);
        }
        std::stable_sort(result.begin(), result.end(),
                         [](const HistoryEvent &a, const HistoryEvent &b) { return a.timeMs < b.timeMs; });
        return result;
    }
    QSqlQuery q(m_db);
    if (service.isEmpty()) {
        q.prepare(u"SELECT t, service, kind, text FROM events WHERE t >= ? AND t <= ? ORDER BY t, rowid"_s);
    } else {
        q.prepare(u"SELECT t, service, kind, text FROM events WHERE service = ? AND t >= ? AND t <= ?"
                  " ORDER BY t, rowid"_s);
        q.addBindValue(service);
    }
    q.addBindValue(fromMs);
    q.addBindValue(toMs);
    if (q.exec()) {
        while (q.next()) {
            HistoryEvent e;
            e.timeMs = q.value(0).toLongLong();
            e.service = q.value(1).toString();
            e.kind = historyEventKindFromName(q.value(2).toString()).value_or(HistoryEventKind::Start);
            e.text = q.value(3).toString();
            result.append(e);
        }
    }
    noteError(q.lastError());
    if (!m_queuedEvents.isEmpty()) { // not written yet, and newer than all that is
        for (const HistoryEvent &e : m_queuedEvents) {
            if (e.timeMs >= fromMs && e.timeMs <= toMs && (service.isEmpty() || e.service == service))
                result.append(e);
        }
        std::stable_sort(result.begin(), result.end(),
                         [](const HistoryEvent &a, const HistoryEvent &b) { return a.timeMs < b.timeMs; });
    }
    return result;
}

QList<HistoryBucket> MetricsHistory::buckets(const QString &service, const QString &metric, HistoryTier tier,
                                             qint64 fromMs, qint64 toMs) const
{
    QMap<qint64, HistoryBucket> merged;
    if (!m_persistent)
        return {};
    if (const auto sid = seriesId(service, metric, false)) {
        QSqlQuery q(m_db);
        q.prepare(
            u"SELECT t, vmin, vavg, vmax, n FROM %1 WHERE series = ? AND t >= ? AND t <= ? ORDER BY t"_s.arg(
                tierTable(int(tier))));
        q.addBindValue(*sid);
        q.addBindValue(fromMs);
        q.addBindValue(toMs);
        if (q.exec()) {
            while (q.next()) {
                const qint64 t = q.value(0).toLongLong();
                merged.insert(t, HistoryBucket{t, q.value(1).toDouble(), q.value(2).toDouble(),
                                               q.value(3).toDouble(), q.value(4).toLongLong()});
            }
        }
        noteError(q.lastError());
    }
    for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
        const PendingKey &k = it.key();
        if (k.tier != int(tier) || k.t < fromMs || k.t > toMs || k.service != service || k.metric != metric)
            continue;
        auto m = merged.find(k.t);
        if (m == merged.end()) {
            merged.insert(k.t, HistoryBucket{k.t, it->min, it->sum / double(it->n), it->max, it->n});
        } else {
            m->avg = (m->avg * double(m->count) + it->sum) / double(m->count + it->n);
            m->min = std::min(m->min, it->min);
            m->max = std::max(m->max, it->max);
            m->count += it->n;
        }
    }
    return merged.values();
}

QList<QPointF> MetricsHistory::decimateMinMax(const QList<QPointF> &points, qint64 fromMs, qint64 toMs,
                                              int maxPoints)
{
    if (maxPoints <= 0 || toMs < fromMs)
        return {};
    MinMaxBuckets acc(fromMs, toMs, maxPoints);
    for (const QPointF &p : points) {
        const qint64 t = qint64(p.x());
        if (t < fromMs || t > toMs)
            continue;
        acc.addMin(t, p.y());
        acc.addMax(t, p.y());
    }
    return acc.points();
}

QList<QPointF> MetricsHistory::series(const QString &service, const QString &metric, qint64 fromMs,
                                      qint64 toMs, int maxPoints) const
{
    if (maxPoints <= 0 || toMs < fromMs)
        return {};
    MinMaxBuckets acc(fromMs, toMs, maxPoints);
    const qint64 now = nowMs();

    // The part of the range the full-rate ring covers, if it lies in the last hour.
    qint64 tierEnd = toMs;
    const auto ringIt = m_rings.constFind(seriesKey(service, metric));
    if (fromMs >= now - kRingSpanMs && ringIt != m_rings.cend() && !ringIt->points.empty()) {
        const std::deque<Point> &ring = ringIt->points;
        auto it = std::lower_bound(ring.begin(), ring.end(), fromMs,
                                   [](const Point &p, qint64 t) { return p.t < t; });
        for (; it != ring.end() && it->t <= toMs; ++it) {
            acc.addMin(it->t, it->v);
            acc.addMax(it->t, it->v);
        }
        tierEnd = ring.front().t - 1; // older than the ring: from the 10 s tier
    }
    if (tierEnd < fromMs || !m_persistent)
        return acc.points();

    // An hour of slack: a "last 7 days" range still wants 10 s resolution;
    // its first minutes may already be pruned.
    const bool coarse =
        (toMs - fromMs) / maxPoints >= k5mBucketMs || fromMs < now - k10sRetentionMs - kRingSpanMs;
    const HistoryTier tier = coarse ? HistoryTier::FiveMinutes : HistoryTier::TenSeconds;
    if (const auto sid = seriesId(service, metric, false)) {
        // SQLite returns the bare column t from the row holding the min() (or
        // max()), so each query yields one row per output bucket.
        for (const bool wantMin : {true, false}) {
            QSqlQuery q(m_db);
            q.setForwardOnly(true);
            q.prepare(
                u"SELECT t, %1 FROM %2 WHERE series = ? AND t >= ? AND t <= ? GROUP BY (t - ?) / ?"_s.arg(
                    wantMin ? u"min(vmin)"_s : u"max(vmax)"_s, tierTable(int(tier))));
            q.addBindValue(*sid);
            q.addBindValue(fromMs);
            q.addBindValue(tierEnd);
            q.addBindValue(fromMs);
            q.addBindValue(acc.width());
            if (q.exec()) {
                while (q.next()) {
                    const qint64 t = q.value(0).toLongLong();
                    const double v = q.value(1).toDouble();
                    if (wantMin)
                        acc.addMin(t, v);
                    else
                        acc.addMax(t, v);
                }
            }
            noteError(q.lastError());
        }
    }
    for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
        const PendingKey &k = it.key();
        if (k.tier != int(tier) || k.t < fromMs || k.t > tierEnd || k.service != service ||
            k.metric != metric)
            continue;
        acc.addMin(k.t, it->min);
        acc.addMax(k.t, it->max);
    }
    return acc.points();
}

std::optional<qint64> MetricsHistory::firstSampleMs(const QString &service, const QString &metric) const
{
    // The tiers hold bucket starts, up to a bucket before the sample: one
    // counts only where its whole bucket is older than what is more exact.
    std::optional<qint64> exact; // the ring
    std::optional<qint64> tiers[2];
    const auto older = [](std::optional<qint64> &oldest, qint64 t) {
        if (!oldest || t < *oldest)
            oldest = t;
    };
    const auto ringIt = m_rings.constFind(seriesKey(service, metric));
    if (ringIt != m_rings.cend() && !ringIt->points.empty())
        exact = ringIt->points.front().t;
    if (m_persistent) {
        if (const auto sid = seriesId(service, metric, false)) {
            for (const int tier : {int(HistoryTier::TenSeconds), int(HistoryTier::FiveMinutes)}) {
                QSqlQuery q(m_db);
                q.prepare(u"SELECT min(t) FROM %1 WHERE series = ?"_s.arg(tierTable(tier)));
                q.addBindValue(*sid);
                if (q.exec() && q.next() && !q.value(0).isNull())
                    older(tiers[tier], q.value(0).toLongLong());
                noteError(q.lastError());
            }
        }
        for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
            const PendingKey &k = it.key();
            if (k.service == service && k.metric == metric)
                older(tiers[k.tier], k.t);
        }
    }
    std::optional<qint64> first = exact;
    for (const auto &[tier, width] : {std::pair{int(HistoryTier::TenSeconds), k10sBucketMs},
                                      std::pair{int(HistoryTier::FiveMinutes), k5mBucketMs}}) {
        if (tiers[tier] && (!first || *tiers[tier] + width <= *first))
            first = tiers[tier];
    }
    return first;
}

} // namespace lifeline
