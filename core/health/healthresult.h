// The outcome of one health probe and the health state derived from a run of
// them. Plain values: the probe produces them, HealthMonitor keeps a bounded
// history of them, the UI and lifelinectl display them.
#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace lifeline {

enum class Health
{
    Unknown, // not monitored, or no verdict yet (start period, just (re)started)
    Healthy,
    Unhealthy,
};

// "unknown" / "healthy" / "unhealthy": the names used by `status --json`.
inline QString healthName(Health h)
{
    switch (h) {
    case Health::Healthy:
        return QStringLiteral("healthy");
    case Health::Unhealthy:
        return QStringLiteral("unhealthy");
    case Health::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

enum class ProbeError
{
    None,              // the probe succeeded
    Refused,           // TCP connection refused: nothing listens there
    Timeout,           // no complete answer within the timeout
    Tls,               // TLS handshake or certificate problem
    TooLarge,          // HTTP body over HealthProbe::MaxBodyBytes
    BadStatus,         // HTTP status outside expect_status
    ReportedUnhealthy, // the backend's JSON says unhealthy/fail/down/error
    ReportedDegraded,  // the backend's JSON says degraded/warn (counted as a failure)
    Exec,              // exec probe: non-zero exit, crash, or could not start
    PortHeldByOther,   // probe fine, but a port of the service belongs to another process
    Other,             // anything else (host not found, refused redirect, ...)
};

struct HealthResult
{
    qint64 timeMs = 0;    // wall clock (ms since epoch) when the probe ended; for display only
    qint64 latencyMs = 0; // from the start of the probe to its end
    bool ok = false;
    int httpStatus = 0; // 0 when there was no HTTP response
    ProbeError error = ProbeError::Other;
    QString reason;     // short and human: "HTTP 503", "timed out after 5s", "connection refused"
    QJsonObject report; // the backend's own JSON object, when it sent one
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::Health)
Q_DECLARE_METATYPE(lifeline::HealthResult)
