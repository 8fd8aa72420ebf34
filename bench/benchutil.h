// Small helpers shared by the bench programs (bench/*.cpp): statistics with
// the same conventions as common.sh's summarize (p95 nearest rank, median of
// the two middle values), /proc/self figures, and markdown output.
#pragma once

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QList>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace lifeline::bench {

struct Stats
{
    qsizetype n = 0;
    double median = 0;
    double p95 = 0;
    double min = 0;
    double max = 0;
    double mean = 0;
};

inline Stats summarize(QList<double> v)
{
    Stats s;
    s.n = v.size();
    if (v.isEmpty())
        return s;
    std::sort(v.begin(), v.end());
    const qsizetype n = v.size();
    s.median = (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    const auto rank = static_cast<qsizetype>(std::ceil(0.95 * static_cast<double>(n)));
    s.p95 = v[std::clamp<qsizetype>(rank, 1, n) - 1];
    s.min = v.front();
    s.max = v.back();
    double sum = 0;
    for (double x : v)
        sum += x;
    s.mean = sum / static_cast<double>(n);
    return s;
}

// The p-quantile (0..1) of v by the nearest-rank method; 0 when empty.
inline double percentile(QList<double> v, double p)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<qsizetype>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::clamp<qsizetype>(rank, 1, v.size()) - 1];
}

inline QString fmt(double v, int decimals = 2)
{
    return QString::number(v, 'f', decimals);
}

// "| n | median | p95 | min | max | mean |" cells for a markdown table row.
inline QString statCells(const Stats &s, int decimals = 2)
{
    return QStringLiteral("%1 | %2 | %3 | %4 | %5 | %6")
        .arg(s.n)
        .arg(fmt(s.median, decimals), fmt(s.p95, decimals), fmt(s.min, decimals), fmt(s.max, decimals),
             fmt(s.mean, decimals));
}

// Fields after the command name of /proc/PID/stat (field 3 is index 0).
inline QList<QByteArray> statFields(const QString &pid = QStringLiteral("self"))
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray line = f.readAll();
    const qsizetype close = line.lastIndexOf(')');
    if (close < 0)
        return {};
    return line.mid(close + 2).trimmed().split(' ');
}

// utime + stime of this process, in clock ticks.
inline qint64 selfCpuTicks()
{
    const QList<QByteArray> f = statFields();
    if (f.size() < 13)
        return -1;
    return f[11].toLongLong() + f[12].toLongLong();
}

inline qint64 clockTicks()
{
    return sysconf(_SC_CLK_TCK);
}

// VmRSS (or VmHWM with peak = true) of PID, in KiB.
inline qint64 rssKib(const QString &pid = QStringLiteral("self"), bool peak = false)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray key = peak ? QByteArrayLiteral("VmHWM:") : QByteArrayLiteral("VmRSS:");
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').value(0).toLongLong();
    }
    return 0;
}

inline int processCount()
{
    int n = 0;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool ok = false;
        e.toInt(&ok);
        n += ok ? 1 : 0;
    }
    return n;
}

inline void out(const QString &text)
{
    std::fputs(text.toUtf8().constData(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

inline void note(const QString &text)
{
    std::fprintf(stderr, "[bench] %s\n", text.toUtf8().constData());
}

} // namespace lifeline::bench
