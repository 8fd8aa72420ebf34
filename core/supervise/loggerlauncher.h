// Where a service's stdout and stderr go for one run. Into pipes owned by a
// lifeline-logger of their own, which writes and rotates the files: neither
// the service nor the logger depends on Lifeline staying alive, and rotation
// loses nothing, since only the logger ever writes the files and can rename
// them between two writes (copy-and-truncate would lose what the child
// writes in between). Without the logger the child appends to its files
// directly: it still survives Lifeline, but its logs do not rotate.
#pragma once

#include "config/servicespec.h"
#include "platform/spawn.h"

#include <QString>
#include <QStringList>

namespace lifeline {

class LoggerLauncher
{
public:
    // loggerPath empty or not executable: no logger, files appended to.
    // The logger's own complaints go to stateDir/logs/lifeline-logger.err.
    LoggerLauncher(const QString &loggerPath, const QString &stateDir);

    struct Outputs
    {
        UniqueFd out; // what the child gets as stdout
        UniqueFd err; // ... and as stderr
        // The read end of the logger's status pipe (loggerchannel.h);
        // invalid without a logger.
        UniqueFd status;
        // How ProcFs::fdTarget names out and err: proof that a process
        // holding one of them as its output came from this run's tree.
        QStringList targets;
        // Why the logs will not rotate (no logger); empty when they will.
        QString warning;
    };

    // A new logger for the files outPath and errPath (rotated as `logs`
    // says), or the files themselves; false with *error set when the run
    // can have neither.
    bool open(const QString &outPath, const QString &errPath, const LogSpec &logs, Outputs *outputs,
              QString *error) const;

private:
    pid_t spawnLogger(const Pipe &out, const Pipe &err, const Pipe &status, const QString &outPath,
                      const QString &errPath, const LogSpec &logs, QString *error) const;

    QString m_loggerPath;
    QString m_stateDir;
};

} // namespace lifeline
