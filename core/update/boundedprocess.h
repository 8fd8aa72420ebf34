// One command of an update (a git command, the build), run without waiting
// for it: no stdin, no terminal (a session of its own, so nothing can open
// /dev/tty to ask for a password), output captured up to a cap, and a time
// bound after which its whole process group is killed. A git command gets an
// environment in which it never prompts (gitEnvironment()).
#pragma once

#include "util/units.h"

#include <QByteArray>
#include <QObject>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

class QProcess;
class QTimer;

namespace lifeline {

struct ProcessResult
{
    bool started = false;
    bool timedOut = false;
    bool crashed = false; // ended by a signal (not ours)
    int exitCode = -1;
    QByteArray output; // stdout and stderr merged, at most BoundedProcess::MaxOutput bytes
    QString startError;

    bool ok() const { return started && !timedOut && !crashed && exitCode == 0; }
    QString text() const { return QString::fromUtf8(output); }
    // "exit 1: fatal: ...", "timed out after 5s (killed)", "cannot start git: ..."
    QString describe(const Millis &timeout) const;
};

// The environment every git command runs in: no terminal prompt, ssh in
// batch mode, no askpass helper, untranslated messages, no optional locks.
QProcessEnvironment gitEnvironment();

class BoundedProcess final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BoundedProcess)

public:
    static constexpr qsizetype MaxOutput = 1024 * 1024;
    static constexpr int KillGraceMs = 5'000;

    explicit BoundedProcess(QObject *parent = nullptr);
    ~BoundedProcess() override;

    // finished() follows exactly once, also when it cannot start.
    void start(const QStringList &argv, const QString &cwd, const QProcessEnvironment &env, Millis timeout);
    bool isRunning() const { return m_process != nullptr; }

signals:
    void finished(const lifeline::ProcessResult &result);

private:
    void onDeadline();
    void finish();
    void release();
    void killGroup();

    QProcess *m_process = nullptr;
    QTimer *m_deadline;
    ProcessResult m_result;
};

} // namespace lifeline
