#include "recovery/recoveryfiles.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>

namespace lifeline {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kChunk = 1 << 20;

bool hasWildcard(const QString &part)
{
    return part.contains(u'*') || part.contains(u'?') || part.contains(u'[');
}

bool isInside(const QString &canonical, const QString &canonicalRoot)
{
    if (canonical.isEmpty())
        return false;
    const QString root = canonicalRoot.endsWith(u'/') ? canonicalRoot : canonicalRoot + u'/';
    return canonical.startsWith(root);
}

bool isSameOrInside(const QString &canonical, const QString &canonicalRoot)
{
    return !canonical.isEmpty() && (canonical == canonicalRoot || isInside(canonical, canonicalRoot));
}

// The canonical form of a path that may not exist yet (a log not written so
// far): its nearest existing ancestor resolved, the rest appended.
QString canonicalOrPlanned(const QString &path)
{
    QString rest;
    QString head = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    while (!head.isEmpty()) {
        const QString canonical = QFileInfo(head).canonicalFilePath();
        if (!canonical.isEmpty())
            return QDir::cleanPath(canonical + rest);
        const qsizetype slash = head.lastIndexOf(u'/');
        if (slash < 0)
            break;
        rest = head.mid(slash) + rest;
        head = head.left(slash);
    }
    return QDir::cleanPath(path);
}

// Why removing `fi` (canonical target `canonical`, canonical location of the
// entry itself `self`) would hurt one of `protect`; empty when it would not.
QString protectedReason(const QFileInfo &fi, const QString &canonical, const QString &self,
                        const QList<ProtectedPath> &protect)
{
    QStringList roots;
    for (const ProtectedPath &p : protect)
        roots.append(canonicalOrPlanned(p.path));
    // What it is comes before what it points to or holds.
    for (qsizetype i = 0; i < roots.size(); ++i) {
        if (isSameOrInside(self, roots.at(i)))
            return u"%1 %2 (%3): never cleaned"_s.arg(self == roots.at(i) ? u"is"_s : u"lies inside"_s,
                                                      protect.at(i).what, roots.at(i));
    }
    for (qsizetype i = 0; i < roots.size(); ++i) {
        if (fi.isSymLink() && isSameOrInside(canonical, roots.at(i)))
            return u"points into %1 (%2): never cleaned"_s.arg(protect.at(i).what, roots.at(i));
    }
    for (qsizetype i = 0; i < roots.size(); ++i) {
        if (fi.isDir() && !fi.isSymLink() && isInside(roots.at(i), self))
            return u"holds %1 (%2): never cleaned"_s.arg(protect.at(i).what, roots.at(i));
    }
    return QString();
}

CleanMatch refusedPattern(const QString &pattern, const QString &reason)
{
    CleanMatch m;
    m.pattern = pattern;
    m.path = pattern;
    m.refused = true;
    m.reason = reason;
    return m;
}

// True when `a` holds exactly the first `bytes` bytes of `b`.
bool samePrefix(const QString &a, const QString &b, qint64 bytes, QString *error)
{
    QFile fa(a), fb(b);
    if (!fa.open(QIODevice::ReadOnly)) {
        *error = u"cannot read %1: %2"_s.arg(a, fa.errorString());
        return false;
    }
    if (!fb.open(QIODevice::ReadOnly)) {
        *error = u"cannot read %1: %2"_s.arg(b, fb.errorString());
        return false;
    }
    if (fa.size() != bytes || fb.size() < bytes) {
        *error = u"size mismatch: %1 has %2 bytes, %3 has %4"_s.arg(a).arg(fa.size()).arg(b).arg(fb.size());
        return false;
    }
    qint64 done = 0;
    while (done < bytes) {
        const qint64 n = std::min(kChunk, bytes - done);
        const QByteArray x = fa.read(n);
        const QByteArray y = fb.read(n);
        if (x.size() != n || x != y) {
            *error = u"%1 differs from %2 after byte %3"_s.arg(a, b).arg(done);
            return false;
        }
        done += n;
    }
    return true;
}

// Appends src[from, to) to dst.
bool appendRange(const QString &src, const QString &dst, qint64 from, qint64 to, bool truncateDst,
                 QString *error)
{
    QFile in(src);
    if (!in.open(QIODevice::ReadOnly)) {
        *error = u"cannot read %1: %2"_s.arg(src, in.errorString());
        return false;
    }
    QFile out(dst);
    const QIODevice::OpenMode mode = truncateDst ? (QIODevice::WriteOnly | QIODevice::Truncate)
                                                 : (QIODevice::WriteOnly | QIODevice::Append);
    if (!out.open(mode)) {
        *error = u"cannot write %1: %2"_s.arg(dst, out.errorString());
        return false;
    }
    if (!in.seek(from)) {
        *error = u"cannot seek in %1"_s.arg(src);
        return false;
    }
    qint64 pos = from;
    while (pos < to) {
        const QByteArray chunk = in.read(std::min(kChunk, to - pos));
        if (chunk.isEmpty()) {
            *error = u"%1 ended early at byte %2 (expected %3)"_s.arg(src).arg(pos).arg(to);
            return false;
        }
        if (out.write(chunk) != chunk.size()) {
            *error = u"cannot write %1: %2"_s.arg(dst, out.errorString());
            return false;
        }
        pos += chunk.size();
    }
    if (!out.flush()) {
        *error = u"cannot write %1: %2"_s.arg(dst, out.errorString());
        return false;
    }
    out.close();
    if (out.error() != QFileDevice::NoError) {
        *error = u"cannot write %1: %2"_s.arg(dst, out.errorString());
        return false;
    }
    return true;
}

} // namespace

