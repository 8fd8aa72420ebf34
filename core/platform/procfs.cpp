// Platform-independent parts of ProcFs: the describe() text and the pure
// parsers of /proc formats (kept here so they are unit-tested on any system).
#include "platform/procfs.h"

#include <QByteArrayView>

#include <algorithm>
#include <array>
#include <charconv>
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

bool OomKillCounts::roseBy(const OomKillCounts &later) const
{
    const auto rose = [](const std::optional<quint64> &a, const std::optional<quint64> &b) {
        return a && b && *b > *a;
    };
    return rose(system, later.system) || rose(cgroup, later.cgroup);
}

std::optional<quint64> ProcFs::parseCounter(const QByteArray &text, const QByteArray &key)
{
    for (const QByteArray &line : text.split('\n')) {
        const QList<QByteArray> f = line.simplified().split(' ');
        if (f.size() != 2 || f.at(0) != key)
            continue;
        bool ok = false;
        const quint64 v = f.at(1).toULongLong(&ok);
        if (ok)
            return v;
    }
    return std::nullopt;
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

    // Fields after ')', split on whitespace in place: this runs for every
    // process of every service on every tick, so no allocation per field.
    // Index 0 is field 3 (state), so field N is at N - 3.
    constexpr int kRssField = 24;
    constexpr int kWanted = kRssField - 2; // fields 3..24
    std::array<QByteArrayView, kWanted> f;
    int count = 0;
    const char *p = line.constData() + close + 1;
    const char *const end = line.constData() + line.size();
    const auto isSpace = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    };
    while (count < kWanted) {
        while (p < end && isSpace(*p))
            ++p;
        if (p == end)
            break;
        const char *const start = p;
        while (p < end && !isSpace(*p))
            ++p;
        f[std::size_t(count++)] = QByteArrayView(start, p - start);
    }
    if (count < kWanted || f[0].size() != 1)
        return std::nullopt;
    const auto field = [&f](int n) { return f[std::size_t(n - 3)]; };

    bool allOk = true;
    const auto number = [&allOk](QByteArrayView b, auto zero) {
        decltype(zero) v = 0;
        const auto [ptr, ec] = std::from_chars(b.data(), b.data() + b.size(), v);
        allOk = allOk && ec == std::errc() && ptr == b.data() + b.size();
        return v;
    };

    info.state = field(3).at(0);
    info.ppid = static_cast<pid_t>(number(field(4), qint64()));
    info.pgid = static_cast<pid_t>(number(field(5), qint64()));
    info.sid = static_cast<pid_t>(number(field(6), qint64()));
    info.utime = number(field(14), quint64());
    info.stime = number(field(15), quint64());
    info.threads = static_cast<int>(number(field(20), qint64()));
    info.startTime = number(field(22), quint64());
    const qint64 rssPages = number(field(kRssField), qint64());
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

namespace {

// Value of "Key:   1234 kB" in kB, or -1.
qint64 memInfoField(QByteArrayView line, QByteArrayView key)
{
    if (!line.startsWith(key) || line.size() <= key.size() || line.at(key.size()) != ':')
        return -1;
    QByteArray rest = line.sliced(key.size() + 1).toByteArray().trimmed();
    if (rest.endsWith("kB"))
        rest.chop(2);
    bool ok = false;
    const qint64 v = rest.trimmed().toLongLong(&ok);
    return ok ? v : -1;
}

} // namespace

std::optional<MemInfo> parseMemInfo(QByteArrayView text)
{
    qint64 total = -1, available = -1, freeMem = -1, buffers = -1, cached = -1, swapTotal = -1, swapFree = -1;
    struct Want
    {
        QByteArrayView key;
        qint64 *out;
    };
    const Want wants[] = {{"MemTotal", &total},   {"MemAvailable", &available}, {"MemFree", &freeMem},
                          {"Buffers", &buffers},  {"Cached", &cached},          {"SwapTotal", &swapTotal},
                          {"SwapFree", &swapFree}};
    qsizetype pos = 0;
    while (pos < text.size()) {
        qsizetype end = text.indexOf('\n', pos);
        if (end < 0)
            end = text.size();
        const QByteArrayView line = text.sliced(pos, end - pos);
        pos = end + 1;
        for (const Want &w : wants) {
            const qint64 v = memInfoField(line, w.key);
            if (v >= 0) {
                *w.out = v;
                break;
            }
        }
    }
    if (total <= 0)
        return std::nullopt;
    MemInfo m;
    m.totalBytes = total * 1024;
    if (available >= 0)
        m.availableBytes = available * 1024;
    else // kernels before 3.14 have no MemAvailable: the classic approximation
        m.availableBytes =
            (std::max<qint64>(freeMem, 0) + std::max<qint64>(buffers, 0) + std::max<qint64>(cached, 0)) *
            1024;
    m.availableBytes = std::min(m.availableBytes, m.totalBytes);
    m.swapTotalBytes = std::max<qint64>(swapTotal, 0) * 1024;
    m.swapFreeBytes = std::min(std::max<qint64>(swapFree, 0) * 1024, m.swapTotalBytes);
    return m;
}

} // namespace lifeline
