// [alerts]: rule thresholds and where alerts go (core/alerts/alertcenter.h).
// Defaults follow the warning signs people's own monitor scripts watch for.
#pragma once

#include "util/units.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace lifeline {

struct AlertWebhookSpec
{
    enum class Format
    {
        Json,
        Slack,
        Discord,
        Ntfy
    };
    QString url;
    Format format = Format::Json;
    QList<QPair<QString, QString>> headers; // sent with every delivery, in file order
    Millis timeout{10'000};                 // per attempt, the whole answer included
    int retries = 3;                        // attempts after the first, with a doubling delay
    int line = 0;                           // of the [[alerts.webhook]] table, for messages
};

struct AlertCommandSpec
{
    QStringList argv;
    Millis timeout{10'000}; // then it is killed and reported
    int line = 0;
};

struct AlertsSpec
{
    bool enabled = true;
    Millis cooldown{30 * 60'000};       // a firing alert is sent again at most this often
    int restartsPerHour = 3;            // more restarts than this within an hour: warning
    int unhealthyChecks = 3;            // more failed checks in a row than this: critical
    double memoryPercent = 90;          // machine memory: warning above
    double memoryCriticalPercent = 95;  // ... critical above
    double diskPercent = 90;            // fullest disk: warning above
    double diskCriticalPercent = 95;    // ... critical above
    double serviceMemoryPercent = 80;   // of a service's memory_limit: warning above
    int errorCount = 10;                // the same error signature more often than this ...
    Millis errorWindow{5 * 60'000};     // ... within this long: warning
    Millis maintenanceMax{15 * 60'000}; // Lifeline's own windows end at the latest after this
    QList<AlertWebhookSpec> webhooks;
    QList<AlertCommandSpec> commands;
};

QString alertWebhookFormatName(AlertWebhookSpec::Format format); // "json", "slack", ...

} // namespace lifeline
