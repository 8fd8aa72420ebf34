#include "errors/errorjson.h"

#include <QDateTime>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

QString iso(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

} // namespace

QJsonArray errorSignaturesJson(const QList<ErrorSignature> &signatures)
{
    QJsonArray out;
    for (const ErrorSignature &s : signatures) {
        out.append(QJsonObject{{u"id"_s, s.id},
                               {u"signature"_s, s.text},
                               {u"count"_s, s.count},
                               {u"first_seen"_s, iso(s.firstSeenMs)},
                               {u"last_seen"_s, iso(s.lastSeenMs)},
                               {u"source"_s, s.source},
                               {u"sample"_s, s.sample}});
    }
    return out;
}

QString errorSignaturesText(const QString &service, const QJsonArray &signatures)
{
    if (signatures.isEmpty())
        return u"%1: no errors seen\n"_s.arg(service);
    QString text = u"%1: %2 error signatures, most recent first\n"_s.arg(service).arg(signatures.size());
    for (const QJsonValue &v : signatures) {
        const QJsonObject o = v.toObject();
        text += u"\n%1x  %2\n    first %3, last %4, in %5\n"_s.arg(o.value(u"count"_s).toInteger())
                    .arg(o.value(u"signature"_s).toString(), o.value(u"first_seen"_s).toString(),
                         o.value(u"last_seen"_s).toString(), o.value(u"source"_s).toString());
        const QStringList sample = o.value(u"sample"_s).toString().split(u'\n');
        constexpr qsizetype kShownLines = 12;
        for (const QString &line : sample.first(std::min(sample.size(), kShownLines)))
            text += u"    | "_s + line + u'\n';
        if (sample.size() > kShownLines)
            text += u"    | \u2026 %1 more lines (--json has the whole sample)\n"_s.arg(sample.size() -
                                                                                        kShownLines);
    }
    return text;
}

} // namespace lifeline
