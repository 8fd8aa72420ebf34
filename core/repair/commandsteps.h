// Runs a list of commands (argv each) one after another, in one working
// directory with one environment, the way `[service.repair] steps` asks for
// (and any other "run these commands in order" of a service). Each command
// runs through QProcess in its own process group, its stdout and stderr
// merged and handed on line by line as they come; each is bounded by a
// timeout, after which its whole group gets SIGTERM and, `killGrace` later,
// SIGKILL. When a command ends, whatever it left in its group is ended too,
// so nothing a step started outlives it. The first command that fails
// (exit code, signal, timeout, cannot start) ends the run; the rest are
// skipped. Nothing blocks: everything is driven by QProcess signals and timers.
#pragma once

#include "util/units.h"

#include <QElapsedTimer>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QProcessEnvironment>
#include <QStringList>

class QProcess;
class QTimer;

namespace lifeline {

struct CommandStepResult
{
    enum class Outcome
    {
        Pending,
        Ok,
        ExitCode,    // ran and exited non-zero
        Signal,      // ended by a signal it was not sent for a timeout
        Timeout,     // ran longer than the timeout; its group was ended
        CannotStart, // never ran: no such program, not executable, no cwd
        Skipped      // an earlier step failed
    };
    QStringList argv;
    Outcome outcome = Outcome::Pending;
    int code = 0; // exit code, or the signal
    qint64 durationMs = 0;
    QString reason; // "exit code 1", "timed out after 10m ...", "cannot start: ..."

    bool ok() const { return outcome == Outcome::Ok; }
    static QString outcomeName(Outcome outcome); // "ok", "exit_code", ... (JSON)
};

class CommandSteps final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CommandSteps)

public:
    // Longer lines are cut here (and the rest of the line dropped), so one
    // endless line cannot grow without bound.
    static constexpr qsizetype kMaxLineChars = 2000;

    struct Options
    {
        QString workingDirectory;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        Millis timeout{10 * 60'000};
        Millis killGrace{5'000}; // SIGTERM, then SIGKILL this long after
    };

    explicit CommandSteps(QObject *parent = nullptr);
    // A command still running gets SIGKILL (its group); never waits for it.
    ~CommandSteps() override;

    // Begins `steps` on the next event-loop pass. False when a run is going.
    bool start(const QList<QStringList> &steps, const Options &options);
    bool isRunning() const { return m_running; }
    QList<CommandStepResult> results() const { return m_results; }

    // "python3 -m pip install -r 'my file.txt'": an argv as a person reads it.
    static QString display(const QStringList &argv);
    // "step 2 of 3 `python3 -m pip ...` failed: exit code 1"
    static QString failureText(int index, int count, const CommandStepResult &result);

signals:
    void stepStarted(int index, const QStringList &argv);
    // Complete lines, in order, as they arrive (a partial last line comes
    // when the step ends).
    void output(int index, const QStringList &lines);
    void stepFinished(int index, const lifeline::CommandStepResult &result);
    // ok: every step succeeded; otherwise `message` is failureText() of the failed one.
    void finished(bool ok, const QString &message);

private:
    void begin(int index);
    void onReadyRead();
    void onFinished(int exitCode, bool crashed);
    void onCannotStart(const QString &why);
    void onDeadline();
    void conclude(CommandStepResult::Outcome outcome, int code, const QString &reason);
    void flushLines(bool all);
    void signalGroup(int sig);
    void release();

    Options m_options;
    QList<CommandStepResult> m_results;
    bool m_running = false;
    int m_index = -1;
    QProcess *m_process = nullptr;
    qint64 m_pgid = 0;
    bool m_timedOut = false;
    QTimer *m_deadline;
    QTimer *m_grace;
    QElapsedTimer m_clock;
    QByteArray m_partial;   // bytes after the last newline
    bool m_cutting = false; // dropping the rest of an over-long line
};

} // namespace lifeline

Q_DECLARE_METATYPE(lifeline::CommandStepResult)
