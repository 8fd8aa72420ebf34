// The signatures of every service in state_dir/errors.sqlite, so they
// survive a restart of Lifeline. A file of its own: a damaged history.sqlite
// replaced does not take them along, and its writes never wait for ours. Without a database path nothing
// is kept.
#pragma once

#include "errors/errorsignature.h"

#include <QHash>
#include <QSqlDatabase>
#include <QString>

namespace lifeline {

class ErrorStore
{
    Q_DISABLE_COPY_MOVE(ErrorStore)

public:
    explicit ErrorStore(const QString &databasePath);
    ~ErrorStore();

    bool isOpen() const { return m_db.isOpen(); }
    QString lastError() const { return m_error; }

    // service -> its signatures (per-minute counts are not kept).
    QHash<QString, QList<ErrorSignature>> load();
    // One transaction for the lot.
    void save(const QString &service, const QList<ErrorSignature> &signatures);
    void remove(const QString &service, const QStringList &ids);

private:
    bool exec(const QString &sql);

    QString m_connection;
    QSqlDatabase m_db;
    QString m_error;
};

} // namespace lifeline
