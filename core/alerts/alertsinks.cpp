#include "alerts/alertsinks.h"

#include "platform/childregistry.h"
#include "platform/rlimit.h"
#include "util/units.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QTimer>
#include <QUrl>

#include <csignal>
#include <memory>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

constexpr int kDiscordMaxChars = 2000;
constexpr qsizetype kCommandOutputBytes = 2048;

QString plainText(const AlertNotice &n)
{
    return n.headline() + (n.text.isEmpty() ? QString() : u"\n"_s + n.text);
}

} // namespace

QString alertWebhookFormatName(AlertWebhookSpec::Format format)
{
    switch (format) {
    case AlertWebhookSpec::Format::Json:
        return u"json"_s;
    case AlertWebhookSpec::Format::Slack:
        return u"slack"_s;
    case AlertWebhookSpec::Format::Discord:
        return u"discord"_s;
    case AlertWebhookSpec::Format::Ntfy:
        return u"ntfy"_s;
    }
    return u"json"_s;
}

AlertSinks::AlertSinks(const AlertsSpec &spec, QObject *parent)
    : QObject(parent)
    , m_spec(spec)
    , m_network(new QNetworkAccessManager(this))
{
    // Webhooks go where the person pointed them; no environment proxy reroutes them.
    m_network->setProxy(QNetworkProxy::NoProxy);
}

AlertSinks::~AlertSinks() = default;

QByteArray AlertSinks::webhookBody(AlertWebhookSpec::Format format, const AlertNotice &notice)
{
    using F = AlertWebhookSpec::Format;
    switch (format) {
    case F::Json:
        return QJsonDocument(notice.toJson()).toJson(QJsonDocument::Compact);
    case F::Slack:
        return QJsonDocument(QJsonObject{{u"text"_s, plainText(notice)}}).toJson(QJsonDocument::Compact);
    case F::Discord:
        return QJsonDocument(QJsonObject{{u"content"_s, plainText(notice).left(kDiscordMaxChars)}})
            .toJson(QJsonDocument::Compact);
    case F::Ntfy:
        return notice.text.isEmpty() ? notice.title.toUtf8() : notice.text.toUtf8();
    }
    return {};
}

QList<QPair<QByteArray, QByteArray>> AlertSinks::webhookHeaders(AlertWebhookSpec::Format format,
                                                                const AlertNotice &notice)
{
    if (format != AlertWebhookSpec::Format::Ntfy)
        return {{"Content-Type", "application/json"}};
    const bool cleared = notice.state == AlertState::Cleared;
    QByteArray priority = "default";
    QByteArray tags = "information_source";
    if (cleared) {
        tags = "white_check_mark";
    } else if (notice.severity == AlertSeverity::Critical) {
        priority = "urgent";
        tags = "rotating_light";
    } else if (notice.severity == AlertSeverity::Warning) {
        priority = "high";
        tags = "warning";
    }
    // A header value cannot hold a line break.
    QString title = notice.headline();
    title.replace(u'\n', u' ').replace(u'\r', u' ');
    return {{"Content-Type", "text/plain; charset=utf-8"},
            {"Title", title.toUtf8()},
            {"Priority", priority},
            {"Tags", tags}};
}

QString AlertSinks::webhookName(const AlertWebhookSpec &spec)
{
    return u"webhook "_s +
           QUrl(spec.url)
               .adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo)
               .toString();
}

QString AlertSinks::commandName(const AlertCommandSpec &spec)
{
    return u"command "_s + spec.argv.value(0);
}

void AlertSinks::deliver(const AlertNotice &notice)
{
    for (const AlertWebhookSpec &w : std::as_const(m_spec.webhooks)) {
        int &pending = m_pending[w.url];
        if (pending >= kMaxPending) {
            emit deliveryFailed(
                webhookName(w), notice,
                u"%1 deliveries are still waiting for it; this alert is not sent"_s.arg(pending));
            continue;
        }
        ++pending;
        post(w, notice, 0);
    }
    for (const AlertCommandSpec &c : std::as_const(m_spec.commands)) {
        if (m_waiting.size() >= kMaxPending) {
            emit deliveryFailed(
                commandName(c), notice,
                u"%1 alert commands are waiting already; this one is not run"_s.arg(kMaxPending));
            continue;
        }
        m_waiting.enqueue({c, notice});
    }
    runNext();
}

