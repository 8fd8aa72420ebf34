// `lifelinectl errors NAME [--json]`: the signatures as JSON objects
// (signature, id, count, first_seen, last_seen in ISO-8601 UTC, source,
// sample) and as readable text.
#pragma once

#include "errors/errorsignature.h"

#include <QJsonArray>

namespace lifeline {

QJsonArray errorSignaturesJson(const QList<ErrorSignature> &signatures);
QString errorSignaturesText(const QString &service, const QJsonArray &signatures);

} // namespace lifeline
