#include "diagnostics/crashstore.h"

#include "metrics/metricshistory.h"

#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>

using namespace Qt::StringLiterals;

namespace lifeline {

CrashStore::CrashStore(MetricsHistory *history, QObject *parent)
    : QObject(parent)
    , m_history(history)
{}

CrashStore::~CrashStore() = default;

bool CrashStore::persistent() const
{
    return m_history && m_history->isPersistent();
}

bool CrashStore::ensureTable() const
{
    if (m_tableGeneration == m_history->generation())
        return true;
    QSqlQuery q(m_history->database());
    const bool ok =
        q.exec(u"CREATE TABLE IF NOT EXISTS crash_records (id INTEGER PRIMARY KEY AUTOINCREMENT,"
               " service TEXT NOT NULL, t INTEGER NOT NULL, cause TEXT NOT NULL,"
               " exit TEXT NOT NULL, exit_code INTEGER NOT NULL, record TEXT NOT NULL)"_s) &&
        q.exec(u"CREATE INDEX IF NOT EXISTS crash_records_service ON crash_records (service, id)"_s);
    m_history->noteSqlError(q.lastError());
    if (ok)
        m_tableGeneration = m_history->generation();
    return ok;
}

qint64 CrashStore::add(const CrashRecord &input)
{
    CrashRecord record = input;
    if (!persistent()) {
        record.id = m_nextMemoryId++;
        m_memory.append(record);
        qsizetype kept = 0;
        for (qsizetype i = m_memory.size() - 1; i >= 0; --i) {
            if (m_memory.at(i).service == record.service && ++kept > m_maxPerService)
                m_memory.removeAt(i);
        }
    } else {
        if (!ensureTable())
            return 0;
        QSqlDatabase db = m_history->database();
        QSqlQuery q(db);
        q.prepare(u"INSERT INTO crash_records (service, t, cause, exit, exit_code, record)"
                  " VALUES (?, ?, ?, ?, ?, ?)"_s);
        q.addBindValue(record.service);
        q.addBindValue(record.timeMs);
        q.addBindValue(record.cause);
        q.addBindValue(record.exit);
        q.addBindValue(record.exitCode);
        q.addBindValue(QString::fromUtf8(QJsonDocument(record.toJson()).toJson(QJsonDocument::Compact)));
        if (!q.exec()) {
            m_history->noteSqlError(q.lastError());
            qWarning("crash record of %s not stored: %s", qUtf8Printable(record.service),
                     qUtf8Printable(q.lastError().text()));
            return 0;
        }
        record.id = q.lastInsertId().toLongLong();
        QSqlQuery trim(db);
        trim.prepare(u"DELETE FROM crash_records WHERE service = ? AND id NOT IN"
                     " (SELECT id FROM crash_records WHERE service = ? ORDER BY id DESC LIMIT ?)"_s);
        trim.addBindValue(record.service);
        trim.addBindValue(record.service);
        trim.addBindValue(m_maxPerService);
        if (!trim.exec())
            m_history->noteSqlError(trim.lastError());
    }
    ++m_added[record.service];
    emit added(CrashSummary::of(record));
    return record.id;
}

QList<CrashSummary> CrashStore::list(const QString &service) const
{
    QList<CrashSummary> out;
    if (!persistent()) {
        for (qsizetype i = m_memory.size() - 1; i >= 0; --i) {
            if (m_memory.at(i).service == service)
                out.append(CrashSummary::of(m_memory.at(i)));
        }
        return out;
    }
    if (!ensureTable())
        return out;
    QSqlQuery q(m_history->database());
    q.prepare(
        u"SELECT id, t, cause, exit, exit_code FROM crash_records WHERE service = ? ORDER BY id DESC"_s);
    q.addBindValue(service);
    if (q.exec()) {
        while (q.next()) {
            out.append({q.value(0).toLongLong(), service, q.value(1).toLongLong(), q.value(2).toString(),
                        q.value(3).toString(), q.value(4).toInt()});
        }
    }
    m_history->noteSqlError(q.lastError());
    return out;
}

std::optional<CrashRecord> CrashStore::record(const QString &service, qint64 id) const
{
    if (!persistent()) {
        for (const CrashRecord &r : m_memory) {
            if (r.id == id && r.service == service)
                return r;
        }
        return std::nullopt;
    }
    if (!ensureTable())
        return std::nullopt;
    QSqlQuery q(m_history->database());
    q.prepare(u"SELECT record FROM crash_records WHERE service = ? AND id = ?"_s);
    q.addBindValue(service);
    q.addBindValue(id);
    std::optional<CrashRecord> out;
    if (q.exec() && q.next()) {
        CrashRecord r = CrashRecord::fromJson(QJsonDocument::fromJson(q.value(0).toByteArray()).object());
        r.id = id;
        out = r;
    }
    m_history->noteSqlError(q.lastError());
    return out;
}

QHash<QString, int> CrashStore::counts() const
{
    QHash<QString, int> out;
    if (!persistent()) {
        for (const CrashRecord &r : m_memory)
            ++out[r.service];
        return out;
    }
    if (!ensureTable())
        return out;
    QSqlQuery q(m_history->database());
    if (q.exec(u"SELECT service, count(*) FROM crash_records GROUP BY service"_s)) {
        while (q.next())
            out.insert(q.value(0).toString(), q.value(1).toInt());
    }
    m_history->noteSqlError(q.lastError());
    return out;
}

} // namespace lifeline
