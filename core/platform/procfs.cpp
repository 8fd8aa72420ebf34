// Platform-independent parts of ProcFs: the describe() text and the pure
// parsers of /proc formats (kept here so they are unit-tested on any system).
#include "platform/procfs.h"

#include <utility>

namespace lifeline {

using namespace Qt::StringLiterals;

ProcFs::ProcFs(QString root)
    : m_root(std::move(root))
{}

QString PortHolder::describe() const
{
    const QString who = user.isEmpty() ? u"uid %1"_s.arg(uid) : user;
    if (pid <= 0) {
        if (user.isEmpty())
            return u"an unknown process of uid %1"_s.arg(uid);
        return u"an unknown process of uid %1 (%2)"_s.arg(uid).arg(user);
    }
    QString text = u"PID %1 (%2)"_s.arg(pid).arg(who);
    if (!cmdline.isEmpty())
        text += u": "_s + cmdline.join(u' ');
    return text;
}

std::optional<ProcInfo> ProcFs::parseStat(const QByteArray &line)
{
    // "PID (comm) S ppid pgrp session tty tpgid flags ..." — comm is chosen by
    // the program and may hold spaces and ')' itself, so only the LAST ')'
    // closes it.
    const qsizetype open = line.indexOf('(');
    const qsizetype close = line.lastIndexOf(')');
    if (open <= 0 || close < open)
        return std::nullopt;

    bool ok = false;
    ProcInfo info;
    info.pid = line.left(open).trimmed().toInt(&ok);
    if (!ok || info.pid <= 0)
        return std::nullopt;
    info.comm = QString::fromLocal8Bit(line.mid(open + 1, close - open - 1));

    // Fields after ')': index 0 is field 3 (state), so field N is at N - 3.
    const QList<QByteArray> f = line.mid(close + 1).simplified().split(' ');
    constexpr int kRssField = 24;
    if (f.size() < kRssField - 2 || f.at(0).size() != 1)
        return std::nullopt;
    const auto field = [&f](int n) { return f.at(n - 3); };

    bool allOk = true;
    const auto toInt = [&allOk](const QByteArray &b) {
        bool good = false;
        const qint64 v = b.toLongLong(&good);
        allOk = allOk && good;
        return v;
    };
    const auto toU64 = [&allOk](const QByteArray &b) {
        bool good = false;
        const quint64 v = b.toULongLong(&good);
        allOk = allOk && good;
        return v;
    };

    info.state = field(3).at(0);
    info.ppid = static_cast<pid_t>(toInt(field(4)));
    info.pgid = static_cast<pid_t>(toInt(field(5)));
    info.sid = static_cast<pid_t>(toInt(field(6)));
    info.utime = toU64(field(14));
    info.stime = toU64(field(15));
    info.threads = static_cast<int>(toInt(field(20)));
    info.startTime = toU64(field(22));
    const qint64 rssPages = toInt(field(kRssField));
    if (!allOk)
        return std::nullopt;
    const qint64 page = pageSize();
    info.rssBytes = rssPages > 0 && page > 0 ? rssPages * page : 0;
    return info;
}

QStringList ProcFs::parseCmdline(const QByteArray &raw)
{
    QStringList args;
    if (raw.isEmpty())
        return args;
    QList<QByteArray> parts = raw.split('\0');
    // "a\0b\0" splits into a, b, "" — the trailing NUL is a terminator, not an
    // empty last argument. Without it (a process that rewrote its argv) the
    // last part is the last argument.
    if (raw.endsWith('\0'))
        parts.removeLast();
    args.reserve(parts.size());
    for (const QByteArray &p : std::as_const(parts))
        args.append(QString::fromLocal8Bit(p));
    return args;
}

} // namespace lifeline
