#include "traycontroller.h"

#include "engine/engineclient.h"
#include "engine/snapshot.h"
#include "trayicons.h"
#include "util/units.h"

#include <QAction>
#include <QLoggingCategory>
#include <QMenu>

#include <algorithm>

Q_LOGGING_CATEGORY(lcTray, "lifeline.tray")

namespace lifeline {

namespace {

// A double click on the icon arrives as Trigger followed by DoubleClick, and
// some platforms send Trigger twice (KeePassXC works around QTBUG-8336):
// activations this close together are one request.
constexpr qint64 ActivationDebounceMs = 400;

bool isUnhealthy(const ServiceView *s)
{
    return s->health() && s->health()->health() == Health::Unhealthy;
}

// "a, b, c" or "a, b, c, …" when there are more.
QString nameList(const QStringList &names)
{
    constexpr int Shown = 3;
    if (names.size() <= Shown)
        return names.join(QStringLiteral(", "));
    return names.mid(0, Shown).join(QStringLiteral(", ")) + QStringLiteral(", …");
}

// "restarting in 2s", "restarting now"
QString whenRestarting(qint64 inMs, const QString &verb)
{
    if (inMs < 50)
        return verb + QStringLiteral(" now");
    // The timer was armed a moment ago: 1998 ms is "2s", not "1s998ms".
    const qint64 rounded = inMs >= 1000 ? (inMs + 500) / 1000 * 1000 : (inMs + 50) / 100 * 100;
    return verb + QStringLiteral(" in ") + formatDuration(Millis(rounded));
}

} // namespace

TrayController::TrayController(EngineClient *engine, QObject *parent)
    : TrayController(engine, Options{}, parent)
{}

TrayController::TrayController(EngineClient *engine, const Options &options, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_options(options)
{
    qRegisterMetaType<Notification>();
    Q_ASSERT(m_engine);
    if (!m_options.trayAvailable)
        m_options.trayAvailable = [] { return QSystemTrayIcon::isSystemTrayAvailable(); };

    for (int i = 0; i < int(m_icons.size()); ++i)
        m_icons[std::size_t(i)] = trayicons::icon(i);

    m_menu = std::make_unique<QMenu>();
    buildMenu();
    m_icon = std::make_unique<QSystemTrayIcon>();
    m_icon->setContextMenu(m_menu.get());
    connect(m_icon.get(), &QSystemTrayIcon::activated, this, &TrayController::onActivated);

    connect(m_engine, &EngineClient::serviceStateChanged, this, &TrayController::onStateChanged);
    connect(m_engine, &EngineClient::serviceHealthChanged, this, &TrayController::onHealthChanged);
    // The colour follows the fleet as a whole (a removed or added service too).
    connect(m_engine, &EngineClient::fleetUpdated, this, &TrayController::refresh);
    connect(m_engine, &EngineClient::serviceLogsDropping, this,
            [this](const QString &name, const QString &file, const QString &reason) {
                notify(name,
                       QStringLiteral(
                           "%1 keeps running, but its log lines are being dropped: cannot write %2 (%3)")
                           .arg(name, file, reason),
                       QSystemTrayIcon::Warning);
            });
    refresh();

    m_pendingTimer.setSingleShot(true);
    connect(&m_pendingTimer, &QTimer::timeout, this, &TrayController::deliverDue);

    m_retryTimer.setInterval(m_options.retryIntervalMs);
    connect(&m_retryTimer, &QTimer::timeout, this, &TrayController::checkAvailability);
    if (m_options.trayAvailable()) {
        m_available = true;
        m_icon->show();
    } else if (m_options.maxRetries > 0) {
        qCInfo(lcTray, "no system tray yet; checking again every %d ms, %d times", m_options.retryIntervalMs,
               m_options.maxRetries);
        m_retryTimer.start();
    }
}

TrayController::~TrayController()
{
    // The icon refers to the menu: it goes first.
    m_icon.reset();
    m_menu.reset();
}

int TrayController::severityOf(const EngineClient &engine)
{
    int worst = engine.severity();
    const QList<ServiceView *> services = engine.services();
    if (std::any_of(services.cbegin(), services.cend(), isUnhealthy))
        worst = 2;
    return worst;
}

QString TrayController::toolTipFor(const EngineClient &engine)
{
    const QList<ServiceView *> services = engine.services();
    if (services.isEmpty())
        return QStringLiteral("Lifeline — no services");

    // Fixed order, healthy states first; the names of the services in a
    // problem state follow their count, so the line says who needs a look.
    static constexpr ServiceState order[] = {
        ServiceState::Running, ServiceState::Starting, ServiceState::Stopping, ServiceState::Backoff,
        ServiceState::Stopped, ServiceState::Exited,   ServiceState::Fatal,
    };
    QStringList parts;
    for (ServiceState state : order) {
        QStringList names;
        for (const ServiceView *s : services) {
            if (s->state() == state)
                names << s->name();
        }
        if (names.isEmpty())
            continue;
        QString part = QString::number(names.size()) + QLatin1Char(' ') + stateName(state);
        const bool problem =
            state == ServiceState::Backoff || state == ServiceState::Exited || state == ServiceState::Fatal;
        if (problem)
            part += QStringLiteral(" (") + nameList(names) + QLatin1Char(')');
        parts << part;
    }
    QStringList unhealthy;
    for (const ServiceView *s : services) {
        if (isUnhealthy(s))
            unhealthy << s->name();
    }
    if (!unhealthy.isEmpty())
        parts << QString::number(unhealthy.size()) + QStringLiteral(" unhealthy (") + nameList(unhealthy) +
                     QLatin1Char(')');

    const QString count = services.size() == 1
                              ? QStringLiteral("1 service")
                              : QString::number(services.size()) + QStringLiteral(" services");
    return QStringLiteral("Lifeline — ") + count + QStringLiteral(": ") + parts.join(QStringLiteral(", "));
}

QIcon TrayController::currentIcon() const
{
    return m_icons[std::size_t(std::clamp(m_severity, 0, 2))];
}

void TrayController::buildMenu()
{
    QAction *open = m_menu->addAction(tr("Open Lifeline"));
    open->setObjectName(QStringLiteral("openAction"));
    connect(open, &QAction::triggered, this, &TrayController::showRequested);

    m_restartMenu = m_menu->addMenu(tr("Restart"));
    m_restartMenu->setObjectName(QStringLiteral("restartMenu"));
    m_restartAll = m_menu->addAction(tr("Restart all"));
    m_restartAll->setObjectName(QStringLiteral("restartAllAction"));
    fillRestartMenu();
    // Services come and go with configuration reloads.
    connect(m_engine, &EngineClient::serviceAdded, this, &TrayController::fillRestartMenu);
    connect(m_engine, &EngineClient::serviceRemoved, this, [this] {
        fillRestartMenu();
        refresh();
    });
    connect(m_restartAll, &QAction::triggered, this, [this] {
        m_engine->restartAll();
        emit restartAllRequested();
    });

    QAction *recovery = m_menu->addAction(tr("Emergency recovery…"));
    recovery->setObjectName(QStringLiteral("recoveryAction"));
    connect(recovery, &QAction::triggered, this, &TrayController::emergencyRecoveryRequested);

    m_menu->addSeparator();
    QAction *quit = m_menu->addAction(tr("Quit"));
    quit->setObjectName(QStringLiteral("quitAction"));
    quit->setMenuRole(QAction::QuitRole);
    connect(quit, &QAction::triggered, this, &TrayController::quitRequested);
}

void TrayController::fillRestartMenu()
{
    m_restartMenu->clear();
    const QList<ServiceView *> services = m_engine->services();
    for (const ServiceView *s : services) {
        const QString name = s->name();
        QAction *a = m_restartMenu->addAction(name);
        a->setObjectName(QStringLiteral("restart:") + name);
        a->setData(name);
        connect(a, &QAction::triggered, this, [this, name] {
            QString error;
            if (!m_engine->restart(name, &error))
                qCWarning(lcTray, "restart from the tray failed: %s", qPrintable(error));
        });
    }
    m_restartMenu->setEnabled(!services.isEmpty());
    m_restartAll->setEnabled(!services.isEmpty());
}

void TrayController::refresh()
{
    const int severity = severityOf(*m_engine);
    if (severity != m_severity) {
        m_severity = severity;
        m_icon->setIcon(currentIcon());
        emit severityChanged(severity);
    }
    const QString tip = toolTipFor(*m_engine);
    if (tip != m_toolTip) {
        m_toolTip = tip;
        m_icon->setToolTip(tip);
        emit toolTipChanged(tip);
    }
}

void TrayController::checkAvailability()
{
    ++m_retries;
    if (m_options.trayAvailable()) {
        m_retryTimer.stop();
        m_available = true;
        qCInfo(lcTray, "system tray available after %d retries", m_retries);
        m_icon->show();
        emit availabilityChanged(true);
        return;
    }
    if (m_retries >= m_options.maxRetries) {
        m_retryTimer.stop();
        qCWarning(lcTray, "no system tray after %d checks %d ms apart; closing the window will quit Lifeline",
                  m_retries, m_options.retryIntervalMs);
    }
}

void TrayController::onActivated(QSystemTrayIcon::ActivationReason reason)
{
    if (reason != QSystemTrayIcon::Trigger && reason != QSystemTrayIcon::DoubleClick)
        return;
    if (m_sinceShowRequest.isValid() && m_sinceShowRequest.elapsed() < ActivationDebounceMs)
        return;
    m_sinceShowRequest.start();
    emit showRequested();
}

void TrayController::onStateChanged(const QString &name, ServiceState from, ServiceState to)
{
    const ServiceView *s = m_engine->service(name);
    if (s) {
        switch (to) {
        case ServiceState::Backoff:
            // The restart timer is armed right after the state changes: read
            // the delay once the supervisor is done with this transition.
            QTimer::singleShot(0, this, [this, name, from] { describeBackoff(name, from); });
            break;
        case ServiceState::Fatal:
            m_troubled.insert(name);
            notify(name, QStringLiteral("%1 gave up: %2").arg(name, s->lastError()),
                   QSystemTrayIcon::Critical);
            break;
        case ServiceState::Exited:
            if (!s->lastExit().isSuccess()) {
                m_troubled.insert(name);
                notify(name,
                       QStringLiteral("%1 exited (%2) and will not be restarted")
                           .arg(name, s->lastExit().describe()),
                       QSystemTrayIcon::Warning);
            }
            break;
        case ServiceState::Running:
            // With a health check, "recovered" waits for it to pass.
            if (!s->health())
                markRecovered(name);
            break;
        case ServiceState::Stopped:
            // A person stopped it: nothing to announce when it comes back.
            m_troubled.remove(name);
            break;
        case ServiceState::Starting:
        case ServiceState::Stopping:
            break;
        }
    }
    refresh();
}

void TrayController::describeBackoff(const QString &name, ServiceState from)
{
    const ServiceView *s = m_engine->service(name);
    if (!s)
        return;
    m_troubled.insert(name);
    const QString reason = s->restartReason();
    const qint64 inMs = s->nextRestartInMs();
    QString text;
    if (from == ServiceState::Starting)
        text = QStringLiteral("%1 failed to start: %2; %3")
                   .arg(name, reason, whenRestarting(inMs, QStringLiteral("retrying")));
    else if (from == ServiceState::Stopping)
        text = QStringLiteral("%1 was stopped (%2); %3")
                   .arg(name, reason, whenRestarting(inMs, QStringLiteral("restarting")));
    else
        text = QStringLiteral("%1 crashed (%2); %3")
                   .arg(name, reason, whenRestarting(inMs, QStringLiteral("restarting")));
    notify(name, text, QSystemTrayIcon::Warning);
}

void TrayController::onHealthChanged(const QString &name, Health health)
{
    const ServiceView *s = m_engine->service(name);
    if (s && health == Health::Unhealthy) {
        m_troubled.insert(name);
        QString reason;
        if (s->health()) {
            if (const auto last = s->health()->lastResult())
                reason = last->reason;
        }
        notify(name,
               reason.isEmpty() ? QStringLiteral("%1 is unhealthy").arg(name)
                                : QStringLiteral("%1 is unhealthy: %2").arg(name, reason),
               QSystemTrayIcon::Warning);
    } else if (s && health == Health::Healthy && s->state() == ServiceState::Running) {
        markRecovered(name);
    }
    refresh();
}

void TrayController::markRecovered(const QString &name)
{
    if (!m_troubled.remove(name))
        return;
    notify(name, QStringLiteral("%1 recovered").arg(name), QSystemTrayIcon::Information);
}

void TrayController::setNotificationsEnabled(bool enabled)
{
    m_notificationsEnabled = enabled;
    if (!enabled) {
        m_pending.clear();
        m_pendingTimer.stop();
    }
}

void TrayController::notify(const QString &service, const QString &text, QSystemTrayIcon::MessageIcon icon)
{
    if (!m_notificationsEnabled)
        return;
    const Notification n{service, QStringLiteral("Lifeline"), text, icon};
    if (service.isEmpty() || icon == QSystemTrayIcon::Critical) {
        deliver(n);
        return;
    }
    const auto last = m_lastShown.constFind(service);
    if (last != m_lastShown.cend() && last->elapsed() < m_options.throttleMs) {
        // A burst: keep only the newest, shown when the window ends.
        m_pending.insert(service, n);
        const qint64 wait = std::max<qint64>(0, m_options.throttleMs - last->elapsed());
        if (!m_pendingTimer.isActive() || m_pendingTimer.remainingTime() > wait)
            m_pendingTimer.start(int(wait));
        return;
    }
    deliver(n);
}

void TrayController::deliver(const Notification &n)
{
    if (!n.service.isEmpty()) {
        m_lastShown[n.service].start();
        m_pending.remove(n.service);
    }
    m_lastNotification = n;
    if (m_available && m_icon->isVisible())
        m_icon->showMessage(n.title, n.text, n.icon);
    emit notificationShown(n);
}

void TrayController::deliverDue()
{
    qint64 nextWait = -1;
    const QStringList services = m_pending.keys();
    for (const QString &service : services) {
        const qint64 elapsed = m_lastShown.value(service).elapsed();
        if (elapsed >= m_options.throttleMs) {
            deliver(m_pending.value(service));
        } else {
            const qint64 wait = m_options.throttleMs - elapsed;
            nextWait = nextWait < 0 ? wait : std::min(nextWait, wait);
        }
    }
    if (nextWait >= 0)
        m_pendingTimer.start(int(nextWait));
}

} // namespace lifeline
