#include "application.h"

#include "app/livereload.h"
#include "config/configloader.h"
#include "control/controlpaths.h"
#include "control/controlserver.h"
#include "control/statedir.h"
#include "mainwindow.h"
#include "metrics/metricssampler.h"
#include "metricschart.h"
#include "recovery/recovery.h"
#include "recoverydialog.h"
#include "servicedetailpane.h"
#include "servicetablemodel.h"
#include "settingsdialog.h"
#include "supervise/fleet.h"
#include "supervise/servicesupervisor.h"
#include "traycontroller.h"
#include "util/signalpipe.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QLockFile>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTextStream>

#include <cstdio>

namespace lifeline {

static int fail(const QString &title, const QString &text, int code)
{
    std::fprintf(stderr, "lifeline: %s\n", qPrintable(text));
    if (qEnvironmentVariableIsEmpty("LIFELINE_NO_DIALOGS"))
        QMessageBox::critical(nullptr, title, text);
    return code;
}

namespace {

// Owns the pieces of the running desktop app and the few decisions that
// need all of them: what closing the window means, how quitting treats the
// services (on_exit), and the emergency-recovery flow.
class Application final : public QObject
{
    Q_OBJECT

public:
    Application(const Config &config, bool minimized)
        : m_fleet(config, this)
        , m_control(&m_fleet, this)
        , m_recovery(&m_fleet, this)
        , m_reload(&m_fleet, &m_recovery, this)
        , m_window(&m_fleet)
        , m_tray(&m_fleet, this)
        , m_minimized(minimized)
    {
        m_control.setRecovery(&m_recovery);
        // Edits on disk (by hand or through the service editor) apply live:
        // changed services restart with their new definition, added ones
        // start, removed ones stop and go; unchanged ones are never touched.
        connect(&m_reload, &LiveReload::applied, this, [this](const QString &summary) {
            m_window.showNotice(tr("Configuration reloaded: %1").arg(summary), 0);
        });
        connect(&m_reload, &LiveReload::deferred, this, [this] {
            m_window.showNotice(tr("Configuration changed: applied when the recovery has finished"), 1);
        });
        connect(&m_reload, &LiveReload::failed, this, [this](const QString &errors) {
            m_window.showNotice(tr("Configuration not reloaded (the running one stays): %1").arg(errors), 2);
        });
        connect(&m_window, &MainWindow::settingsRequested, this, &Application::showSettings);
        // A recovery that did not bring everything back says so loudly, even
        // when it was started from lifelinectl and nobody watches the window.
        connect(&m_recovery, &Recovery::finished, this, [this](const RecoveryReport &report) {
            if (report.ok) {
                m_tray.notify(QString(),
                              tr("Emergency recovery done: every service is running and healthy."));
                m_window.showNotice(tr("Emergency recovery done"), 0);
            } else {
                m_tray.notify(QString(), tr("Emergency recovery FAILED: %1").arg(report.summary()),
                              QSystemTrayIcon::Critical);
                m_window.showNotice(tr("Emergency recovery failed: %1").arg(report.summary()), 2);
            }
        });
        m_window.detailPane()->setRange(ChartRange(SettingsDialog::defaultRange()));
        m_tray.setNotificationsEnabled(SettingsDialog::notificationsEnabled());
        connect(&m_window, &MainWindow::quitRequested, this, [this] { quit(); });
        connect(&m_window, &MainWindow::emergencyRecoveryRequested, this, &Application::showRecovery);
        connect(&m_tray, &TrayController::showRequested, this, &Application::showWindow);
        connect(&m_tray, &TrayController::emergencyRecoveryRequested, this, &Application::showRecovery);
        connect(&m_tray, &TrayController::quitRequested, this, [this] { quit(); });
        connect(&m_tray, &TrayController::availabilityChanged, this, &Application::applyTrayAvailability);
        connect(&m_fleet, &Fleet::allStopped, this, [this] {
            if (m_quitting)
                qApp->quit();
        });
        // The table shows the sampler's figures; it never reads /proc itself.
        connect(m_fleet.sampler(), &MetricsSampler::sampled, this, [this] {
            for (const ServiceSupervisor *s : m_fleet.services()) {
                if (const auto sample = m_fleet.sampler()->lastService(s->name()))
                    m_window.model()->setUsage(s->name(), sample->cpuPercent, sample->rssBytes);
            }
        });
        applyTrayAvailability(m_tray.isAvailable());

        // A session logout or `kill` sends SIGTERM: quit in order, following
        // on_exit without asking (nobody is there to answer).
        QString error;
        if (m_signals.install(&error)) {
            m_signalNotifier = new QSocketNotifier(m_signals.readFd(), QSocketNotifier::Read, this);
            connect(m_signalNotifier, &QSocketNotifier::activated, this, [this] {
                if (!m_signals.drain().isEmpty())
                    quit(false);
            });
        } else {
            std::fprintf(stderr, "lifeline: %s\n", qPrintable(error));
        }
    }

    bool listen(const QString &socketPath, QString *error) { return m_control.listen(socketPath, error); }

    void run()
    {
        m_fleet.boot();
        if (m_minimized && m_tray.isAvailable())
            return; // starts in the tray
        m_window.show();
    }

private:
    void applyTrayAvailability(bool available)
    {
        // Without a tray, closing must quit: never a window that cannot come back.
        m_window.setHideOnClose(available);
        qApp->setQuitOnLastWindowClosed(!available);
        if (!available && !m_window.isVisible() && !m_quitting)
            m_window.show();
    }

    void showWindow()
    {
        m_window.show();
        m_window.setWindowState((m_window.windowState() & ~Qt::WindowMinimized) | Qt::WindowActive);
        m_window.raise();
        m_window.activateWindow();
    }

