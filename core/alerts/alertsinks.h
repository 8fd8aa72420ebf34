// Where alerts go besides the tray: webhooks and commands ([[alerts.webhook]],
// [[alerts.command]]). Everything runs on the thread the sinks live in (the
// engine's) without ever waiting:
//
// - A webhook delivery is one POST with a deadline over the whole exchange
//   (an endpoint that trickles its answer a byte a second is cut off too),
//   retried with a doubling delay. Only the status line matters: the body is
//   never read, so a huge answer costs nothing. Each delivery stands alone, so
//   a webhook that hangs or refuses holds up no other webhook or alert; at
//   most kMaxPending deliveries per webhook wait, beyond that they are
//   reported as failed.
//   Bodies: json  {"key","severity","service","title","text","state","time"}
//           slack {"text": "..."}, discord {"content": "..."} (2000 chars max),
//           ntfy  the text as a plain body, with Title, Priority and Tags headers.
// - A command runs with the alert in LIFELINE_ALERT_KEY, _SEVERITY, _SERVICE,
//   _TITLE, _TEXT and _STATE, in a session of its own, killed (its group) after
//   its timeout; at most kMaxCommands run at once, kMaxPending more wait.
// A delivery that finally fails is reported through deliveryFailed(); it
// never raises an alert itself (that could loop).
#pragma once

#include "alerts/alerthistory.h"
#include "config/alertsspec.h"

#include <QHash>
#include <QObject>
#include <QQueue>

class QNetworkAccessManager;

namespace lifeline {

class AlertSinks final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertSinks)

public:
    static constexpr int kMaxPending = 50;
    static constexpr int kMaxCommands = 4;

    explicit AlertSinks(const AlertsSpec &spec, QObject *parent = nullptr);
    ~AlertSinks() override;

    void setSpec(const AlertsSpec &spec) { m_spec = spec; }
    // The first retry's delay; each next one doubles it (1 s by default).
    void setRetryDelayMs(int ms) { m_retryDelayMs = ms; }

    void deliver(const AlertNotice &notice);

    // A webhook's request body and extra headers for `notice`.
    static QByteArray webhookBody(AlertWebhookSpec::Format format, const AlertNotice &notice);
    static QList<QPair<QByteArray, QByteArray>> webhookHeaders(AlertWebhookSpec::Format format,
                                                               const AlertNotice &notice);
    // "webhook https://hooks.example" (no path: it often holds a secret token)
    static QString webhookName(const AlertWebhookSpec &spec);
    static QString commandName(const AlertCommandSpec &spec);

signals:
    void delivered(const QString &sink, const lifeline::AlertNotice &notice);
    void deliveryFailed(const QString &sink, const lifeline::AlertNotice &notice, const QString &error);

private:
    struct Command
    {
        AlertCommandSpec spec;
        AlertNotice notice;
    };
    void post(const AlertWebhookSpec &spec, const AlertNotice &notice, int attempt);
    void finishPost(const AlertWebhookSpec &spec, const AlertNotice &notice, int attempt,
                    const QString &error);
    void run(const Command &command);
    void runNext();

    AlertsSpec m_spec;
    QNetworkAccessManager *m_network;
    int m_retryDelayMs = 1000;
    QHash<QString, int> m_pending; // per webhook url: deliveries not finished yet
    int m_running = 0;
    QQueue<Command> m_waiting;
};

} // namespace lifeline