QList<CleanMatch> resolveCleanGlobs(const QString &cwd, const QStringList &patterns,
                                    const QList<ProtectedPath> &protect)
{
    QList<CleanMatch> out;
    const QString root = QFileInfo(cwd).canonicalFilePath();
    for (const QString &pattern : patterns) {
        if (pattern.trimmed().isEmpty()) {
            out.append(refusedPattern(pattern, u"empty pattern"_s));
            continue;
        }
        if (QDir::isAbsolutePath(pattern) || pattern.startsWith(u'~')) {
            out.append(
                refusedPattern(pattern, u"absolute path: patterns must be relative to the service's cwd"_s));
            continue;
        }
        QStringList parts = pattern.split(u'/', Qt::SkipEmptyParts);
        if (parts.contains(u".."_s)) {
            out.append(
                refusedPattern(pattern, u"contains a \"..\" component: it could leave the service's cwd"_s));
            continue;
        }
        parts.removeAll(u"."_s);
        if (parts.isEmpty()) {
            out.append(refusedPattern(pattern, u"matches the service's cwd itself"_s));
            continue;
        }
        if (root.isEmpty()) {
            out.append(refusedPattern(pattern, u"the cwd %1 does not exist"_s.arg(cwd)));
            continue;
        }

        QStringList current{QDir::cleanPath(cwd)};
        for (qsizetype i = 0; i < parts.size(); ++i) {
            const QString &part = parts.at(i);
            const bool last = i == parts.size() - 1;
            QStringList next;
            for (const QString &dir : std::as_const(current)) {
                if (hasWildcard(part)) {
                    QDir d(dir);
                    QDir::Filters filters =
                        QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System | QDir::CaseSensitive;
                    if (part.startsWith(u'.'))
                        filters |= QDir::Hidden;
                    const QStringList names = d.entryList(QStringList{part}, filters, QDir::Name);
                    for (const QString &name : names) {
                        const QString p = dir + u'/' + name;
                        if (last || QFileInfo(p).isDir())
                            next.append(p);
                    }
                } else {
                    const QString p = dir + u'/' + part;
                    const QFileInfo fi(p);
                    if ((fi.exists() || fi.isSymLink()) && (last || fi.isDir()))
                        next.append(p);
                }
            }
            current = next;
        }

        for (const QString &p : std::as_const(current)) {
            const QFileInfo fi(p);
            CleanMatch m;
            m.pattern = pattern;
            m.path = p;
            m.isDir = fi.isDir() && !fi.isSymLink();
            m.bytes = (m.isDir || fi.isSymLink()) ? -1 : fi.size();
            const QString canonical = fi.canonicalFilePath();
            const QString parent = QFileInfo(fi.absolutePath()).canonicalFilePath();
            const QString guarded =
                parent.isEmpty() ? QString()
                                 : protectedReason(fi, canonical, parent + u'/' + fi.fileName(), protect);
            if (!guarded.isEmpty()) {
                m.refused = true;
                m.reason = guarded;
            } else if (fi.isSymLink() && canonical.isEmpty()) {
                m.refused = true;
                m.reason = u"dangling symlink to %1"_s.arg(fi.symLinkTarget());
            } else if (parent != root && !isInside(parent, root)) {
                m.refused = true;
                m.reason = u"its folder resolves to %1, outside the service's cwd %2"_s.arg(parent, root);
            } else if (!isInside(canonical, root)) {
                m.refused = true;
                m.reason = u"resolves to %1, outside the service's cwd %2"_s.arg(canonical, root);
            }
            out.append(m);
        }
    }
    return out;
}

bool removeCleanMatch(const CleanMatch &match, QString *error)
{
    if (match.refused) {
        *error = u"refused: "_s + match.reason;
        return false;
    }
    const QFileInfo fi(match.path);
    if (fi.isDir() && !fi.isSymLink()) {
        if (!QDir(match.path).removeRecursively()) {
            *error = u"cannot remove folder %1 completely"_s.arg(match.path);
            return false;
        }
        return true;
    }
    QFile f(match.path);
    if (!f.remove()) {
        *error = u"cannot remove %1: %2"_s.arg(match.path, f.errorString());
        return false;
    }
    return true;
}

