#include "repair/commandsteps.h"

#include "platform/childregistry.h"
#include "platform/rlimit.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <limits>
#include <utility>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace lifeline {

using namespace Qt::StringLiterals;

QString CommandStepResult::outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Pending:
        return u"pending"_s;
    case Outcome::Ok:
        return u"ok"_s;
    case Outcome::ExitCode:
        return u"exit_code"_s;
    case Outcome::Signal:
        return u"signal"_s;
    case Outcome::Timeout:
        return u"timeout"_s;
    case Outcome::CannotStart:
        return u"cannot_start"_s;
    case Outcome::Skipped:
        return u"skipped"_s;
    }
    return QString();
}

CommandSteps::CommandSteps(QObject *parent)
    : QObject(parent)
    , m_deadline(new QTimer(this))
    , m_grace(new QTimer(this))
{
    qRegisterMetaType<CommandStepResult>();
    m_deadline->setSingleShot(true);
    m_grace->setSingleShot(true);
    connect(m_deadline, &QTimer::timeout, this, &CommandSteps::onDeadline);
    connect(m_grace, &QTimer::timeout, this, [this] { signalGroup(SIGKILL); });
}

CommandSteps::~CommandSteps()
{
    release();
}

QString CommandSteps::display(const QStringList &argv)
{
    static const QRegularExpression plain(u"^[A-Za-z0-9_@%+=:,./-]+$"_s);
    QStringList words;
    for (const QString &arg : argv) {
        if (plain.match(arg).hasMatch())
            words.append(arg);
        else
            words.append(u'\'' + QString(arg).replace(u"'"_s, u"'\\''"_s) + u'\'');
    }
    return words.join(u' ');
}

QString CommandSteps::failureText(int index, int count, const CommandStepResult &result)
{
    return u"step %1 of %2 `%3` failed: %4"_s.arg(index + 1).arg(count).arg(display(result.argv),
                                                                            result.reason);
}

bool CommandSteps::start(const QList<QStringList> &steps, const Options &options)
{
    if (m_running)
        return false;
    m_options = options;
    m_results.clear();
    for (const QStringList &argv : steps) {
        CommandStepResult r;
        r.argv = argv;
        m_results.append(r);
    }
    m_running = true;
    // The caller connects to our signals after start() returns.
    QTimer::singleShot(0, this, [this] { begin(0); });
    return true;
}

void CommandSteps::begin(int index)
{
    m_index = index;
    if (index >= m_results.size()) {
        m_running = false;
        emit finished(true, QString());
        return;
    }
    const QStringList argv = m_results.at(index).argv;
    emit stepStarted(index, argv);
    m_clock.start();
    m_timedOut = false;
    m_partial.clear();
    m_cutting = false;
    if (argv.isEmpty() || argv.constFirst().isEmpty()) {
        onCannotStart(u"no program given"_s);
        return;
    }
    if (!QFileInfo(m_options.workingDirectory).isDir()) {
        onCannotStart(u"working directory %1 does not exist"_s.arg(m_options.workingDirectory));
        return;
    }

    auto *process = new QProcess(this);
    m_process = process;
    process->setProgram(argv.constFirst());
    process->setArguments(argv.mid(1));
    process->setWorkingDirectory(m_options.workingDirectory);
    process->setProcessEnvironment(m_options.environment);
    process->setProcessChannelMode(QProcess::MergedChannels);
    process->setStandardInputFile(QProcess::nullDevice());
#ifdef Q_OS_UNIX
    // Its own process group, so a timeout ends whatever the command started too.
    process->setChildProcessModifier([] {
        ::setpgid(0, 0);
        restoreOpenFileLimitInChild();
    });
#endif
    connect(process, &QProcess::readyReadStandardOutput, this, &CommandSteps::onReadyRead);
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart && process == m_process)
            onCannotStart(process->errorString());
    });
    connect(process, &QProcess::finished, this, [this, process](int exitCode, QProcess::ExitStatus status) {
        if (process == m_process)
            onFinished(exitCode, status == QProcess::CrashExit);
    });
    process->start();
    if (m_process == process && process->processId() > 0) {
        m_pgid = process->processId();
        // Qt reaps this child itself; keep the fleet's orphan reaper off it.
        ChildRegistry::add(pid_t(m_pgid));
        m_deadline->start(int(std::min<qint64>(m_options.timeout.count(), std::numeric_limits<int>::max())));
    }
}

