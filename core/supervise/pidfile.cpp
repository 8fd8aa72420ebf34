#include "pidfile.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace lifeline {

bool PidFile::write(const QString &path, QString *error) const
{
    QJsonObject o;
    o[QStringLiteral("pid")] = qint64(pid);
    o[QStringLiteral("start_time")] = QString::number(startTime);
    o[QStringLiteral("command_hash")] = QString::fromLatin1(commandHash);
    o[QStringLiteral("marker")] = QString::fromUtf8(marker);
    o[QStringLiteral("started_at_ms")] = startedAtMs;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(o).toJson(QJsonDocument::Compact)) < 0 ||
        !f.commit()) {
        *error = f.errorString();
        return false;
    }
    return true;
}

std::optional<PidFile> PidFile::read(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    PidFile p;
    p.pid = pid_t(o.value(QStringLiteral("pid")).toInteger());
    p.startTime = o.value(QStringLiteral("start_time")).toString().toULongLong();
    p.commandHash = o.value(QStringLiteral("command_hash")).toString().toLatin1();
    p.marker = o.value(QStringLiteral("marker")).toString().toUtf8();
    p.startedAtMs = o.value(QStringLiteral("started_at_ms")).toInteger();
    return p;
}

PidFile::Check PidFile::verify(const ProcFs &proc, const QByteArray &markerKey, const QByteArray &markerValue,
                               ProcInfo *live) const
{
    const std::optional<ProcInfo> info = pid > 0 ? proc.process(pid) : std::nullopt;
    if (!info)
        return Check::Gone;
    if (info->isZombie() || info->startTime != startTime || !proc.hasEnv(pid, markerKey, markerValue))
        return Check::Other;
    if (live)
        *live = *info;
    return Check::Ours;
}

} // namespace lifeline
