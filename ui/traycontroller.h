// The system tray: icon, tooltip, menu and notifications, as its own object
// (the tray is not the main window; qBittorrent's DesktopIntegration). It
// reads the EngineClient and asks it to restart things; everything else (showing the
// window, emergency recovery, quitting) goes out as a signal for the app.
//
// The icon shows the worst state of all services (severityOf()), painted with
// a glyph as well as a colour. Notifications are throttled per service.
// When no tray exists at construction (the login race: the panel starts after
// Lifeline), availability is checked again every 2 s, 10 times, as KeePassXC
// does; the app asks isAvailable() to decide whether closing the window hides
// it to the tray or quits.
#pragma once

#include "health/healthresult.h"
#include "supervise/servicestate.h"

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
    };

    // Knobs for tests; the defaults are what the app uses.
    struct Options
    {
        // Is there a tray? Default: QSystemTrayIcon::isSystemTrayAvailable().
        std::function<bool()> trayAvailable;
        int retryIntervalMs = 2000;
        int maxRetries = 10;
        // At most one message per service within this window; later ones are
        // collapsed into the last, shown when the window ends.
        int throttleMs = 5000;
    };

    // engine must outlive the controller.
    TrayController(EngineClient *engine, QObject *parent = nullptr);
    TrayController(EngineClient *engine, const Options &options, QObject *parent = nullptr);
    ~TrayController() override;

    // The worst state of the engine for the icon: EngineClient::severity() (0 good,
    // 1 starting/restarting/backoff, 2 fatal/unknown), raised to 2 when any
    // service's health check says Unhealthy.
    static int severityOf(const EngineClient &engine);

    // Whether the icon is in a tray now. While false, closing the main window
    // must quit rather than hide. availabilityChanged() tells when it turns true.
    bool isAvailable() const { return m_available; }
    // True while availability is still being retried.
    bool isWaitingForTray() const { return m_retryTimer.isActive(); }

    int severity() const { return m_severity; }
    QString toolTip() const { return m_toolTip; }
    QMenu *menu() const { return m_menu.get(); }
    QSystemTrayIcon *trayIcon() const { return m_icon.get(); }
    QIcon currentIcon() const;

    bool notificationsEnabled() const { return m_notificationsEnabled; }
    void setNotificationsEnabled(bool enabled);
    // The last message shown (or that would have been shown, had the tray
    // been there); empty before the first.
    Notification lastNotification() const { return m_lastNotification; }

    // The one way a message reaches the person. Critical messages are shown at
    // once; others at most once per service per throttle window (the last one
    // held back is shown when the window ends). Does nothing while
    // notifications are disabled.
    void notify(const QString &service, const QString &text,
                QSystemTrayIcon::MessageIcon icon = QSystemTrayIcon::Information);

    // "Lifeline — 3 services: 2 running, 1 fatal (flaky)"
    static QString toolTipFor(const EngineClient &engine);

signals:
    void showRequested();
    void emergencyRecoveryRequested();
    void quitRequested();
    void restartAllRequested(); // after engine->restartAll() was called
    void availabilityChanged(bool available);
    void severityChanged(int severity);
    void toolTipChanged(const QString &toolTip);
    void notificationShown(const lifeline::TrayController::Notification &notification);

private:
    void buildMenu();
    void fillRestartMenu();
    void refresh();
    void checkAvailability();
    void onActivated(QSystemTrayIcon::ActivationReason reason);
    void onStateChanged(const QString &name, ServiceState from, ServiceState to);
    void onHealthChanged(const QString &name, Health health);
    void describeBackoff(const QString &name, ServiceState from);
    void markRecovered(const QString &name);
    void deliver(const Notification &n);
    void deliverDue();

    EngineClient *m_engine;
    Options m_options;
    std::array<QIcon, 3> m_icons;  // one per severity, painted once
    std::unique_ptr<QMenu> m_menu; // before m_icon: the icon refers to it
    std::unique_ptr<QSystemTrayIcon> m_icon;
    QMenu *m_restartMenu = nullptr;
    QAction *m_restartAll = nullptr;
    bool m_available = false;
    int m_retries = 0; // availability checks done after the first
    QTimer m_retryTimer;
    int m_severity = -1;
    QString m_toolTip;
    QElapsedTimer m_sinceShowRequest; // debounces Trigger + DoubleClick

    bool m_notificationsEnabled = true;
    Notification m_lastNotification;
    QSet<QString> m_troubled;                  // services whose problem was announced; "recovered" ends it
    QHash<QString, QElapsedTimer> m_lastShown; // per service: since its last message
    QHash<QString, Notification> m_pending;    // per service: the latest message held back
    QTimer m_pendingTimer;
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::TrayController::Notification)
