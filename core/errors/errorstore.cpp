#include "errors/errorstore.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

#include <atomic>

using namespace Qt::StringLiterals;

namespace lifeline {

ErrorStore::ErrorStore(const QString &databasePath)
{
    if (databasePath.isEmpty())
        return;
    static std::atomic<int> instances{0};
    m_connection = u"lifeline-errors-%1"_s.arg(++instances);
    m_db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connection);
    m_db.setDatabaseName(databasePath);
    m_db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=200"_s);
    if (!m_db.open()) {
        m_error = m_db.lastError().text();
        return;
    }
    if (!exec(u"CREATE TABLE IF NOT EXISTS error_signatures (service TEXT NOT NULL, id TEXT NOT NULL,"
              " text TEXT NOT NULL, count INTEGER NOT NULL, first_ms INTEGER NOT NULL,"
              " last_ms INTEGER NOT NULL, sample TEXT NOT NULL, source TEXT NOT NULL,"
              " PRIMARY KEY (service, id)) WITHOUT ROWID"_s))
        m_db.close();
}

ErrorStore::~ErrorStore()
{
    if (m_connection.isEmpty())
        return;
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connection);
}

bool ErrorStore::exec(const QString &sql)
{
    QSqlQuery q(m_db);
    if (q.exec(sql))
        return true;
    m_error = q.lastError().text();
    return false;
}

QHash<QString, QList<ErrorSignature>> ErrorStore::load()
{
    QHash<QString, QList<ErrorSignature>> out;
    if (!isOpen())
        return out;
    QSqlQuery q(m_db);
    if (!q.exec(
            u"SELECT service, id, text, count, first_ms, last_ms, sample, source FROM error_signatures"_s)) {
        m_error = q.lastError().text();
        return out;
    }
    while (q.next()) {
        ErrorSignature s;
        s.id = q.value(1).toString();
        s.text = q.value(2).toString();
        s.count = q.value(3).toLongLong();
        s.firstSeenMs = q.value(4).toLongLong();
        s.lastSeenMs = q.value(5).toLongLong();
        s.sample = q.value(6).toString();
        s.source = q.value(7).toString();
        out[q.value(0).toString()].append(s);
    }
    return out;
}

void ErrorStore::save(const QString &service, const QList<ErrorSignature> &signatures)
{
    if (!isOpen() || signatures.isEmpty())
        return;
    m_db.transaction();
    QSqlQuery q(m_db);
    q.prepare(u"INSERT OR REPLACE INTO error_signatures (service, id, text, count, first_ms, last_ms, sample,"
              " source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"_s);
    for (const ErrorSignature &s : signatures) {
        q.addBindValue(service);
        q.addBindValue(s.id);
        q.addBindValue(s.text);
        q.addBindValue(s.count);
        q.addBindValue(s.firstSeenMs);
        q.addBindValue(s.lastSeenMs);
        q.addBindValue(s.sample);
        q.addBindValue(s.source);
        if (!q.exec())
            m_error = q.lastError().text();
    }
    m_db.commit();
}

void ErrorStore::remove(const QString &service, const QStringList &ids)
{
    if (!isOpen() || ids.isEmpty())
        return;
    m_db.transaction();
    QSqlQuery q(m_db);
    q.prepare(u"DELETE FROM error_signatures WHERE service = ? AND id = ?"_s);
    for (const QString &id : ids) {
        q.addBindValue(service);
        q.addBindValue(id);
        if (!q.exec())
            m_error = q.lastError().text();
    }
    m_db.commit();
}

} // namespace lifeline
