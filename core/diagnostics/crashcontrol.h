// The control socket's `crashes` and `crash` commands (ControlServer).
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace lifeline {

class CrashStore;

// `crashes` (one = false): {"ok":true,"name":NAME,"crashes":[CrashSummary::toJson()...]},
// newest first. `crash` (one = true, id): {"ok":true,"name":NAME,"record":
// CrashRecord::toJson(),"markdown":TEXT}, or {"ok":false,"error":...} naming
// the service and the id. store may be nullptr (none kept).
QJsonObject crashesReply(const CrashStore *store, const QString &name, bool one, const QJsonValue &id);

} // namespace lifeline
