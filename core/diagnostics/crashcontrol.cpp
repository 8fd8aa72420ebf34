#include "diagnostics/crashcontrol.h"

#include "diagnostics/crashstore.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace lifeline {

QJsonObject crashesReply(const CrashStore *store, const QString &name, bool one, const QJsonValue &id)
{
    const auto fail = [](const QString &error) { return QJsonObject{{u"ok"_s, false}, {u"error"_s, error}}; };
    if (!store)
        return fail(u"crash records are not kept by this Lifeline"_s);
    if (!one) {
        QJsonArray list;
        for (const CrashSummary &s : store->list(name))
            list.append(s.toJson());
        return QJsonObject{{u"ok"_s, true}, {u"name"_s, name}, {u"crashes"_s, list}};
    }
    // A number, or its text as a command line passes it.
    const qint64 wanted = id.isString() ? id.toString().toLongLong() : id.toInteger();
    if (wanted <= 0)
        return fail(u"bad request: \"crash\" needs \"id\" (a positive number from `crashes %1`)"_s.arg(name));
    const std::optional<CrashRecord> record = store->record(name, wanted);
    if (!record)
        return fail(u"%1 has no crash record %2 (see `lifelinectl crashes %1`)"_s.arg(name).arg(wanted));
    return QJsonObject{{u"ok"_s, true},
                       {u"name"_s, name},
                       {u"record"_s, record->toJson()},
                       {u"markdown"_s, record->toMarkdown()}};
}

} // namespace lifeline
