// The rotated backups of a service log as lifeline-logger leaves them: FILE.1 (newest) .. FILE.N,
// each plain or, with logs.compress, gzip-compressed as FILE.N.gz (app/logger/main.cpp). Every
// reader of backups (lifelinectl logs, the log view, retention) goes through here, so each sees
// both forms.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace lifeline {

struct LogBackup
{
    QString path; // FILE.N or FILE.N.gz
    int number = 0;
    bool compressed = false;
};

// FILE's backups, newest first, FILE.1 up to the first number missing in both forms. When both
// forms are there (a crash between the .gz's rename and the plain file's unlink: the same bytes)
// the plain one.
QList<LogBackup> logBackups(const QString &livePath);

// Every backup file of FILE, plain or .gz, at any number (not the .gz.tmp a compressor is writing).
QStringList allBackupFiles(const QString &livePath);

struct BackupContents
{
    QByteArray data;            // the last bytes of the backup, uncompressed
    qint64 size = 0;            // of the whole backup, uncompressed
    bool startsMidLine = false; // data was cut at its front (it holds the last maxBytes)
    quint64 inode = 0;          // of the file the bytes were written to (the order index's name for it)
    QString error;              // not empty: unreadable (a corrupt or truncated .gz); data is empty
};

// Backups larger than this uncompressed are refused: a hostile .gz (a "zip bomb") must not keep
// the engine or the GUI thread inflating for minutes.
inline constexpr qint64 kMaxInflatedBytes = 256LL * 1024 * 1024;

// The contents of a backup, at most its last maxBytes. A .gz's inode is the one lifeline-logger
// wrote into its header ("lifeline-inode=N"): the plain file's, which the order index names.
BackupContents readBackup(const LogBackup &backup, qint64 maxBytes);

// What readBackup() gives as `inode`, reading no more than a .gz's header; 0 when unknown.
quint64 backupInode(const LogBackup &backup);

// "[lifeline: FILE skipped: WHY]": what a reader shows in place of an unreadable backup.
QString skippedBackupLine(const QString &path, const QString &why);

} // namespace lifeline
