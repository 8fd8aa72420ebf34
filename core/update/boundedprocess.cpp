#include "update/boundedprocess.h"

#include "platform/childregistry.h"
#include "platform/rlimit.h"

#include <QProcess>
#include <QTimer>

#include <utility>

#ifdef Q_OS_UNIX
#include <csignal>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace lifeline {

QString ProcessResult::describe(const Millis &timeout) const
{
    if (!started)
        return startError;
    QString lastLine;
    const QList<QByteArray> lines = output.trimmed().split('\n');
    if (!lines.isEmpty())
        lastLine = QString::fromUtf8(lines.last().trimmed());
    const QString detail = lastLine.isEmpty() ? QString() : u": "_s + lastLine;
    if (timedOut)
        return u"timed out after %1 (killed)"_s.arg(formatDuration(timeout)) + detail;
    if (crashed)
        return u"killed by a signal"_s + detail;
    return u"exit %1"_s.arg(exitCode) + detail;
}

QProcessEnvironment gitEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"GIT_TERMINAL_PROMPT"_s, u"0"_s);
    // Whatever ssh command a person configured keeps its options; batch mode
    // makes it fail instead of asking for a password or a host key.
    const QString ssh = env.value(u"GIT_SSH_COMMAND"_s, u"ssh"_s);
    env.insert(u"GIT_SSH_COMMAND"_s, ssh + u" -o BatchMode=yes"_s);
    env.remove(u"GIT_ASKPASS"_s);
    env.remove(u"SSH_ASKPASS"_s);
    env.insert(u"GIT_OPTIONAL_LOCKS"_s, u"0"_s);
    env.insert(u"LC_ALL"_s, u"C"_s);
    return env;
}

BoundedProcess::BoundedProcess(QObject *parent)
    : QObject(parent)
    , m_deadline(new QTimer(this))
{
    m_deadline->setSingleShot(true);
    connect(m_deadline, &QTimer::timeout, this, &BoundedProcess::onDeadline);
}

BoundedProcess::~BoundedProcess()
{
    // QProcess's destructor waits for its child: a SIGKILL first makes that short.
    killGroup();
    release();
}

void BoundedProcess::start(const QStringList &argv, const QString &cwd, const QProcessEnvironment &env,
                           Millis timeout)
{
    release();
    m_result = ProcessResult{};
    m_process = new QProcess(this);
    m_process->setProgram(argv.value(0));
    m_process->setArguments(argv.mid(1));
    m_process->setWorkingDirectory(cwd);
    m_process->setProcessEnvironment(env);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setStandardInputFile(QProcess::nullDevice());
#ifdef Q_OS_UNIX
    m_process->setChildProcessModifier([] {
        ::setsid();
        restoreOpenFileLimitInChild();
    });
#endif
    QProcess *process = m_process;
    connect(process, &QProcess::readyReadStandardOutput, this, [this, process] {
        const QByteArray chunk = process->readAllStandardOutput();
        if (m_result.output.size() < MaxOutput)
            m_result.output += chunk.left(MaxOutput - m_result.output.size());
    });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart)
            return;
        m_result.startError = u"cannot start %1: %2"_s.arg(process->program(), process->errorString());
        // Reported from the event loop, so a caller is never re-entered from start().
        QMetaObject::invokeMethod(this, &BoundedProcess::finish, Qt::QueuedConnection);
    });
    connect(process, &QProcess::finished, this, [this, process](int exitCode, QProcess::ExitStatus status) {
        m_result.output += process->readAllStandardOutput().left(MaxOutput - m_result.output.size());
        m_result.exitCode = exitCode;
        m_result.crashed = status == QProcess::CrashExit && !m_result.timedOut;
        finish();
    });
    m_result.started = true;
    m_deadline->start(timeout);
    m_process->start();
    if (m_process->processId() > 0)
        ChildRegistry::add(pid_t(m_process->processId()));
    else
        m_result.started = false;
}

void BoundedProcess::onDeadline()
{
    if (!m_process)
        return;
    if (!m_result.timedOut) {
        m_result.timedOut = true;
        killGroup();
        m_process->kill();
        // A process stuck in the kernel may not die at once: do not wait for it forever.
        m_deadline->start(KillGraceMs);
        return;
    }
    finish();
}

void BoundedProcess::finish()
{
    if (!m_process)
        return;
    m_deadline->stop();
    release();
    emit finished(m_result);
}

void BoundedProcess::killGroup()
{
#ifdef Q_OS_UNIX
    if (m_process && m_process->state() != QProcess::NotRunning && m_process->processId() > 0)
        ::kill(-pid_t(m_process->processId()), SIGKILL);
#endif
}

void BoundedProcess::release()
{
    QProcess *process = std::exchange(m_process, nullptr);
    if (!process)
        return;
    process->disconnect(this);
    const pid_t pid = pid_t(process->processId());
    if (process->state() == QProcess::NotRunning) {
        ChildRegistry::remove(pid);
        process->deleteLater();
        return;
    }
    // Killed but not dead yet (state D): it goes when it does, never waited for.
    process->setParent(nullptr);
    connect(process, &QProcess::finished, process, [process, pid] {
        ChildRegistry::remove(pid);
        process->deleteLater();
    });
}

} // namespace lifeline