void CommandSteps::onReadyRead()
{
    if (!m_process)
        return;
    m_partial += m_process->readAllStandardOutput();
    flushLines(false);
}

void CommandSteps::flushLines(bool all)
{
    QStringList lines;
    qsizetype start = 0;
    const auto take = [&](qsizetype end) {
        QByteArray line = m_partial.mid(start, end - start);
        if (line.endsWith('\r'))
            line.chop(1);
        if (!m_cutting)
            lines.append(QString::fromUtf8(line));
        m_cutting = false;
    };
    for (qsizetype nl = m_partial.indexOf('\n'); nl >= 0; nl = m_partial.indexOf('\n', start)) {
        take(nl);
        start = nl + 1;
    }
    m_partial.remove(0, start);
    if (m_partial.size() > kMaxLineChars && !m_cutting) {
        lines.append(QString::fromUtf8(m_partial.left(kMaxLineChars)) + u" [line cut]"_s);
        m_cutting = true;
    }
    if (m_cutting)
        m_partial.clear();
    if (all && !m_partial.isEmpty()) {
        start = 0;
        take(m_partial.size());
        m_partial.clear();
    }
    if (!lines.isEmpty())
        emit output(m_index, lines);
}

void CommandSteps::onFinished(int exitCode, bool crashed)
{
    const QByteArray rest = m_process->readAllStandardOutput();
    m_partial += rest;
    flushLines(true);
    if (m_timedOut) {
        conclude(CommandStepResult::Outcome::Timeout, exitCode,
                 u"timed out after %1; its processes were ended"_s.arg(formatDuration(m_options.timeout)));
        return;
    }
    if (crashed) {
        conclude(CommandStepResult::Outcome::Signal, exitCode, u"killed by %1"_s.arg(signalName(exitCode)));
        return;
    }
    if (exitCode != 0) {
        conclude(CommandStepResult::Outcome::ExitCode, exitCode, u"exit code %1"_s.arg(exitCode));
        return;
    }
    conclude(CommandStepResult::Outcome::Ok, 0, u"ok"_s);
}

void CommandSteps::onCannotStart(const QString &why)
{
    conclude(CommandStepResult::Outcome::CannotStart, 0, u"cannot start: "_s + why);
}

void CommandSteps::onDeadline()
{
    m_timedOut = true;
    signalGroup(SIGTERM);
    m_grace->start(int(m_options.killGrace.count()));
}

void CommandSteps::signalGroup(int sig)
{
#ifdef Q_OS_UNIX
    // The group outlives its leader while a member lives, so its id cannot
    // be handed to another group meanwhile; an empty group is ESRCH.
    if (m_pgid > 0)
        ::kill(-pid_t(m_pgid), sig);
#else
    Q_UNUSED(sig);
#endif
}

void CommandSteps::conclude(CommandStepResult::Outcome outcome, int code, const QString &reason)
{
    const int index = m_index;
    // Nothing a step started outlives it.
    release();
    CommandStepResult &r = m_results[index];
    r.outcome = outcome;
    r.code = code;
    r.reason = reason;
    r.durationMs = m_clock.elapsed();
    emit stepFinished(index, r);
    if (!r.ok()) {
        for (int i = index + 1; i < m_results.size(); ++i) {
            m_results[i].outcome = CommandStepResult::Outcome::Skipped;
            m_results[i].reason = u"skipped"_s;
        }
        m_running = false;
        emit finished(false, failureText(index, int(m_results.size()), r));
        return;
    }
    QTimer::singleShot(0, this, [this, next = index + 1] { begin(next); });
}

void CommandSteps::release()
{
    m_deadline->stop();
    m_grace->stop();
    signalGroup(SIGKILL);
    const pid_t pid = pid_t(std::exchange(m_pgid, 0));
    if (!m_process)
        return;
    QProcess *process = std::exchange(m_process, nullptr);
    disconnect(process, nullptr, this, nullptr);
    if (process->state() == QProcess::NotRunning) {
        ChildRegistry::remove(pid);
        process->deleteLater();
        return;
    }
    // Never wait: let the killed process finish on its own and delete its
    // QProcess then (its destructor would block otherwise).
    process->kill();
    process->setParent(nullptr);
    connect(process, &QProcess::finished, process, [process, pid] {
        ChildRegistry::remove(pid);
        process->deleteLater();
    });
}

} // namespace lifeline