QStringList existingLogFiles(const QString &logPath, const QString &errLogPath)
{
    QStringList out;
    for (const QString &base : {logPath, errLogPath}) {
        if (QFileInfo::exists(base))
            out.append(base);
    }
    for (const QString &base : {logPath, errLogPath}) {
        // Rotated files: FILE.1, FILE.2, ... (the logger's and EventLog's scheme).
        const QFileInfo fi(base);
        const QDir dir = fi.absoluteDir();
        const QRegularExpression rx(u"^"_s + QRegularExpression::escape(fi.fileName()) + u"\\.(\\d+)$"_s);
        QList<QPair<int, QString>> rotated;
        const QStringList names = dir.entryList(QDir::Files | QDir::Hidden);
        for (const QString &name : names) {
            const QRegularExpressionMatch m = rx.match(name);
            if (m.hasMatch())
                rotated.append({m.captured(1).toInt(), dir.filePath(name)});
        }
        std::sort(rotated.begin(), rotated.end());
        for (const auto &r : std::as_const(rotated))
            out.append(r.second);
    }
    return out;
}

qint64 copyVerified(const QString &src, const QString &dst, QString *error)
{
    const qint64 size = QFileInfo(src).size();
    if (!appendRange(src, dst, 0, size, true, error))
        return -1;
    if (!samePrefix(dst, src, size, error))
        return -1;
    return size;
}

qint64 truncateAfterVerifiedCopy(const QString &src, const QString &dst, QString *error)
{
    // A stopped service's logger may still flush its last lines: catch up
    // a few times rather than lose them.
    for (int attempt = 0; attempt < 5; ++attempt) {
        const qint64 have = QFileInfo(dst).size();
        const qint64 live = QFileInfo(src).size();
        if (live < have) {
            *error = u"%1 shrank while it was being backed up (%2 -> %3 bytes); left as it is"_s.arg(src)
                         .arg(have)
                         .arg(live);
            return -1;
        }
        if (live > have && !appendRange(src, dst, have, live, false, error))
            return -1;
        if (!samePrefix(dst, src, live, error))
            return -1;
        if (QFileInfo(src).size() != live)
            continue; // written to while we compared: copy the new tail first
        QFile f(src);
        if (!f.resize(0)) {
            *error = u"cannot empty %1: %2"_s.arg(src, f.errorString());
            return -1;
        }
        return live;
    }
    *error = u"%1 keeps growing; not emptied"_s.arg(src);
    return -1;
}

static const QRegularExpression &backupNameRx()
{
    static const QRegularExpression rx(u"^\\d{8}-\\d{6}(-\\d+)?$"_s);
    return rx;
}

QString createBackupFolder(const QString &backupsDir, QString *error)
{
    if (!QDir().mkpath(backupsDir) || !QFileInfo(backupsDir).isDir()) {
        *error = u"cannot create the backup folder %1"_s.arg(backupsDir);
        return QString();
    }
    const QString stamp = QDateTime::currentDateTime().toString(u"yyyyMMdd-HHmmss"_s);
    QDir dir(backupsDir);
    for (int n = 1; n < 1000; ++n) {
        const QString name = n == 1 ? stamp : stamp + u'-' + QString::number(n);
        if (dir.exists(name))
            continue;
        if (!dir.mkdir(name)) {
            *error = u"cannot create the backup folder %1"_s.arg(dir.filePath(name));
            return QString();
        }
        return dir.filePath(name);
    }
    *error = u"too many backup folders named %1 in %2"_s.arg(stamp, backupsDir);
    return QString();
}

QStringList pruneBackupFolders(const QString &backupsDir, int keep, QStringList *errors)
{
    QStringList removed;
    QDir dir(backupsDir);
    QStringList names;
    const QStringList all = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    for (const QString &n : all) {
        if (backupNameRx().match(n).hasMatch() && !QFileInfo(dir.filePath(n)).isSymLink())
            names.append(n);
    }
    // "20250101-120000" < "20250101-120000-2" < "20250101-120001": name order is time order.
    std::sort(names.begin(), names.end(), [](const QString &a, const QString &b) {
        const QString da = a.left(15), db = b.left(15);
        if (da != db)
            return da < db;
        return a.mid(16).toInt() < b.mid(16).toInt();
    });
    const qsizetype excess = names.size() - std::max(1, keep);
    for (qsizetype i = 0; i < excess; ++i) {
        const QString path = dir.filePath(names.at(i));
        if (QDir(path).removeRecursively())
            removed.append(path);
        else if (errors)
            errors->append(u"cannot remove old backup %1"_s.arg(path));
    }
    return removed;
}

} // namespace lifeline