    void showRecovery()
    {
        showWindow();
        if (!m_recoveryDialog) {
            m_recoveryDialog = new RecoveryDialog(&m_recovery, &m_window);
            m_recoveryDialog->setAttribute(Qt::WA_DeleteOnClose);
        }
        m_recoveryDialog->show();
        m_recoveryDialog->raise();
    }

    void showSettings()
    {
        auto *d = new SettingsDialog(m_reload.config().path, m_reload.config().settings.onExit, &m_window);
        d->setAttribute(Qt::WA_DeleteOnClose);
        connect(d, &SettingsDialog::defaultRangeChanged, this,
                [this](int r) { m_window.detailPane()->setRange(ChartRange(r)); });
        connect(d, &SettingsDialog::notificationsChanged, &m_tray, &TrayController::setNotificationsEnabled);
        d->open();
    }

    void quit(bool interactive = true)
    {
        if (m_quitting)
            return;
        OnExit mode = m_reload.config().settings.onExit; // follows edits made while running
        if (mode == OnExit::Ask && !interactive)
            mode = OnExit::Stop;
        QStringList running;
        for (const ServiceSupervisor *s : m_fleet.services()) {
            if (isRunningState(s->state()) || s->state() == ServiceState::Backoff)
                running << QStringLiteral("%1 (pid %2)").arg(s->name()).arg(s->pid());
        }
        if (mode == OnExit::Ask && !running.isEmpty()) {
            QMessageBox box(QMessageBox::Question, tr("Quit Lifeline"),
                            tr("These services are running:\n\n%1\n\nStop them, or keep them running without "
                               "supervision? A Lifeline started later adopts services kept running.")
                                .arg(running.join(QLatin1Char('\n'))),
                            QMessageBox::NoButton, &m_window);
            QPushButton *stop = box.addButton(tr("Stop services and quit"), QMessageBox::DestructiveRole);
            QPushButton *keep = box.addButton(tr("Keep them running and quit"), QMessageBox::AcceptRole);
            box.addButton(QMessageBox::Cancel);
            box.setDefaultButton(keep);
            box.exec();
            if (box.clickedButton() == stop)
                mode = OnExit::Stop;
            else if (box.clickedButton() == keep)
                mode = OnExit::Keep;
            else
                return;
        }
        m_quitting = true;
        m_control.close();
        if (mode == OnExit::Keep || running.isEmpty()) {
            m_fleet.detachAll();
            qApp->quit();
            return;
        }
        m_window.hide();
        m_fleet.stopAll(); // quits on allStopped()
    }

    Fleet m_fleet;
    ControlServer m_control;
    Recovery m_recovery;
    LiveReload m_reload;
    MainWindow m_window;
    TrayController m_tray;
    QPointer<RecoveryDialog> m_recoveryDialog;
    SignalPipe m_signals;
    QSocketNotifier *m_signalNotifier = nullptr;
    bool m_minimized = false;
    bool m_quitting = false;
};

} // namespace

int guiMain(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("lifeline"));
    QApplication::setApplicationDisplayName(QStringLiteral("Lifeline"));
    QApplication::setOrganizationName(QStringLiteral("lifeline"));
    QApplication::setApplicationVersion(QStringLiteral(LIFELINE_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/lifeline.svg")));
    QApplication::setDesktopFileName(QStringLiteral("lifeline"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Keeps your local backends alive."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOpt(QStringLiteral("config"), QStringLiteral("Configuration file."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption minimizedOpt(QStringLiteral("minimized"),
                                          QStringLiteral("Start in the system tray."));
    const QCommandLineOption socketOpt(QStringLiteral("socket"), QStringLiteral("Control socket path."),
                                       QStringLiteral("PATH"));
    const QCommandLineOption headlessOpt(QStringLiteral("headless"),
                                         QStringLiteral("Run without a display."));
    parser.addOptions({configOpt, minimizedOpt, socketOpt, headlessOpt});
    parser.process(app);

    const QString configPath = parser.isSet(configOpt) ? parser.value(configOpt) : defaultConfigPath();
    const LoadResult loaded = ConfigLoader::loadFile(configPath);
    for (const Diagnostic &w : loaded.warnings)
        std::fprintf(stderr, "%s\n", qPrintable(w.toString()));
    if (!loaded.ok()) {
        QStringList lines;
        for (const Diagnostic &e : loaded.errors)
            lines << e.toString();
        return fail(
            QStringLiteral("Lifeline: configuration error"),
            QStringLiteral("The configuration cannot be used:\n\n%1").arg(lines.join(QLatin1Char('\n'))), 2);
    }
    const Config &config = *loaded.config;

    // One Lifeline per configuration: the lock says who holds it.
    QString lockError;
    qint64 holderPid = 0;
    const std::unique_ptr<QLockFile> lock =
        takeStateDirLock(config.settings.stateDir, &lockError, &holderPid);
    if (!lock) {
        if (holderPid > 0)
            return fail(QStringLiteral("Lifeline is already running"),
                        QStringLiteral("Another Lifeline (pid %1) is already supervising %2.")
                            .arg(holderPid)
                            .arg(config.path),
                        1);
        return fail(QStringLiteral("Lifeline: state_dir unusable"),
                    QStringLiteral("%1 (configuration %2)").arg(lockError, config.path), 1);
    }

    Application application(config, parser.isSet(minimizedOpt));
    const QString socketPath =
        parser.isSet(socketOpt) ? parser.value(socketOpt) : socketPathForConfig(config.path);
    QString error;
    if (!application.listen(socketPath, &error))
        return fail(QStringLiteral("Lifeline"), error, 1);
    application.run();
    return app.exec();
}

} // namespace lifeline

#include "application.moc"
