// The system tray: icon, tooltip, menu and notifications, as its own object
// (the tray is not the main window; qBittorrent's DesktopIntegration). It
// reads the EngineClient and asks it to start, stop and restart things;
// everything else (showing the window, emergency recovery, quitting) goes out
// as a signal for the app.
//
// The icon shows the state of the fleet as a whole (stateOf()) with a glyph as
// well as a colour; all stopped is neutral grey, not green. Which balloons are
// shown, and when, is NotificationPolicy's business: one per service a minute
// with repeats grouped, nothing while the tray menu is open, and the
// "Pause notifications for 1 h" item holds all but a service giving up and
// the result of an emergency recovery.
// When no tray exists at construction (the login race: the panel starts after
// Lifeline), availability is checked again every 2 s, 10 times, as KeePassXC
// does; the app asks isAvailable() to decide whether closing the window hides
// it to the tray or quits.
#pragma once

#include "alerts/notificationpolicy.h"
#include "health/healthresult.h"
#include "supervise/servicestate.h"
#include "trayicons.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QIcon>
#include <QObject>
#include <QSet>
#include <QSystemTrayIcon>
#include <QTimer>

#include <array>
#include <functional>
#include <memory>

class QAction;
class QMenu;

namespace lifeline {

class EngineClient;

class TrayController final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrayController)

public:
    struct Notification
    {
        QString service; // empty for messages about Lifeline itself
        QString title;
        QString text;
        QSystemTrayIcon::MessageIcon icon = QSystemTrayIcon::Information;
        // About a run that ended unexpectedly (crashed, gave up, exited, was
        // stopped by a check): clicking it opens the crash record.
        bool aboutCrash = false;
        qint64 shownAtMs = 0; // wall clock
    };

    // Knobs for tests; the defaults are what the app uses.
    struct Options
    {
        // Is there a tray? Default: QSystemTrayIcon::isSystemTrayAvailable().
        std::function<bool()> trayAvailable;
        int retryIntervalMs = 2000;
        int maxRetries = 10;
        // The notification policy's time; default Clock::system(). Must
        // outlive the controller.
        const Clock *clock = nullptr;
        // At most one balloon per service within this window.
        qint64 throttleMs = 60'000;
        qint64 pauseMs = 3'600'000;
        // How often held balloons and the end of a pause are looked at, while
        // there are any.
        int checkIntervalMs = 1000;
    };

    // engine must outlive the controller.
    TrayController(EngineClient *engine, QObject *parent = nullptr);
    TrayController(EngineClient *engine, const Options &options, QObject *parent = nullptr);
    ~TrayController() override;

    // The worst state of the engine: EngineClient::severity() (0 good,
    // 1 starting/restarting/backoff, 2 fatal/unknown), raised to 2 when any
    // service's health check says Unhealthy.
    static int severityOf(const EngineClient &engine);
    // What the icon shows: the severity, and Idle when nothing runs and
    // nothing is wrong.
    static trayicons::TrayState stateOf(const EngineClient &engine);

    // Whether the icon is in a tray now. While false, closing the main window
    // must quit rather than hide. availabilityChanged() tells when it turns true.
    bool isAvailable() const { return m_available; }
    // True while availability is still being retried.
    bool isWaitingForTray() const { return m_retryTimer.isActive(); }

    int severity() const { return m_severity; }
    trayicons::TrayState state() const { return m_state; }
    QString toolTip() const { return m_toolTip; }
    QMenu *menu() const { return m_menu.get(); }
    QSystemTrayIcon *trayIcon() const { return m_icon.get(); }
    QIcon currentIcon() const { return iconFor(m_state); }

    bool notificationsEnabled() const { return m_notificationsEnabled; }
    void setNotificationsEnabled(bool enabled);
    bool isPaused() const { return m_policy.isPaused(); }
    // The last message shown (or that would have been shown, had the tray
    // been there); empty before the first.
    Notification lastNotification() const { return m_lastNotification; }

    // The one way a message reaches the person, through the policy. Urgent
    // is for what always gets through: a service that gave up, the result of
    // an emergency recovery. Does nothing while notifications are disabled.
    void notify(const QString &service, const QString &text,
                QSystemTrayIcon::MessageIcon icon = QSystemTrayIcon::Information,
                NotificationPolicy::Priority priority = NotificationPolicy::Priority::Normal);

    // "Lifeline — 2 of 3 running · 1 fatal (flaky)", "Lifeline — 0 of 3 running · all stopped"
    static QString toolTipFor(const EngineClient &engine);

signals:
    void showRequested();
    // A notification about this service was clicked: show it.
    void serviceRequested(const QString &name);
    // A notification about a crash was clicked: show its record (the crash
    // of `name` at about timeMs).
    void crashRequested(const QString &name, qint64 timeMs);
    void emergencyRecoveryRequested();
    void quitRequested();
    void restartAllRequested(); // after engine->restartAll() was called
    void availabilityChanged(bool available);
    void severityChanged(int severity);
    void toolTipChanged(const QString &toolTip);
    void notificationShown(const lifeline::TrayController::Notification &notification);

private:
    QIcon iconFor(trayicons::TrayState state) const { return m_icons[std::size_t(state)]; }
    void buildMenu();
    void fillServicesMenu();
    void updateServiceEntry(const QString &name);
    void refresh();
    void checkAvailability();
    void onActivated(QSystemTrayIcon::ActivationReason reason);
    void onMessageClicked();
    void onStateChanged(const QString &name, ServiceState from, ServiceState to);
    void onHealthChanged(const QString &name, Health health);
    void describeBackoff(const QString &name, ServiceState from);
    void markRecovered(const QString &name);
    void post(const NotificationPolicy::Event &event);
    void show(const NotificationPolicy::Balloon &balloon);
    QString textOf(const NotificationPolicy::Balloon &balloon) const;
    QString restartStatus(const QString &name, const QString &kind) const;
    void deliverDue();
    void setPaused(bool paused);
    void updatePauseAction();

    EngineClient *m_engine;
    Options m_options;
    std::array<QIcon, 4> m_icons;  // one per TrayState, painted once
    std::unique_ptr<QMenu> m_menu; // before m_icon: the icon refers to it
    std::unique_ptr<QSystemTrayIcon> m_icon;
    QMenu *m_servicesMenu = nullptr;
    QHash<QString, QMenu *> m_serviceMenus;
    QAction *m_startAll = nullptr;
    QAction *m_stopAll = nullptr;
    QAction *m_restartAll = nullptr;
    QAction *m_pause = nullptr;
    bool m_available = false;
    int m_retries = 0; // availability checks done after the first
    QTimer m_retryTimer;
    int m_severity = -1;
    trayicons::TrayState m_state = trayicons::TrayState::Idle;
    bool m_stateKnown = false;
    QString m_toolTip;
    QElapsedTimer m_sinceShowRequest; // debounces Trigger + DoubleClick

    bool m_notificationsEnabled = true;
    NotificationPolicy m_policy;
    QDateTime m_pausedUntil; // wall time, for the person to read
    QTimer m_tick;           // while balloons are held or a pause runs
    Notification m_lastNotification;
    QSet<QString> m_troubled; // services whose problem was announced; "recovered" ends it
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::TrayController::Notification)
