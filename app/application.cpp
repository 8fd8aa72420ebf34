#include "application.h"

#include "commandline.h"
#include "control/controlpaths.h"
#include "engine/startup.h"
#include "importdialog.h"
#include "metricschart.h"
#include "recoverydialog.h"
#include "servicedetailpane.h"
#include "servicetablemodel.h"
#include "settingsdialog.h"
#include "welcomedialog.h"

#include <QApplication>
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

std::optional<Application::QuitAnswer> Application::s_nextQuitAnswer;

void Application::setNextQuitAnswer(QuitAnswer answer)
{
    s_nextQuitAnswer = answer;
}

Application::Application(const Config &config, bool minimized, EngineHost::Threading threading)
    : m_host(config, threading)
    , m_engine(m_host.client())
    , m_window(m_engine)
    , m_tray(m_engine, this)
    , m_minimized(minimized)
{
    connect(m_engine, &EngineClient::initialized, this, &Application::onEngineReady);
    // Edits on disk (by hand or through the service editor) apply live:
    // changed services restart with their new definition, added ones
    // start, removed ones stop and go; unchanged ones are never touched.
    connect(m_engine, &EngineClient::reloadApplied, this, [this](const QString &summary) {
        m_window.showNotice(tr("Configuration reloaded: %1").arg(summary), 0);
    });
    connect(m_engine, &EngineClient::reloadDeferred, this, [this] {
        m_window.showNotice(tr("Configuration changed: applied when the recovery has finished"), 1);
    });
    connect(m_engine, &EngineClient::reloadFailed, this, [this](const QString &errors) {
        m_window.showNotice(tr("Configuration not reloaded (the running one stays): %1").arg(errors), 2);
    });
    connect(&m_window, &MainWindow::settingsRequested, this, &Application::showSettings);
    // A recovery that did not bring everything back says so loudly, even
    // when it was started from lifelinectl and nobody watches the window.
    connect(m_engine, &EngineClient::recoveryFinished, this, [this](const RecoveryReport &report) {
        if (report.ok) {
            m_tray.notify(QString(), tr("Emergency recovery done: every service is running and healthy."),
                          QSystemTrayIcon::Information, NotificationPolicy::Priority::Urgent);
            m_window.showNotice(tr("Emergency recovery done"), 0);
        } else {
            m_tray.notify(QString(), tr("Emergency recovery FAILED: %1").arg(report.summary()),
                          QSystemTrayIcon::Critical, NotificationPolicy::Priority::Urgent);
            m_window.showNotice(tr("Emergency recovery failed: %1").arg(report.summary()), 2);
        }
    });
    m_window.detailPane()->setRange(ChartRange(SettingsDialog::defaultRange()));
    m_tray.setNotificationsEnabled(SettingsDialog::notificationsEnabled());
    connect(&m_window, &MainWindow::quitRequested, this, [this] { quit(); });
    connect(&m_window, &MainWindow::emergencyRecoveryRequested, this, &Application::showRecovery);
    connect(&m_window, &MainWindow::firstClosedToTray, this,
            [this](const QString &message) { m_tray.notify(QString(), message); });
    connect(&m_tray, &TrayController::showRequested, this, &Application::showWindow);
    connect(&m_tray, &TrayController::serviceRequested, this, [this](const QString &name) {
        showWindow();
        m_window.selectService(name);
    });
    connect(&m_tray, &TrayController::crashRequested, this, [this](const QString &name, qint64 timeMs) {
        showWindow();
        m_window.showCrash(name, timeMs);
    });
    connect(&m_tray, &TrayController::emergencyRecoveryRequested, this, &Application::showRecovery);
    connect(&m_tray, &TrayController::quitRequested, this, [this] { quit(); });
    connect(&m_tray, &TrayController::availabilityChanged, this, &Application::applyTrayAvailability);
    connect(m_engine, &EngineClient::allStopped, this, [this] {
        if (m_quitting)
            emit exitRequested(0);
    });
    m_quitDeadline.setSingleShot(true);
    connect(&m_quitDeadline, &QTimer::timeout, this, &Application::quitDeadlinePassed);
    // The table shows the sampler's figures; it never reads /proc itself.
    connect(m_engine, &EngineClient::sampled, this, [this] {
        for (const ServiceUsage &u : m_engine->lastUsage().services)
            m_window.model()->setUsage(u.name, u.cpuPercent, u.rssBytes);
    });
    // Only Application decides when the process ends: Qt's automatic quit on
    // the last closed window would cut a stop in the middle, or end the app
    // while the quit question is still open.
    qApp->setQuitOnLastWindowClosed(false);
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
        say(error);
    }
}

Application::~Application() = default;

void Application::start(const QString &socketPath)
{
    m_host.initialize(socketPath);
}

void Application::onEngineReady(bool ok, const QString &error)
{
    if (!ok) {
        say(error);
        emit startFailed(error);
        emit exitRequested(1);
        return;
    }
    m_engine->boot();
    if (m_minimized && m_tray.isAvailable())
        return; // starts in the tray
    m_window.show();
}

