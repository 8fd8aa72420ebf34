// One run of a service's main process, as the supervisor sees it: started
// with a launch description, reporting `started` once it runs and `done`
// once, however it ends (or fails to begin). The real one is a QProcess in a
// session of its own; tests drive the supervisor with a fake.
#pragma once

#include "platform/procfs.h" // pid_t

#include <QObject>
#include <QProcessEnvironment>
#include <QStringList>

#include <functional>

class QProcess;

namespace lifeline {

struct ProcessOutcome
{
    enum class Kind
    {
        FailedToStart,
        Exited,
        Signaled
    };
    Kind kind = Kind::FailedToStart;
    int code = 0;  // exit code, or signal number
    QString error; // FailedToStart: why
};

struct ProcessLaunch
{
    QString program;
    QStringList arguments;
    QProcessEnvironment environment;
    QString workingDirectory;
    // Borrowed: the child's stdout and stderr become these.
    int stdoutFd = -1;
    int stderrFd = -1;
};

class ManagedProcess : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    virtual void start(const ProcessLaunch &launch) = 0;
    // 0 until there is a process.
    virtual pid_t pid() const = 0;
    // Forked, not yet running the program: nothing to be graceful with.
    virtual bool isStarting() const = 0;
    virtual void kill() = 0;
    // Lets go of the process without ending it; nothing is reported after.
    virtual void detach() = 0;

signals:
    void started(pid_t pid);
    void done(const lifeline::ProcessOutcome &outcome);
};

// Makes the process for one run, owned by `parent`.
using ManagedProcessFactory = std::function<ManagedProcess *(QObject *parent)>;

// A QProcess whose child gets a session of its own (the whole tree can be
// signalled as one group) and Lifeline's original open-file limit, and is
// known to the orphan reaper as QProcess's to reap (childregistry.h).
class QtManagedProcess final : public ManagedProcess
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QtManagedProcess)

public:
    explicit QtManagedProcess(QObject *parent = nullptr);
    // Kills and reaps a process still running (QProcess's destructor).
    ~QtManagedProcess() override;

    void start(const ProcessLaunch &launch) override;
    pid_t pid() const override { return m_pid; }
    bool isStarting() const override;
    void kill() override;
    // QProcess's destructor would kill the child, so a process let go of
    // keeps this object, and its QProcess, until Lifeline's image goes away:
    // the one deliberate leak in Lifeline.
    void detach() override;

private:
    void notePid();

    QProcess *m_process;
    pid_t m_pid = 0;
};

} // namespace lifeline
