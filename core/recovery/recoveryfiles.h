// File work of a recovery, kept apart from the engine so each rule can be
// tested on its own: resolving `clean` globs strictly inside a service's
// cwd, copying a log with byte-for-byte verification before it is emptied,
// and pruning old backup folders. All functions are synchronous and work on
// one path at a time; the engine calls them one per event-loop pass.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace lifeline {

struct CleanMatch
{
    QString pattern; // the glob it came from
    QString path;    // the match (absolute, not resolved); the pattern itself when refused before matching
    bool isDir = false;
    qint64 bytes = -1;    // file size (directories: -1)
    bool refused = false; // true: must not be removed
    QString reason;       // why it was refused
};

// A path that cleaning never touches, whatever the globs say: Lifeline's own
// state (state_dir: the lock, the history, lifeline.log, run/, recovery/),
// the services' logs, the configuration file.
struct ProtectedPath
{
    QString path; // absolute; it and everything below it
    QString what; // "Lifeline's state folder (state_dir)"
};

// Every match of `patterns` inside `cwd`. Patterns are relative paths whose
// components may hold wildcards (*, ?, [...]); a pattern that is absolute
// or has a ".." component is refused as a whole. Each match whose canonical
// path (or whose parent's canonical path) lies outside the canonical cwd —
// a symlink leading out — is returned refused, as is a dangling symlink.
// So is each match that is, lies inside, resolves into (a symlink) or holds
// (a folder) one of `protect`, compared by canonical paths.
// Hidden entries match only a component that starts with '.'.
QList<CleanMatch> resolveCleanGlobs(const QString &cwd, const QStringList &patterns,
                                    const QList<ProtectedPath> &protect = {});

// Removes one accepted match (a file, a symlink itself, or a directory tree
// without following symlinks). False + *error on failure.
bool removeCleanMatch(const CleanMatch &match, QString *error);

// The log files of a service that exist: FILE, FILE.1, FILE.2, ... for both
// the .log and the .err.log; live ones (without a number) first.
QStringList existingLogFiles(const QString &logPath, const QString &errLogPath);

// Copies src to dst (created or replaced) and verifies that dst is byte for
// byte what src held. Returns the bytes copied, or -1 + *error.
qint64 copyVerified(const QString &src, const QString &dst, QString *error);

// Empties the live log src, but only once dst is proven to hold every byte
// of it: if src grew since the copy (a late write), the new tail is copied
// and verified first. Never truncates when the files differ. Returns the
// bytes the verified copy holds, or -1 + *error (src left untouched).
qint64 truncateAfterVerifiedCopy(const QString &src, const QString &dst, QString *error);

// A new folder state_dir/backups/<yyyyMMdd-HHmmss>[-N] (created). Empty + *error on failure.
QString createBackupFolder(const QString &backupsDir, QString *error);

// Removes all but the newest `keep` (at least 1) backup folders whose names
// look like createBackupFolder()'s; other entries are never touched.
// Returns the removed paths.
QStringList pruneBackupFolders(const QString &backupsDir, int keep, QStringList *errors = nullptr);

} // namespace lifeline
