// The desktop app's composition root: runs the Engine (core) on a thread of
// its own, and creates the main window and the tray controller (ui), which
// see the engine only through its EngineClient. Nothing else knows all of
// them.
#pragma once

#include "engine/enginehost.h"
#include "mainwindow.h"
#include "traycontroller.h"
#include "util/signalpipe.h"

#include <QMessageBox>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <optional>

class QSocketNotifier;

namespace lifeline {

class RecoveryDialog;
struct LifelineCommandLine;

// The desktop app, once the command line asked for it (configPath resolved).
int guiMain(int argc, char *argv[], const LifelineCommandLine &commandLine);

// Owns the pieces of the running desktop app and the few decisions that
// need all of them: what closing the window means, how quitting treats the
// services (on_exit), and the emergency-recovery flow.
class Application final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Application)

public:
    enum class QuitAnswer
    {
        StopServices,
        KeepServices,
        Cancel,
    };
    // Test hook, after KeePassXC's MessageBox::setNextAnswer: the next quit
    // question is answered with `answer` instead of being shown.
    static void setNextQuitAnswer(QuitAnswer answer);

    // threading: the desktop app gives the engine its own thread; a test
    // may keep it on its own.
    Application(const Config &config, bool minimized,
                EngineHost::Threading threading = EngineHost::Threading::OwnThread);
    ~Application() override;

    // Builds the engine, opens the control socket, starts the services and
    // shows the window (or the tray). A socket that cannot be opened ends
    // the app: startFailed(), then exitRequested(1).
    void start(const QString &socketPath);

    // A person (window, tray) asks to quit: on_exit = "ask" asks them. A
    // signal asks non-interactively: "ask" becomes "stop".
    void quit(bool interactive = true);
    bool isQuitting() const { return m_quitting; }

    EngineClient *engine() { return m_engine; }
    EngineHost *host() { return &m_host; }
    MainWindow *window() { return &m_window; }
    TrayController *tray() { return &m_tray; }
    // The open quit question, or nullptr.
    QMessageBox *quitDialog() const { return m_quitDialog; }
    // Replaces the stop budget a quit computes (every stop_timeout in a row
    // plus 5 s): the test seam for a stop that never reports.
    void setQuitDeadline(std::chrono::milliseconds deadline) { m_quitDeadlineOverride = deadline; }

signals:
    // The process should end now with this exit code; guiMain ends the event
    // loop with QCoreApplication::exit(), which no window can refuse.
    void exitRequested(int code);
    void startFailed(const QString &error);

private:
    void onEngineReady(bool ok, const QString &error);
    void applyTrayAvailability(bool available);
    void showWindow();
    void showRecovery();
    void showSettings();
    QStringList liveServices() const;
    void askBeforeQuit(const QStringList &live);
    void answerQuit(QuitAnswer answer);
    void beginQuit(OnExit mode);
    void quitDeadlinePassed();
    void say(const QString &text);

    static std::optional<QuitAnswer> s_nextQuitAnswer;

    EngineHost m_host;
    EngineClient *m_engine;
    MainWindow m_window;
    TrayController m_tray;
    QPointer<RecoveryDialog> m_recoveryDialog;
    QPointer<QMessageBox> m_quitDialog;
    SignalPipe m_signals;
    QSocketNotifier *m_signalNotifier = nullptr;
    QTimer m_quitDeadline;
    std::optional<std::chrono::milliseconds> m_quitDeadlineOverride;
    bool m_minimized = false;
    bool m_quitting = false;
};

} // namespace lifeline
