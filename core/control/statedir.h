// The state_dir lock: one Lifeline per state_dir, since two would share
// pidfiles, logs and history. Both composition roots (the desktop app and
// headless mode) take it here, so a person reads the same cause from either.
#pragma once

#include <QLockFile>
#include <QString>

#include <memory>

namespace lifeline {

// Creates stateDir (and its parents) when missing, then takes
// <stateDir>/lifeline.lock, held until the returned lock is destroyed.
// On failure returns null and *error names the cause: "state_dir D is in use
// by another Lifeline (pid N …)" (then *holderPid is N), or why the folder
// cannot be used: read-only (EROFS), not writable by you (owned by uid N,
// mode 0755), not a directory, no space left (ENOSPC), with the path at fault.
std::unique_ptr<QLockFile> takeStateDirLock(const QString &stateDir, QString *error,
                                            qint64 *holderPid = nullptr);

} // namespace lifeline
