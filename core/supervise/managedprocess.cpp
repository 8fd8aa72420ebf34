#include "managedprocess.h"

#include "platform/childregistry.h"
#include "platform/spawn.h"

#include <QProcess>

namespace lifeline {

QtManagedProcess::QtManagedProcess(QObject *parent)
    : ManagedProcess(parent)
    , m_process(new QProcess(this))
{
    connect(m_process, &QProcess::started, this, [this] {
        notePid();
        emit started(m_pid);
    });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return;
        ChildRegistry::remove(m_pid);
        emit done({ProcessOutcome::Kind::FailedToStart, 0, m_process->errorString()});
    });
    connect(m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        ChildRegistry::remove(m_pid);
        // On Unix a CrashExit's exitCode() is the signal number.
        emit done(
            {status == QProcess::CrashExit ? ProcessOutcome::Kind::Signaled : ProcessOutcome::Kind::Exited,
             code,
             {}});
    });
}

QtManagedProcess::~QtManagedProcess()
{
    m_process->disconnect(this);
    ChildRegistry::remove(m_pid);
    delete m_process;
}

void QtManagedProcess::start(const ProcessLaunch &launch)
{
    m_process->setProgram(launch.program);
    m_process->setArguments(launch.arguments);
    m_process->setProcessEnvironment(launch.environment);
    m_process->setWorkingDirectory(launch.workingDirectory);
    m_process->setStandardInputFile(QProcess::nullDevice());
    m_process->setStandardOutputFile(QProcess::nullDevice());
    m_process->setStandardErrorFile(QProcess::nullDevice());
    const int outFd = launch.stdoutFd, errFd = launch.stderrFd;
    // Runs in the child between fork and exec: async-signal-safe calls only.
    m_process->setChildProcessModifier([outFd, errFd] { enterServiceChild(outFd, errFd); });
    m_process->start();
    // The fork has happened (or failed) by now; the pid is known at once.
    notePid();
}

void QtManagedProcess::notePid()
{
    if (m_process->processId() <= 0)
        return;
    m_pid = pid_t(m_process->processId());
    ChildRegistry::add(m_pid);
}

bool QtManagedProcess::isStarting() const
{
    return m_process->state() == QProcess::Starting;
}

void QtManagedProcess::kill()
{
    m_process->kill();
}

void QtManagedProcess::detach()
{
    m_process->disconnect(this);
    ChildRegistry::remove(m_pid);
    setParent(nullptr);
}

} // namespace lifeline
