#include "traycontroller.h"

#include "engine/engineclient.h"
#include "engine/snapshot.h"
#include "profilemenu.h"
#include "util/units.h"

#include <QAction>
#include <QLoggingCategory>
#include <QMenu>

#include <algorithm>

Q_LOGGING_CATEGORY(lcTray, "lifeline.tray")

namespace lifeline {

using trayicons::TrayState;

namespace {

// A double click on the icon arrives as Trigger followed by DoubleClick, and
// some platforms send Trigger twice (KeePassXC works around QTBUG-8336):
// activations this close together are one request.
constexpr qint64 ActivationDebounceMs = 400;

// The kinds of event after which the service restarts by itself: their
// balloon ends with where the restart stands when it is shown, not when the
// event happened, since a held one comes out up to a minute later.
const QString Crashed = QStringLiteral("crashed");
const QString FailedToStart = QStringLiteral("failed to start");
const QString WasStopped = QStringLiteral("was stopped");
const QString Recovered = QStringLiteral("recovered");

bool isUnhealthy(const ServiceView *s)
{
    return s->health() && s->health()->health() == Health::Unhealthy;
}

bool isUp(ServiceState state)
{
    return state == ServiceState::Running || state == ServiceState::Starting ||
           state == ServiceState::Backoff;
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

// How long a run of grouped events took: "40 s", "5 min", "2 h".
QString spanText(qint64 ms)
{
    if (ms < 1000)
        return QStringLiteral("under 1 s");
    const qint64 s = (ms + 500) / 1000;
    if (s < 60)
        return QStringLiteral("%1 s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1 min").arg((s + 30) / 60);
    return QStringLiteral("%1 h").arg((s + 1800) / 3600);
}

QString timesText(int count)
{
    return count == 1 ? QStringLiteral("once") : QStringLiteral("%1 times").arg(count);
}

QSystemTrayIcon::MessageIcon messageIcon(int level)
{
    switch (level) {
    case 0:
        return QSystemTrayIcon::Information;
    case 1:
        return QSystemTrayIcon::Warning;
    default:
        return QSystemTrayIcon::Critical;
    }
}

int levelOf(QSystemTrayIcon::MessageIcon icon)
{
    switch (icon) {
    case QSystemTrayIcon::Warning:
        return 1;
    case QSystemTrayIcon::Critical:
        return 2;
    case QSystemTrayIcon::NoIcon:
    case QSystemTrayIcon::Information:
        break;
    }
    return 0;
}

} // namespace

TrayController::TrayController(EngineClient *engine, QObject *parent)
    : TrayController(engine, Options{}, parent)
{}

TrayController::TrayController(EngineClient *engine, const Options &options, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_options(options)
    , m_policy(options.clock ? options.clock : Clock::system(), options.throttleMs)
{
    qRegisterMetaType<Notification>();
    Q_ASSERT(m_engine);
    if (!m_options.trayAvailable)
        m_options.trayAvailable = [] { return QSystemTrayIcon::isSystemTrayAvailable(); };

    for (std::size_t i = 0; i < m_icons.size(); ++i)
        m_icons[i] = trayicons::icon(TrayState(i));

    m_menu = std::make_unique<QMenu>();
    buildMenu();
    m_icon = std::make_unique<QSystemTrayIcon>();
    m_icon->setContextMenu(m_menu.get());
    connect(m_icon.get(), &QSystemTrayIcon::activated, this, &TrayController::onActivated);
    connect(m_icon.get(), &QSystemTrayIcon::messageClicked, this, &TrayController::onMessageClicked);

    connect(m_engine, &EngineClient::serviceStateChanged, this, &TrayController::onStateChanged);
    connect(m_engine, &EngineClient::serviceHealthChanged, this, &TrayController::onHealthChanged);
    connect(m_engine, &EngineClient::serviceUpdated, this, &TrayController::updateServiceEntry);
    connect(m_engine, &EngineClient::updateAvailable, this, [this](const QString &name, const QString &text) {
        notify(name, text, QSystemTrayIcon::Information, NotificationPolicy::Priority::Normal);
    });
    // A rolled-back update changed what runs without a person: it always gets through.
    connect(m_engine, &EngineClient::updateAlert, this,
            [this](const QString &service, int severity, const QString &, const QString &text) {
                notify(service, text, severity >= 2 ? QSystemTrayIcon::Critical : QSystemTrayIcon::Warning,
                       NotificationPolicy::Priority::Urgent);
            });
    // The colour follows the fleet as a whole (a removed or added service too).
    connect(m_engine, &EngineClient::fleetUpdated, this, &TrayController::refresh);
    connect(m_engine, &EngineClient::serviceLogsDropping, this,
            [this](const QString &name, const QString &file, const QString &reason) {
                post({name, QStringLiteral("is dropping log lines"),
                      QStringLiteral(
                          "%1 keeps running, but its log lines are being dropped: cannot write %2 (%3)")
                          .arg(name, file, reason),
                      1, NotificationPolicy::Priority::Normal});
            });
    // The alerts the tray has no event of its own for: machine memory and
    // disk, the log disk guard, recurring errors, a service near its memory
    // limit. Restarts have their exit notices (a crash loop is one balloon and
    // a summary), a rolled-back update its urgent notice.
    connect(m_engine, &EngineClient::alertNotified, this, [this](const AlertNotice &n) {
        static const QStringList ownEvents{QStringLiteral("fatal:"),    QStringLiteral("unhealthy:"),
                                           QStringLiteral("logs:"),     QStringLiteral("recovery"),
                                           QStringLiteral("restarts:"), QStringLiteral("update:")};
        if (std::any_of(ownEvents.begin(), ownEvents.end(),
                        [&n](const QString &p) { return n.key.startsWith(p); }))
            return;
        const bool cleared = n.state == AlertState::Cleared;
        post({n.service, cleared ? QStringLiteral("alert cleared") : n.key, n.text,
              cleared ? 0 : (n.severity == AlertSeverity::Critical ? 2 : 1),
              NotificationPolicy::Priority::Normal});
    });
    refresh();

    m_tick.setInterval(m_options.checkIntervalMs);
    connect(&m_tick, &QTimer::timeout, this, &TrayController::deliverDue);

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

TrayState TrayController::stateOf(const EngineClient &engine)
{
    switch (severityOf(engine)) {
    case 0:
        break;
    case 1:
        return TrayState::Busy;
    default:
        return TrayState::Failing;
    }
    const QList<ServiceView *> services = engine.services();
    const bool anyRunning = std::any_of(services.cbegin(), services.cend(),
                                        [](const ServiceView *s) { return isUp(s->state()); });
    return anyRunning ? TrayState::Good : TrayState::Idle;
}

QString TrayController::toolTipFor(const EngineClient &engine)
{
    const QList<ServiceView *> services = engine.services();
    const QString title = lifelineTitle(engine.config().profile);
    if (services.isEmpty())
        return title + QStringLiteral(" — no services");

    const auto running = std::count_if(services.cbegin(), services.cend(), [](const ServiceView *s) {
        return s->state() == ServiceState::Running;
    });
    const QString head = title + QStringLiteral(" — %1 of %2 running").arg(running).arg(services.size());
    if (stateOf(engine) == TrayState::Idle)
        return head + QStringLiteral(" · all stopped");

    // Fixed order after the running count; the names of the services in a
    // problem state follow their count, so the line says who needs a look.
    static constexpr ServiceState order[] = {
        ServiceState::Starting, ServiceState::Stopping, ServiceState::Backoff,
        ServiceState::Stopped,  ServiceState::Exited,   ServiceState::Fatal,
    };
    QStringList parts{head};
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
    return parts.join(QStringLiteral(" · "));
}

void TrayController::buildMenu()
{
    QAction *open = m_menu->addAction(tr("Open Lifeline"));
    open->setObjectName(QStringLiteral("openAction"));
    connect(open, &QAction::triggered, this, &TrayController::showRequested);

    m_servicesMenu = m_menu->addMenu(tr("Services"));
    m_servicesMenu->setObjectName(QStringLiteral("servicesMenu"));
    m_startAll = m_menu->addAction(tr("Start all"));
    m_startAll->setObjectName(QStringLiteral("startAllAction"));
    connect(m_startAll, &QAction::triggered, m_engine, &EngineClient::startAll);
    m_stopAll = m_menu->addAction(tr("Stop all"));
    m_stopAll->setObjectName(QStringLiteral("stopAllAction"));
    connect(m_stopAll, &QAction::triggered, m_engine, &EngineClient::stopAll);
    m_restartAll = m_menu->addAction(tr("Restart all"));
    m_restartAll->setObjectName(QStringLiteral("restartAllAction"));
    connect(m_restartAll, &QAction::triggered, this, [this] {
        m_engine->restartAll();
        emit restartAllRequested();
    });
    fillServicesMenu();
    // Services come and go with configuration reloads.
    connect(m_engine, &EngineClient::serviceAdded, this, &TrayController::fillServicesMenu);
    connect(m_engine, &EngineClient::serviceRemoved, this, [this] {
        fillServicesMenu();
        refresh();
    });

    m_menu->addSeparator();
    m_pause = m_menu->addAction(QString());
    m_pause->setObjectName(QStringLiteral("pauseNotificationsAction"));
    m_pause->setCheckable(true);
    connect(m_pause, &QAction::triggered, this, &TrayController::setPaused);
    updatePauseAction();

    QAction *recovery = m_menu->addAction(tr("Emergency recovery…"));
    recovery->setObjectName(QStringLiteral("recoveryAction"));
    connect(recovery, &QAction::triggered, this, &TrayController::emergencyRecoveryRequested);

    m_menu->addSeparator();
    QAction *quit = m_menu->addAction(tr("Quit"));
    quit->setObjectName(QStringLiteral("quitAction"));
    quit->setMenuRole(QAction::QuitRole);
    connect(quit, &QAction::triggered, this, &TrayController::quitRequested);

    // A balloon would cover the open menu (or close it): hold them until it
    // closes, then show what came meanwhile.
    connect(m_menu.get(), &QMenu::aboutToShow, this, [this] { m_policy.setMenuOpen(true); });
    connect(m_menu.get(), &QMenu::aboutToHide, this, [this] {
        m_policy.setMenuOpen(false);
        // After the menu is gone, not while it hides.
        QTimer::singleShot(0, this, &TrayController::deliverDue);
    });
}

void TrayController::fillServicesMenu()
{
    m_servicesMenu->clear();
    qDeleteAll(m_serviceMenus);
    m_serviceMenus.clear();
    const QList<ServiceView *> services = m_engine->services();
    for (const ServiceView *s : services) {
        const QString name = s->name();
        auto *menu = new QMenu(name, m_servicesMenu);
        menu->setObjectName(QStringLiteral("service:") + name);
        menu->menuAction()->setData(name);
        m_servicesMenu->addMenu(menu);
        m_serviceMenus.insert(name, menu);

        const auto request = [this, name](bool (EngineClient::*call)(const QString &, QString *),
                                          const char *what) {
            QString error;
            if (!(m_engine->*call)(name, &error))
                qCWarning(lcTray, "%s from the tray failed: %s", what, qPrintable(error));
        };
        QAction *open = menu->addAction(tr("Open"));
        open->setObjectName(QStringLiteral("open:") + name);
        connect(open, &QAction::triggered, this, [this, name] { emit serviceRequested(name); });
        menu->addSeparator();
        QAction *start = menu->addAction(tr("Start"));
        start->setObjectName(QStringLiteral("start:") + name);
        connect(start, &QAction::triggered, this, [request] { request(&EngineClient::start, "start"); });
        QAction *stop = menu->addAction(tr("Stop"));
        stop->setObjectName(QStringLiteral("stop:") + name);
        connect(stop, &QAction::triggered, this, [request] { request(&EngineClient::stop, "stop"); });
        QAction *restart = menu->addAction(tr("Restart"));
        restart->setObjectName(QStringLiteral("restart:") + name);
        connect(restart, &QAction::triggered, this,
                [request] { request(&EngineClient::restart, "restart"); });
        QAction *update = menu->addAction(tr("Update"));
        update->setObjectName(QStringLiteral("update:") + name);
        update->setVisible(s->update().enabled);
        connect(update, &QAction::triggered, this,
                [request] { request(&EngineClient::applyUpdate, "update"); });
        updateServiceEntry(name);
    }
    m_servicesMenu->setEnabled(!services.isEmpty());
}

// The entry reads "api — running" with the state's glyph, and follows every
// snapshot, so an open menu never shows a stale state.
void TrayController::updateServiceEntry(const QString &name)
{
    QMenu *menu = m_serviceMenus.value(name);
    const ServiceView *s = m_engine->service(name);
    if (!menu || !s)
        return;
    const bool unhealthy = isUnhealthy(s);
    QString text = name + QStringLiteral(" — ") + stateName(s->state());
    if (unhealthy)
        text += QStringLiteral(", unhealthy");
    const TrayState state =
        trayicons::stateOf(s->state(), unhealthy, s->hasExited() && s->lastExit().isSuccess());
    QAction *entry = menu->menuAction();
    if (entry->text() != text || entry->property("trayState").toInt() != int(state)) {
        entry->setText(text);
        entry->setIcon(iconFor(state));
        entry->setProperty("trayState", int(state));
    }
    const ServiceState st = s->state();
    const auto actions = menu->actions();
    for (QAction *a : actions) {
        if (a->objectName().startsWith(QStringLiteral("start:")))
            a->setEnabled(!isUp(st) && st != ServiceState::Stopping);
        else if (a->objectName().startsWith(QStringLiteral("stop:")))
            a->setEnabled(isUp(st));
        else if (a->objectName().startsWith(QStringLiteral("update:")))
            a->setEnabled(s->update().canApply());
    }
}

void TrayController::refresh()
{
    const int severity = severityOf(*m_engine);
    const TrayState state = stateOf(*m_engine);
    if (!m_stateKnown || state != m_state) {
        m_stateKnown = true;
        m_state = state;
        m_icon->setIcon(currentIcon());
    }
    if (severity != m_severity) {
        m_severity = severity;
        emit severityChanged(severity);
    }
    const QList<ServiceView *> services = m_engine->services();
    const bool anyUp = std::any_of(services.cbegin(), services.cend(),
                                   [](const ServiceView *s) { return isUp(s->state()); });
    const bool anyDown = std::any_of(services.cbegin(), services.cend(), [](const ServiceView *s) {
        return s->state() != ServiceState::Running;
    });
    m_startAll->setEnabled(anyDown);
    m_stopAll->setEnabled(anyUp);
    m_restartAll->setEnabled(!services.isEmpty());

    QString tip = toolTipFor(*m_engine);
    if (m_policy.isPaused())
        tip += tr(" · notifications paused until %1 (except fatal errors and recovery results)")
                   .arg(m_pausedUntil.toString(QStringLiteral("HH:mm")));
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

// A balloon was clicked: the last one shown is the one on screen.
void TrayController::onMessageClicked()
{
    const QString name = m_lastNotification.service;
    if (!name.isEmpty() && m_engine->service(name) && m_lastNotification.aboutCrash)
        emit crashRequested(name, m_lastNotification.shownAtMs);
    else if (!name.isEmpty() && m_engine->service(name))
        emit serviceRequested(name);
    else
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
            post({name, QStringLiteral("gave up"), QStringLiteral("%1 gave up: %2").arg(name, s->lastError()),
                  2, NotificationPolicy::Priority::Urgent});
            break;
        case ServiceState::Exited:
            if (!s->lastExit().isSuccess()) {
                m_troubled.insert(name);
                post({name, QStringLiteral("exited"),
                      QStringLiteral("%1 exited (%2) and will not be restarted").arg(name, s->lastReason()),
                      1, NotificationPolicy::Priority::Normal});
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
    updateServiceEntry(name);
    refresh();
}

void TrayController::describeBackoff(const QString &name, ServiceState from)
{
    const ServiceView *s = m_engine->service(name);
    if (!s)
        return;
    m_troubled.insert(name);
    const QString reason = s->restartReason();
    if (from == ServiceState::Starting)
        post({name, FailedToStart, QStringLiteral("%1 failed to start: %2").arg(name, reason), 1,
              NotificationPolicy::Priority::Normal});
    else if (from == ServiceState::Stopping)
        post({name, WasStopped, QStringLiteral("%1 was stopped (%2)").arg(name, reason), 1,
              NotificationPolicy::Priority::Normal});
    else
        post({name, Crashed, QStringLiteral("%1 crashed (%2)").arg(name, reason), 1,
              NotificationPolicy::Priority::Normal});
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
        post({name, QStringLiteral("turned unhealthy"),
              reason.isEmpty() ? QStringLiteral("%1 is unhealthy").arg(name)
                               : QStringLiteral("%1 is unhealthy: %2").arg(name, reason),
              1, NotificationPolicy::Priority::Normal});
    } else if (s && health == Health::Healthy && s->state() == ServiceState::Running) {
        markRecovered(name);
    }
    updateServiceEntry(name);
    refresh();
}

void TrayController::markRecovered(const QString &name)
{
    if (!m_troubled.remove(name))
        return;
    post(
        {name, Recovered, QStringLiteral("%1 recovered").arg(name), 0, NotificationPolicy::Priority::Normal});
}

void TrayController::setNotificationsEnabled(bool enabled)
{
    m_notificationsEnabled = enabled;
    if (!enabled) {
        m_policy.clear();
        m_tick.stop();
    }
}

void TrayController::notify(const QString &service, const QString &text, QSystemTrayIcon::MessageIcon icon,
                            NotificationPolicy::Priority priority)
{
    post({service, text, text, levelOf(icon), priority});
}

void TrayController::post(const NotificationPolicy::Event &event)
{
    if (!m_notificationsEnabled)
        return;
    if (const auto balloon = m_policy.offer(event))
        show(*balloon);
    if (m_policy.hasHeld() && !m_tick.isActive())
        m_tick.start();
}

// Where a service that restarts by itself stands now.
QString TrayController::restartStatus(const QString &name, const QString &kind) const
{
    const ServiceView *s = m_engine->service(name);
    if (!s)
        return QStringLiteral("removed");
    const QString verb = kind == FailedToStart ? QStringLiteral("retrying") : QStringLiteral("restarting");
    switch (s->state()) {
    case ServiceState::Backoff:
        return whenRestarting(s->nextRestartInMs(), verb);
    case ServiceState::Starting:
        return verb + QStringLiteral(" now");
    case ServiceState::Running:
        return QStringLiteral("running again");
    case ServiceState::Fatal:
        return QStringLiteral("gave up");
    case ServiceState::Stopping:
    case ServiceState::Stopped:
    case ServiceState::Exited:
        break;
    }
    return stateName(s->state());
}

// One event: its own message. Several: "flaky crashed 5 times in 5 min,
// restarting in 60s", and the other kinds held with it after it. A
// "recovered" among problems is left out: the status at the end says where
// the service stands now.
QString TrayController::textOf(const NotificationPolicy::Balloon &balloon) const
{
    QList<NotificationPolicy::Group> groups = balloon.groups;
    const bool recoveredLast = groups.constLast().last.kind == Recovered;
    if (groups.size() > 1)
        groups.removeIf([](const NotificationPolicy::Group &g) { return g.last.kind == Recovered; });
    const NotificationPolicy::Group &primary = groups.constLast();
    const QString &kind = primary.last.kind;
    const bool restarts = kind == Crashed || kind == FailedToStart || kind == WasStopped;
    QString text;
    if (primary.count == 1) {
        text = primary.last.text;
        if (restarts)
            text += QStringLiteral("; ") + restartStatus(balloon.service, kind);
    } else if (kind == primary.last.text) {
        // A message without a kind of its own: the same words again.
        text = QStringLiteral("%1 (%2 in %3)")
                   .arg(kind, timesText(primary.count), spanText(primary.lastAtMs - primary.firstAtMs));
    } else {
        text = QStringLiteral("%1 %2 %3 in %4")
                   .arg(balloon.service, kind, timesText(primary.count),
                        spanText(primary.lastAtMs - primary.firstAtMs));
        if (restarts)
            text += QStringLiteral(", ") + restartStatus(balloon.service, kind);
    }
    if (recoveredLast && kind != Recovered && !restarts)
        text += QStringLiteral(", recovered since");
    QStringList earlier;
    for (qsizetype i = 0; i + 1 < groups.size(); ++i)
        earlier << groups.at(i).last.kind + QLatin1Char(' ') + timesText(groups.at(i).count);
    if (!earlier.isEmpty())
        text += QStringLiteral(" (before that: ") + earlier.join(QStringLiteral(", ")) + QLatin1Char(')');
    return text;
}

void TrayController::show(const NotificationPolicy::Balloon &balloon)
{
    // A summary is as serious as the worst thing in it.
    int level = 0;
    bool aboutCrash = false;
    for (const NotificationPolicy::Group &g : balloon.groups) {
        level = std::max(level, g.last.level);
        aboutCrash = aboutCrash || g.last.kind == Crashed || g.last.kind == WasStopped ||
                     g.last.kind == QLatin1String("gave up") || g.last.kind == QLatin1String("exited");
    }
    const Notification n{balloon.service, QStringLiteral("Lifeline"),
                         textOf(balloon), messageIcon(level),
                         aboutCrash,      QDateTime::currentMSecsSinceEpoch()};
    m_lastNotification = n;
    if (m_available && m_icon->isVisible())
        m_icon->showMessage(n.title, n.text, n.icon);
    emit notificationShown(n);
}

void TrayController::deliverDue()
{
    const QList<NotificationPolicy::Balloon> due = m_policy.due();
    for (const NotificationPolicy::Balloon &b : due)
        show(b);
    if (m_pause->isChecked() && !m_policy.isPaused())
        setPaused(false); // the hour is over
    if (!m_policy.hasHeld() && !m_policy.isPaused())
        m_tick.stop();
}

void TrayController::setPaused(bool paused)
{
    // Webhooks and commands fall silent too: a maintenance window for everything.
    m_engine->pauseAlerts(paused ? m_options.pauseMs : 0);
    if (paused) {
        m_policy.pauseFor(m_options.pauseMs);
        m_pausedUntil = QDateTime::currentDateTime().addMSecs(m_options.pauseMs);
        m_tick.start();
    } else {
        m_policy.resume();
    }
    updatePauseAction();
    refresh();
    if (!paused)
        deliverDue();
}

void TrayController::updatePauseAction()
{
    const bool paused = m_policy.isPaused();
    m_pause->setChecked(paused);
    m_pause->setText(
        paused ? tr("Notifications paused until %1").arg(m_pausedUntil.toString(QStringLiteral("HH:mm")))
               : tr("Pause notifications for 1 h"));
}

} // namespace lifeline
