#include "healthparser.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

enum class Reported
{
    Nothing,
    Healthy,
    Degraded,
    Unhealthy,
    Unrecognised
};

Reported classify(const QString &status)
{
    const QString s = status.trimmed().toLower();
    if (s == "healthy"_L1 || s == "ok"_L1 || s == "pass"_L1 || s == "up"_L1)
        return Reported::Healthy;
    if (s == "degraded"_L1 || s == "warn"_L1)
        return Reported::Degraded;
    if (s == "unhealthy"_L1 || s == "fail"_L1 || s == "down"_L1 || s == "error"_L1)
        return Reported::Unhealthy;
    return Reported::Unrecognised;
}

// A short explanation the backend may give next to its status, so the person
// reads "backend reports "unhealthy": database unreachable" instead of guessing.
QString backendMessage(const QJsonObject &o)
{
    constexpr qsizetype maxLength = 200;
    for (const auto key : {"message"_L1, "detail"_L1, "error"_L1, "reason"_L1}) {
        const QJsonValue v = o.value(key);
        if (v.isString() && !v.toString().trimmed().isEmpty()) {
            QString text = v.toString().simplified();
            if (text.size() > maxLength)
                text = text.left(maxLength) + u'…';
            return text;
        }
    }
    return {};
}

} // namespace

HealthParser::Verdict HealthParser::parse(int status, const QByteArray &body, int expectMin, int expectMax)
{
    Verdict v;
    bool isJson = false;
    Reported reported = Reported::Nothing;
    QString reportedText;
    QJsonObject report; // whole, for the verdict; v.report is what is kept
    if (!body.trimmed().isEmpty()) {
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(body, &err);
        isJson = err.error == QJsonParseError::NoError;
        if (isJson && doc.isObject()) {
            report = doc.object();
            const QJsonValue s = report.value("status"_L1);
            if (s.isString()) {
                reportedText = s.toString().trimmed();
                reported = classify(reportedText);
            }
            v.report = capReport(report, body.size());
        }
    }

    const QString http = u"HTTP "_s + QString::number(status);
    if (status < expectMin || status > expectMax) {
        v.ok = false;
        v.error = ProbeError::BadStatus;
        v.reason = http;
        return v;
    }

    switch (reported) {
    case Reported::Degraded:
    case Reported::Unhealthy: {
        v.ok = false;
        v.error =
            reported == Reported::Degraded ? ProbeError::ReportedDegraded : ProbeError::ReportedUnhealthy;
        v.reason = u"backend reports \""_s + reportedText + u'"';
        const QString message = backendMessage(report);
        if (!message.isEmpty())
            v.reason += u": "_s + message;
        return v;
    }
    case Reported::Unrecognised:
        v.ok = true;
        v.error = ProbeError::None;
        v.reason = http + u", unrecognised status \""_s + reportedText + u'"';
        return v;
    case Reported::Healthy:
    case Reported::Nothing:
        break;
    }

    v.ok = true;
    v.error = ProbeError::None;
    v.reason = (body.trimmed().isEmpty() || isJson) ? http : http + u", body is not JSON"_s;
    return v;
}

QJsonObject HealthParser::capReport(const QJsonObject &report, qsizetype bodyBytes)
{
    if (bodyBytes <= MaxReportBytes)
        return report;
    const QString note = u"… truncated, %1 bytes total"_s.arg(bodyBytes);
    // Room for the note itself and the braces.
    qsizetype room = MaxReportBytes - note.toUtf8().size() - 32;
    QJsonObject kept;
    for (auto it = report.constBegin(); it != report.constEnd(); ++it) {
        const qsizetype size =
            QJsonDocument(QJsonObject{{it.key(), it.value()}}).toJson(QJsonDocument::Compact).size();
        if (size > room)
            continue;
        kept.insert(it.key(), it.value());
        room -= size;
    }
    kept.insert(u"truncated"_s, note);
    return kept;
}

} // namespace lifeline
