#include "loggerlauncher.h"

#include "logs/logtailer.h"
#include "platform/childregistry.h"

#include <QFileInfo>

namespace lifeline {

LoggerLauncher::LoggerLauncher(const QString &loggerPath, const QString &stateDir)
    : m_loggerPath(loggerPath)
    , m_stateDir(stateDir)
{}

bool LoggerLauncher::open(const QString &outPath, const QString &errPath, const LogSpec &logs,
                          Outputs *outputs, QString *error) const
{
    Pipe out, err;
    Pipe status; // the logger's reports (a full disk) back to us
    QString why;
    if (!openPipe(&out, false, &why) || !openPipe(&err, false, &why) || !openPipe(&status, true, &why)) {
        *error = QStringLiteral("cannot create log pipes: %1").arg(why);
        return false;
    }
    if (spawnLogger(out, err, status, outPath, errPath, logs, &why) > 0) {
        outputs->out = std::move(out.write);
        outputs->err = std::move(err.write);
        outputs->status = std::move(status.read);
        outputs->warning.clear();
    } else {
        outputs->warning = why;
        outputs->out = openForAppend(outPath, &why);
        outputs->err = openForAppend(errPath, &why);
        if (!outputs->out.isValid() || !outputs->err.isValid()) {
            *error = QStringLiteral("cannot open log file in %1: %2")
                         .arg(m_stateDir + QStringLiteral("/logs"), why);
            return false;
        }
    }
    // Our copies of the read ends and of the status write end close on
    // return: only the logger holds them.
    const QString paths[] = {outPath, errPath};
    const int fds[] = {outputs->out.get(), outputs->err.get()};
    outputs->targets.clear();
    for (int i = 0; i < 2; ++i) {
        const QString pipe = pipeTarget(fds[i]);
        outputs->targets.append(pipe.isEmpty() ? QFileInfo(paths[i]).canonicalFilePath() : pipe);
    }
    return true;
}

pid_t LoggerLauncher::spawnLogger(const Pipe &out, const Pipe &err, const Pipe &status,
                                  const QString &outPath, const QString &errPath, const LogSpec &logs,
                                  QString *error) const
{
    if (m_loggerPath.isEmpty() || !QFileInfo(m_loggerPath).isExecutable()) {
        *error = QStringLiteral("lifeline-logger not found (looked for \"%1\")").arg(m_loggerPath);
        return 0;
    }
    DetachedSpawn spawn;
    spawn.program = m_loggerPath;
    spawn.arguments = {QStringLiteral("--out"),       outPath,
                       QStringLiteral("--err"),       errPath,
                       QStringLiteral("--index"),     LogTailer::orderIndexPath(outPath),
                       QStringLiteral("--max-size"),  QString::number(logs.maxSize),
                       QStringLiteral("--backups"),   QString::number(logs.backups),
                       QStringLiteral("--status-fd"), QStringLiteral("4")};
    if (logs.compress)
        spawn.arguments << QStringLiteral("--compress") << QStringLiteral("gzip");
    spawn.descriptors = {{out.read.get(), 0}, {err.read.get(), 3}, {status.write.get(), 4}};
    // Not Lifeline's terminal or pipes: the logger outlives us, and would
    // keep whatever read our output (a terminal, `| tail`) waiting forever.
    spawn.stderrPath = m_stateDir + QStringLiteral("/logs/lifeline-logger.err");
    QString why;
    const pid_t pid = spawnDetached(spawn, &why);
    if (pid <= 0) {
        *error = QStringLiteral("cannot start %1: %2").arg(m_loggerPath, why);
        return 0;
    }
    // Not a QProcess child: the fleet's orphan reaper collects it when it exits.
    ChildRegistry::addHelper(pid);
    return pid;
}

} // namespace lifeline
