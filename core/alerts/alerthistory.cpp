#include "alerts/alerthistory.h"

#include <QDateTime>
#include <QDir>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <atomic>
#include <utility>

using namespace Qt::StringLiterals;

namespace lifeline {

QString alertSeverityName(AlertSeverity s)
{
    switch (s) {
    case AlertSeverity::Info:
        return u"info"_s;
    case AlertSeverity::Warning:
        return u"warning"_s;
    case AlertSeverity::Critical:
        return u"critical"_s;
    }
    return u"warning"_s;
}

QString alertStateName(AlertState s)
{
    switch (s) {
    case AlertState::Firing:
        return u"firing"_s;
    case AlertState::Cleared:
        return u"cleared"_s;
    case AlertState::Suppressed:
        return u"suppressed"_s;
    case AlertState::DeliveryFailed:
        return u"delivery_failed"_s;
    }
    return u"firing"_s;
}

namespace {

AlertSeverity severityFromName(const QString &name)
{
    if (name == u"critical"_s)
        return AlertSeverity::Critical;
    return name == u"info"_s ? AlertSeverity::Info : AlertSeverity::Warning;
}

AlertState stateFromName(const QString &name)
{
    for (AlertState s :
         {AlertState::Firing, AlertState::Cleared, AlertState::Suppressed, AlertState::DeliveryFailed}) {
        if (alertStateName(s) == name)
            return s;
    }
    return AlertState::Firing;
}

} // namespace

QJsonObject AlertNotice::toJson() const
{
    return {
        {u"key"_s, key},
        {u"severity"_s, alertSeverityName(severity)},
        {u"service"_s, service},
        {u"title"_s, title},
        {u"text"_s, text},
        {u"state"_s, alertStateName(state)},
        {u"time"_s, QDateTime::fromMSecsSinceEpoch(timeMs, Qt::UTC).toString(Qt::ISODateWithMs)},
    };
}

QString AlertNotice::headline() const
{
    const QString what = state == AlertState::Cleared ? u"cleared"_s : alertSeverityName(severity);
    return u"[%1] %2"_s.arg(what, title);
}

AlertHistory::AlertHistory(const QString &stateDir)
{
    if (!stateDir.isEmpty())
        open(stateDir);
}

AlertHistory::~AlertHistory()
{
    if (m_connection.isEmpty())
        return;
    QSqlDatabase::database(m_connection, false).close();
    QSqlDatabase::removeDatabase(m_connection);
}

void AlertHistory::open(const QString &stateDir)
{
    static std::atomic<int> instances{0};
    const QString connection = u"lifeline-alerts-%1"_s.arg(++instances);
    m_path = QDir(stateDir).filePath(u"alerts.sqlite"_s);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, connection);
        db.setDatabaseName(m_path);
        bool ok = db.open();
        QSqlQuery q(db);
        // As the metrics history has it: one fsync per checkpoint, not per alert.
        ok = ok && q.exec(u"PRAGMA journal_mode = WAL"_s) && q.exec(u"PRAGMA synchronous = NORMAL"_s);
        ok = ok && q.exec(u"CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY, t INTEGER NOT NULL,"
                          " key TEXT NOT NULL, severity TEXT NOT NULL, service TEXT NOT NULL,"
                          " title TEXT NOT NULL, text TEXT NOT NULL, state TEXT NOT NULL)"_s);
        ok = ok && q.exec(u"SELECT id, t, key, severity, service, title, text, state FROM alerts"
                          " ORDER BY id DESC LIMIT %1"_s.arg(kMemoryRows));
        if (!ok) {
            m_lastWarning = u"alert history in %1 cannot be used (%2); keeping it in memory only"_s.arg(
                m_path, q.lastError().isValid() ? q.lastError().text() : db.lastError().text());
        } else {
            while (q.next()) {
                AlertNotice n;
                n.id = q.value(0).toLongLong();
                n.timeMs = q.value(1).toLongLong();
                n.key = q.value(2).toString();
                n.severity = severityFromName(q.value(3).toString());
                n.service = q.value(4).toString();
                n.title = q.value(5).toString();
                n.text = q.value(6).toString();
                n.state = stateFromName(q.value(7).toString());
                m_recent.prepend(n);
                m_nextId = std::max(m_nextId, n.id + 1);
            }
            m_connection = connection;
            return;
        }
    }
    QSqlDatabase::removeDatabase(connection);
}

void AlertHistory::fail(const QString &what)
{
    m_lastWarning = u"alert history in %1: %2; keeping it in memory only from now on"_s.arg(m_path, what);
    QSqlDatabase::database(m_connection, false).close();
    QSqlDatabase::removeDatabase(std::exchange(m_connection, QString()));
}

void AlertHistory::add(AlertNotice &notice)
{
    notice.id = m_nextId++;
    m_recent.append(notice);
    if (m_recent.size() > kMemoryRows)
        m_recent.removeFirst();
    if (m_connection.isEmpty())
        return;
    QString error;
    {
        QSqlQuery q(QSqlDatabase::database(m_connection, false));
        q.prepare(u"INSERT INTO alerts (id, t, key, severity, service, title, text, state)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"_s);
        for (const QVariant &v :
             {QVariant(notice.id), QVariant(notice.timeMs), QVariant(notice.key),
              QVariant(alertSeverityName(notice.severity)), QVariant(notice.service), QVariant(notice.title),
              QVariant(notice.text), QVariant(alertStateName(notice.state))})
            q.addBindValue(v);
        if (!q.exec())
            error = q.lastError().text();
        else if (notice.id % 100 == 0 &&
                 !q.exec(u"DELETE FROM alerts WHERE id <= %1"_s.arg(notice.id - kMaxRows)))
            error = q.lastError().text();
    }
    if (!error.isEmpty())
        fail(error);
}

QList<AlertNotice> AlertHistory::recent(int limit, const QString &service) const
{
    QList<AlertNotice> out;
    for (auto it = m_recent.crbegin(); it != m_recent.crend() && out.size() < limit; ++it) {
        if (service.isEmpty() || it->service.isEmpty() || it->service == service)
            out.append(*it);
    }
    return out;
}

} // namespace lifeline
