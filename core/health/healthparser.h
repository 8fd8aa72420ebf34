// Turns an HTTP health answer (status code and body) into a verdict. Pure:
// no I/O, no state, tested directly with a table of answers.
#pragma once

#include "healthresult.h"

#include <QByteArray>

namespace lifeline {

class HealthParser
{
public:
    struct Verdict
    {
        bool ok = false;
        ProbeError error = ProbeError::Other;
        QString reason;     // "HTTP 200", "HTTP 503", "backend reports \"degraded\"", ...
        QJsonObject report; // the body when it is a JSON object, at most MaxReportBytes (see capReport)
    };

    // A report is kept for display only: one that large is already a
    // backend's mistake, and keeping it whole costs Lifeline its memory.
    static constexpr qsizetype MaxReportBytes = 64 * 1024;

    // status: the HTTP status code; the answer is healthy when it lies in
    // [expectMin, expectMax] and the body, if it is a JSON object with a
    // "status" string, does not report a problem:
    //   healthy | ok | pass | up            -> healthy
    //   degraded | warn                     -> failure, ReportedDegraded
    //   unhealthy | fail | down | error     -> failure, ReportedUnhealthy
    // A body that is not JSON does not make a good status code bad; the reason
    // then notes "body is not JSON".
    static Verdict parse(int status, const QByteArray &body, int expectMin, int expectMax);

    // REPORT as it arrived in BODYBYTES of JSON. Over MaxReportBytes, its
    // top-level members are kept in order while they fit in MaxReportBytes
    // and "truncated" says "… truncated, N bytes total"; smaller reports are
    // returned as they are.
    static QJsonObject capReport(const QJsonObject &report, qsizetype bodyBytes);
};

} // namespace lifeline