void Application::applyTrayAvailability(bool available)
{
    // Without a tray, closing must quit: never a window that cannot come back.
    m_window.setHideOnClose(available);
    if (!available && !m_window.isVisible() && !m_quitting)
        m_window.show();
}

void Application::showWindow()
{
    m_window.show();
    m_window.setWindowState((m_window.windowState() & ~Qt::WindowMinimized) | Qt::WindowActive);
    m_window.raise();
    m_window.activateWindow();
}

void Application::showRecovery()
{
    showWindow();
    if (!m_recoveryDialog) {
        m_recoveryDialog = new RecoveryDialog(m_engine, &m_window);
        m_recoveryDialog->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_recoveryDialog->show();
    m_recoveryDialog->raise();
}

void Application::showSettings()
{
    auto *d = new SettingsDialog(m_engine->config().path, m_engine->config().settings.onExit, &m_window);
    d->setAttribute(Qt::WA_DeleteOnClose);
    connect(d, &SettingsDialog::defaultRangeChanged, this,
            [this](int r) { m_window.detailPane()->setRange(ChartRange(r)); });
    connect(d, &SettingsDialog::notificationsChanged, &m_tray, &TrayController::setNotificationsEnabled);
    d->open();
}

void Application::say(const QString &text)
{
    std::fprintf(stderr, "lifeline: %s\n", qPrintable(text));
    m_engine->writeEvent(text);
}

// Services with a process alive now. A service in backoff, exited or fatal
// has none: nothing to stop or keep, and nothing restarts it once we are gone.
QStringList Application::liveServices() const
{
    QStringList live;
    for (const ServiceView *s : m_engine->services()) {
        if (isRunningState(s->state()) && s->pid() > 0)
            live << QStringLiteral("%1 (pid %2)").arg(s->name()).arg(s->pid());
    }
    return live;
}

void Application::quit(bool interactive)
{
    if (m_quitting) {
        // The decision is taken and the deadline bounds it; a second request
        // (tray, Ctrl+Q, another signal) only hears how far it has got.
        if (m_quitDeadline.isActive()) {
            say(tr("already quitting: waiting for %1 to stop, %2 s at most")
                    .arg(liveServices().join(QStringLiteral(", ")))
                    .arg((m_quitDeadline.remainingTime() + 999) / 1000));
        }
        return;
    }
    if (m_quitDialog) {
        if (interactive) {
            m_quitDialog->raise();
            m_quitDialog->activateWindow();
            return;
        }
        // A signal while the person is still deciding: the signal wins, and
        // the dialog goes without its answer ever counting. Whoever sent it
        // (a logout, systemd, kill) expects us gone within their own timeout,
        // and a later "Keep them running" must not half-undo a stop begun.
        m_quitDialog->disconnect(this);
        m_quitDialog->close(); // WA_DeleteOnClose
        m_quitDialog = nullptr;
    }
    OnExit mode = m_engine->config().settings.onExit; // follows edits made while running
    if (mode == OnExit::Ask && !interactive)
        mode = OnExit::Stop;
    const QStringList live = liveServices();
    if (mode == OnExit::Ask && !live.isEmpty()) {
        askBeforeQuit(live);
        return;
    }
    beginQuit(mode);
}

void Application::askBeforeQuit(const QStringList &live)
{
    if (s_nextQuitAnswer) {
        const QuitAnswer answer = *s_nextQuitAnswer;
        s_nextQuitAnswer.reset();
        answerQuit(answer);
        return;
    }
    // open(), not exec(): the event loop keeps supervising (and hears
    // signals) while the question is on screen.
    auto *box =
        new QMessageBox(QMessageBox::Question, tr("Quit Lifeline"),
                        tr("These services are running:\n\n%1\n\nStop them, or keep them running "
                           "without supervision? A Lifeline started later adopts services kept running.")
                            .arg(live.join(QLatin1Char('\n'))),
                        QMessageBox::NoButton, &m_window);
    box->setObjectName(QStringLiteral("quitDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *stop = box->addButton(tr("Stop services and quit"), QMessageBox::DestructiveRole);
    stop->setObjectName(QStringLiteral("stopAndQuit"));
    QPushButton *keep = box->addButton(tr("Keep them running and quit"), QMessageBox::AcceptRole);
    keep->setObjectName(QStringLiteral("keepAndQuit"));
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(keep);
    connect(box, &QMessageBox::finished, this, [this, box, stop, keep] {
        m_quitDialog = nullptr;
        if (box->clickedButton() == stop)
            answerQuit(QuitAnswer::StopServices);
        else if (box->clickedButton() == keep)
            answerQuit(QuitAnswer::KeepServices);
    });
    m_quitDialog = box;
    box->open();
}

void Application::answerQuit(QuitAnswer answer)
{
    if (answer == QuitAnswer::StopServices)
        beginQuit(OnExit::Stop);
    else if (answer == QuitAnswer::KeepServices)
        beginQuit(OnExit::Keep);
}

void Application::beginQuit(OnExit mode)
{
    m_quitting = true;
    // From here on nothing starts again: no reload, restart or backoff.
    m_engine->beginShutdown();
    m_engine->closeControl();
    m_window.hide();
    const QStringList live = liveServices();
    if (live.isEmpty()) {
        emit exitRequested(0);
        return;
    }
    if (mode == OnExit::Keep) {
        m_engine->detachAll();
        emit exitRequested(0);
        return;
    }
    // Dependents stop before what they need, so the worst case is every
    // stop_timeout in a row, each ended by SIGKILL; past that, something
    // (a process stuck in the kernel, a lost exit) will not report, and
    // quitting must not wait for it forever.
    qint64 budget = 5000;
    for (const ServiceView *s : m_engine->services()) {
        if (isRunningState(s->state()))
            budget += s->spec().stopTimeout.count();
    }
    m_quitDeadline.start(m_quitDeadlineOverride.value_or(std::chrono::milliseconds(budget)));
    m_engine->stopAll(); // allStopped() ends the process; it may come at once
}

void Application::quitDeadlinePassed()
{
    say(tr("quitting although %1 did not stop within %2 s")
            .arg(liveServices().join(QStringLiteral(", ")))
            .arg(m_quitDeadline.interval() / 1000.0));
    emit exitRequested(1);
}

static void setIdentity()
{
    QCoreApplication::setApplicationName(QStringLiteral("lifeline"));
    QCoreApplication::setOrganizationName(QStringLiteral("lifeline"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LIFELINE_VERSION));
}

int guiMain(int argc, char *argv[], const LifelineCommandLine &commandLine)
{
    QApplication app(argc, argv);
    setIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Lifeline"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/lifeline.svg")));
    QApplication::setDesktopFileName(QStringLiteral("lifeline"));

    // The application, once a configuration is there; a failure's exit code.
    std::unique_ptr<Application> application;
    const auto startWith = [&](const QString &configPath) -> std::optional<int> {
        const Startup startup = prepareStartup(configPath, commandLine.socketPath, commandLine.profile);
        for (const QString &w : startup.warnings)
            std::fprintf(stderr, "%s\n", qPrintable(w));
        if (!startup.ok()) {
            const QString text =
                startup.exitCode == 2
                    ? QStringLiteral("The configuration cannot be used:\n\n%1").arg(startup.error)
                    : startup.error;
            return fail(startup.title, text, startup.exitCode);
        }
        application = std::make_unique<Application>(*startup.config, commandLine.minimized);
        QObject::connect(application.get(), &Application::exitRequested, &app, &QCoreApplication::exit);
        QObject::connect(application.get(), &Application::startFailed, &app,
                         [](const QString &error) { fail(QStringLiteral("Lifeline"), error, 1); });
        application->start(startup.socketPath);
        return std::nullopt;
    };

    const bool firstRun = commandLine.configIsDefault && !QFileInfo::exists(commandLine.configPath) &&
                          qEnvironmentVariableIsEmpty("LIFELINE_NO_DIALOGS");
    if (!firstRun) {
        if (const std::optional<int> failed = startWith(commandLine.configPath))
            return *failed;
        return app.exec();
    }
    // No configuration yet: the welcome, then the app on what it made.
    app.setQuitOnLastWindowClosed(false);
    auto *welcome = new WelcomeDialog(commandLine.configPath, !commandLine.demoConfigPath.isEmpty());
    welcome->setAttribute(Qt::WA_DeleteOnClose);
    const auto startOrExit = [&app, startWith](const QString &configPath) {
        if (const std::optional<int> failed = startWith(configPath))
            app.exit(*failed);
    };
    QObject::connect(welcome, &QDialog::rejected, &app, [&app] { app.exit(0); });
    QObject::connect(welcome, &WelcomeDialog::chosen, &app, [&, startOrExit](WelcomeDialog::Choice choice) {
        const QString configPath = commandLine.configPath;
        switch (choice) {
        case WelcomeDialog::Choice::Empty: {
            QString error;
            if (!WelcomeDialog::writeEmptyConfiguration(configPath, &error)) {
                app.exit(fail(QStringLiteral("Lifeline"), error, 1));
                return;
            }
            startOrExit(configPath);
            return;
        }
        case WelcomeDialog::Choice::Demo:
            // The demo config names lifeline-demo-backend without a path.
            qputenv("PATH", (QCoreApplication::applicationDirPath() + u':').toLocal8Bit() + qgetenv("PATH"));
            startOrExit(commandLine.demoConfigPath);
            return;
        case WelcomeDialog::Choice::Import: {
            auto *import = new ImportDialog(configPath, ImportDialog::Mode::New);
            import->setAttribute(Qt::WA_DeleteOnClose);
            QObject::connect(import, &ImportDialog::saved, &app,
                             [startOrExit](const QString &path, int) { startOrExit(path); });
            QObject::connect(import, &QDialog::rejected, &app, [&app] { app.exit(0); });
            import->open();
            return;
        }
        }
    });
    welcome->open();
    return app.exec();
}

} // namespace lifeline