void AlertSinks::post(const AlertWebhookSpec &spec, const AlertNotice &notice, int attempt)
{
    QNetworkRequest request{QUrl(spec.url)};
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setMaximumRedirectsAllowed(3);
    for (const auto &[name, value] : webhookHeaders(spec.format, notice))
        request.setRawHeader(name, value);
    for (const auto &[name, value] : spec.headers)
        request.setRawHeader(name.toUtf8(), value.toUtf8());
    QNetworkReply *reply = m_network->post(request, webhookBody(spec.format, notice));
    // The whole exchange, not only silence between bytes: a trickle never ends otherwise.
    auto *deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, reply, [reply] {
        reply->setProperty("lifelineTimedOut", true);
        reply->abort();
    });
    deadline->start(spec.timeout);
    // A success says everything: stop there, whatever body follows. (Qt
    // itself ends a reply with an error status; its body is skipped.)
    connect(reply, &QNetworkReply::metaDataChanged, reply, [reply] {
        const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (status.isValid() && status.toInt() >= 200 && status.toInt() < 300) {
            reply->setProperty("lifelineStatus", status);
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::readyRead, reply, [reply] { reply->skip(reply->bytesAvailable()); });
    connect(reply, &QNetworkReply::finished, this, [this, reply, spec, notice, attempt] {
        reply->deleteLater();
        QVariant status = reply->property("lifelineStatus");
        if (!status.isValid())
            status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        QString error;
        if (reply->property("lifelineTimedOut").toBool())
            error = u"no complete answer within "_s + formatDuration(spec.timeout);
        else if (status.isValid() && (status.toInt() < 200 || status.toInt() >= 300))
            error = u"HTTP "_s + QString::number(status.toInt());
        else if (!status.isValid())
            error = reply->errorString();
        finishPost(spec, notice, attempt, error);
    });
}

void AlertSinks::finishPost(const AlertWebhookSpec &spec, const AlertNotice &notice, int attempt,
                            const QString &error)
{
    if (!error.isEmpty() && attempt < spec.retries) {
        const int delay = m_retryDelayMs << std::min(attempt, 10);
        QTimer::singleShot(delay, this, [this, spec, notice, attempt] { post(spec, notice, attempt + 1); });
        return;
    }
    if (--m_pending[spec.url] <= 0)
        m_pending.remove(spec.url);
    if (error.isEmpty())
        emit delivered(webhookName(spec), notice);
    else
        emit deliveryFailed(webhookName(spec), notice,
                            error + (attempt > 0 ? u" (after %1 attempts)"_s.arg(attempt + 1) : QString()));
}

void AlertSinks::runNext()
{
    while (m_running < kMaxCommands && !m_waiting.isEmpty())
        run(m_waiting.dequeue());
}

void AlertSinks::run(const Command &command)
{
    ++m_running;
    auto *process = new QProcess(this);
    process->setProgram(command.spec.argv.first());
    process->setArguments(command.spec.argv.mid(1));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const AlertNotice &n = command.notice;
    env.insert(u"LIFELINE_ALERT_KEY"_s, n.key);
    env.insert(u"LIFELINE_ALERT_SEVERITY"_s, alertSeverityName(n.severity));
    env.insert(u"LIFELINE_ALERT_SERVICE"_s, n.service);
    env.insert(u"LIFELINE_ALERT_TITLE"_s, n.title);
    env.insert(u"LIFELINE_ALERT_TEXT"_s, n.text);
    env.insert(u"LIFELINE_ALERT_STATE"_s, alertStateName(n.state));
    process->setProcessEnvironment(env);
    process->setProcessChannelMode(QProcess::MergedChannels);
    process->setStandardInputFile(QProcess::nullDevice());
    // A session of its own, so a timeout ends whatever it started too.
    process->setChildProcessModifier([] {
        ::setsid();
        restoreOpenFileLimitInChild();
    });
    const auto output = std::make_shared<QByteArray>();
    const auto timedOut = std::make_shared<bool>(false);
    auto *deadline = new QTimer(process);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, process, [process, timedOut] {
        *timedOut = true;
        if (const qint64 pid = process->processId(); pid > 0)
            ::kill(-pid_t(pid), SIGKILL);
        process->kill();
    });
    connect(process, &QProcess::readyReadStandardOutput, process, [process, output] {
        // Keep the end: that is where a failing script says why.
        *output += process->readAllStandardOutput();
        if (output->size() > kCommandOutputBytes)
            *output = output->right(kCommandOutputBytes);
    });
    const QString name = commandName(command.spec);
    const auto done = [this, process, name, n](const QString &error) {
        if (process->processId() > 0)
            ChildRegistry::remove(pid_t(process->processId()));
        process->deleteLater();
        --m_running;
        if (error.isEmpty())
            emit delivered(name, n);
        else
            emit deliveryFailed(name, n, error);
        runNext();
    };
    connect(process, &QProcess::errorOccurred, this, [process, done](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            done(u"cannot start "_s + process->program() + u": "_s + process->errorString());
    });
    connect(
        process, &QProcess::finished, this,
        [process, output, timedOut, done, spec = command.spec](int exitCode, QProcess::ExitStatus status) {
            *output += process->readAllStandardOutput();
            const QString last =
                QString::fromUtf8(output->right(kCommandOutputBytes)).trimmed().split(u'\n').constLast();
            const QString detail = last.isEmpty() ? QString() : u": "_s + last;
            if (*timedOut)
                done(u"still running after "_s + formatDuration(spec.timeout) + u", killed"_s);
            else if (status == QProcess::CrashExit)
                done(u"killed by a signal"_s + detail);
            else if (exitCode != 0)
                done(u"exit code "_s + QString::number(exitCode) + detail);
            else
                done(QString());
        });
    deadline->start(command.spec.timeout);
    process->start();
    if (process->processId() > 0)
        ChildRegistry::add(pid_t(process->processId()));
}

} // namespace lifeline
