#include "units.h"

#include <QHash>
#include <QList>
#include <QStringList>

#include <cmath>
#include <csignal>
#include <limits>
#include <utility>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

// Durations end up in QTimer::start(int); anything longer would wrap.
constexpr qint64 kMaxDurationMs = std::numeric_limits<int>::max();

QString quoted(const QString &s)
{
    QString out = s;
    out.replace(u'\\', u"\\\\"_s).replace(u'"', u"\\\""_s);
    return u'"' + out + u'"';
}

bool isAsciiDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

const QString kDurationHint = u"(use e.g. 500ms, 3s, 5m, 1h)"_s;

} // namespace

std::optional<Millis> parseDuration(const QString &text, QString *error)
{
    const QString t = text.trimmed();
    const auto fail = [&](const QString &why) -> std::optional<Millis> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    const QString notDuration = quoted(text) + u" is not a duration "_s + kDurationHint;
    if (t.isEmpty())
        return fail(u"empty duration "_s + kDurationHint);
    if (t.startsWith(u'-'))
        return fail(quoted(text) + u" is negative; a duration must be 0 or more"_s);
    if (t == u"0"_s)
        return Millis(0);

    struct Unit
    {
        QLatin1StringView name;
        qint64 ms;
    };
    // Largest first: components must come in this order, each at most once.
    static constexpr Unit units[] = {{QLatin1StringView("d"), 86'400'000},
                                     {QLatin1StringView("h"), 3'600'000},
                                     {QLatin1StringView("m"), 60'000},
                                     {QLatin1StringView("s"), 1'000},
                                     {QLatin1StringView("ms"), 1}};
    qint64 total = 0;
    qsizetype next = 0; // index of the largest unit still allowed
    qsizetype i = 0;
    while (i < t.size()) {
        if (!isAsciiDigit(t[i]))
            return fail(notDuration);
        qint64 number = 0;
        while (i < t.size() && isAsciiDigit(t[i])) {
            // Saturates just above the limit; the check below reports it.
            if (number <= kMaxDurationMs)
                number = number * 10 + (t[i].unicode() - u'0');
            ++i;
        }
        const qsizetype unitStart = i;
        while (i < t.size() && t[i] >= u'a' && t[i] <= u'z')
            ++i;
        const QStringView unit = QStringView(t).mid(unitStart, i - unitStart);
        if (unit.isEmpty() && i == t.size())
            return fail(quoted(text) + u" has no unit "_s + kDurationHint);
        qsizetype found = -1;
        for (qsizetype k = 0; k < qsizetype(std::size(units)); ++k) {
            if (unit == units[k].name) {
                found = k;
                break;
            }
        }
        if (found < 0 || found < next)
            return fail(notDuration);
        next = found + 1;
        qint64 part = 0;
        if (__builtin_mul_overflow(number, units[found].ms, &part) ||
            __builtin_add_overflow(total, part, &total) || total > kMaxDurationMs)
            return fail(quoted(text) + u" is too long (at most 24 days)"_s);
    }
    return Millis(total);
}

std::optional<qint64> parseAge(const QString &text, QString *error)
{
    const QString t = text.trimmed();
    constexpr qint64 kDay = 86'400;
    constexpr qint64 kMaxDays = 36'525;
    const qint64 unit = t.endsWith(u'd') ? kDay : t.endsWith(u'w') ? 7 * kDay : 0;
    bool ok = false;
    const qint64 count = unit && isAsciiDigit(t.front()) ? t.chopped(1).toLongLong(&ok) : 0;
    if (ok && count <= kMaxDays * kDay / unit)
        return count * unit;
    if (ok) {
        if (error)
            *error = quoted(text) + u" is too long (at most 36525d)"_s;
        return std::nullopt;
    }
    const std::optional<Millis> d = parseDuration(text, error);
    if (!d)
        return std::nullopt;
    return d->count() / 1000;
}

std::optional<qint64> parseSize(const QString &text, QString *error)
{
    const QString t = text.trimmed();
    const auto fail = [&](const QString &why) -> std::optional<qint64> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    const QString notSize = quoted(text) + u" is not a size (use e.g. 4096, 512KB, 10MB, 1GiB)"_s;
    if (t.isEmpty())
        return fail(u"empty size (use e.g. 4096, 512KB, 10MB, 1GiB)"_s);
    if (t.startsWith(u'-'))
        return fail(quoted(text) + u" is negative; a size must be 0 or more"_s);
    qsizetype i = 0;
    while (i < t.size() && isAsciiDigit(t[i]))
        ++i;
    const QString whole = t.left(i);
    QString fraction;
    if (i < t.size() && t[i] == u'.') {
        const qsizetype start = ++i;
        while (i < t.size() && isAsciiDigit(t[i]))
            ++i;
        fraction = t.mid(start, i - start);
        if (fraction.isEmpty())
            return fail(notSize);
    }
    if (whole.isEmpty())
        return fail(notSize);
    const QString unit = t.mid(i).trimmed().toUpper();
    static const QHash<QString, qint64> multipliers{
        {QString(), 1},
        {u"B"_s, 1},
        {u"K"_s, 1000},
        {u"KB"_s, 1000},
        {u"KIB"_s, 1024},
        {u"M"_s, 1000 * 1000},
        {u"MB"_s, 1000 * 1000},
        {u"MIB"_s, 1024 * 1024},
        {u"G"_s, 1000LL * 1000 * 1000},
        {u"GB"_s, 1000LL * 1000 * 1000},
        {u"GIB"_s, 1024LL * 1024 * 1024},
        {u"T"_s, 1000LL * 1000 * 1000 * 1000},
        {u"TB"_s, 1000LL * 1000 * 1000 * 1000},
        {u"TIB"_s, 1024LL * 1024 * 1024 * 1024},
    };
    const auto it = multipliers.constFind(unit);
    if (it == multipliers.cend())
        return fail(notSize);
    const QString tooLarge = quoted(text) + u" is too large"_s;
    if (whole.size() > 18)
        return fail(tooLarge);
    qint64 bytes = 0;
    if (__builtin_mul_overflow(whole.toLongLong(), it.value(), &bytes) || bytes > kMaxSize)
        return fail(tooLarge);
    if (!fraction.isEmpty()) {
        const double frac = QString(u"0."_s + fraction).toDouble();
        bytes += qint64(std::llround(frac * double(it.value())));
        if (bytes > kMaxSize)
            return fail(tooLarge);
    }
    return bytes;
}

std::optional<int> parseSignal(const QString &text, QString *error)
{
    static const QList<std::pair<QString, int>> names{
        {u"TERM"_s, SIGTERM}, {u"INT"_s, SIGINT},   {u"QUIT"_s, SIGQUIT}, {u"HUP"_s, SIGHUP},
        {u"KILL"_s, SIGKILL}, {u"USR1"_s, SIGUSR1}, {u"USR2"_s, SIGUSR2},
    };
    QString t = text.trimmed().toUpper();
    bool isNumber = false;
    const int number = t.toInt(&isNumber);
    if (isNumber && number >= 1 && number <= 64)
        return number;
    if (t.startsWith(u"SIG"_s))
        t = t.mid(3);
    for (const auto &[name, value] : names) {
        if (name == t)
            return value;
    }
    if (error) {
        QStringList list;
        for (const auto &entry : names)
            list.append(entry.first);
        *error = u"expected one of "_s + list.join(u", "_s) +
                 u" (with or without SIG) or a number 1-64, got "_s + quoted(text);
    }
    return std::nullopt;
}

namespace {

QString formatCoarse(qint64 seconds)
{
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60)
        return u"%1s"_s.arg(seconds);
    if (seconds < 3600)
        return u"%1m%2s"_s.arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
    if (seconds < 86400)
        return u"%1h%2m"_s.arg(seconds / 3600).arg((seconds % 3600) / 60, 2, 10, QLatin1Char('0'));
    return u"%1d%2h"_s.arg(seconds / 86400).arg((seconds % 86400) / 3600, 2, 10, QLatin1Char('0'));
}

} // namespace

QString formatUptime(qint64 seconds)
{
    return formatDuration(Millis(seconds * 1000), DurationStyle::Coarse);
}

QString formatDuration(Millis d, DurationStyle style)
{
    if (style == DurationStyle::Coarse)
        return formatCoarse(d.count() / 1000);
    qint64 ms = d.count();
    if (ms == 0)
        return u"0s"_s;
    QString out;
    if (ms < 0) {
        out += u'-';
        ms = -ms;
    }
    static constexpr std::pair<qint64, char16_t> units[] = {
        {86'400'000, u'd'}, {3'600'000, u'h'}, {60'000, u'm'}, {1'000, u's'}};
    for (const auto &[size, name] : units) {
        if (ms >= size) {
            out += QString::number(ms / size) + QChar(name);
            ms %= size;
        }
    }
    if (ms > 0)
        out += QString::number(ms) + u"ms"_s;
    return out;
}

QString formatSize(qint64 bytes)
{
    if (bytes < 0)
        return u"-"_s + formatSize(-bytes);
    if (bytes < 1000)
        return QString::number(bytes) + u" B"_s;
    // Decimal multiples, as parseSize() reads "500MB": a limit written as
    // 500MB is shown as 500 MB, never as 476.8.
    static const char16_t *const names[] = {u"KB", u"MB", u"GB", u"TB", u"PB"};
    double value = double(bytes) / 1000.0;
    int unit = 0;
    while (value >= 999.95 && unit < 4) {
        value /= 1000.0;
        ++unit;
    }
    QString number = QString::number(value, 'f', 1);
    if (number.endsWith(u".0"_s))
        number.chop(2);
    return number + u' ' + QString::fromUtf16(names[unit]);
}

QString sizeUnit(const QString &text)
{
    qsizetype i = 0;
    while (i < text.size() && (isAsciiDigit(text[i]) || text[i] == u'.' || text[i].isSpace()))
        ++i;
    const QString unit = text.mid(i).trimmed().toUpper();
    static const QHash<QString, QString> canonical{
        {u"K"_s, u"KB"_s},    {u"KB"_s, u"KB"_s},   {u"KIB"_s, u"KiB"_s}, {u"M"_s, u"MB"_s},
        {u"MB"_s, u"MB"_s},   {u"MIB"_s, u"MiB"_s}, {u"G"_s, u"GB"_s},    {u"GB"_s, u"GB"_s},
        {u"GIB"_s, u"GiB"_s}, {u"T"_s, u"TB"_s},    {u"TB"_s, u"TB"_s},   {u"TIB"_s, u"TiB"_s},
    };
    return canonical.value(unit);
}

QString formatSizeIn(qint64 bytes, const QString &unit)
{
    static const QHash<QString, qint64> multipliers{
        {u"KB"_s, 1000},
        {u"KiB"_s, 1024},
        {u"MB"_s, 1000 * 1000},
        {u"MiB"_s, 1024 * 1024},
        {u"GB"_s, 1000LL * 1000 * 1000},
        {u"GiB"_s, 1024LL * 1024 * 1024},
        {u"TB"_s, 1000LL * 1000 * 1000 * 1000},
        {u"TiB"_s, 1024LL * 1024 * 1024 * 1024},
    };
    const qint64 multiplier = multipliers.value(unit);
    if (multiplier == 0)
        return formatSize(bytes);
    const double value = double(bytes) / double(multiplier);
    // Whole units from 10 up, one decimal below: "152 MiB", "1.5 GiB".
    if (std::abs(value) >= 10 || std::abs(value - std::round(value)) < 0.05)
        return QString::number(qint64(std::llround(value))) + u' ' + unit;
    return QString::number(value, 'f', 1) + u' ' + unit;
}

QString signalName(int sig)
{
    switch (sig) {
    case SIGHUP:
        return QStringLiteral("SIGHUP");
    case SIGINT:
        return QStringLiteral("SIGINT");
    case SIGQUIT:
        return QStringLiteral("SIGQUIT");
    case SIGILL:
        return QStringLiteral("SIGILL");
    case SIGTRAP:
        return QStringLiteral("SIGTRAP");
    case SIGABRT:
        return QStringLiteral("SIGABRT");
    case SIGBUS:
        return QStringLiteral("SIGBUS");
    case SIGFPE:
        return QStringLiteral("SIGFPE");
    case SIGKILL:
        return QStringLiteral("SIGKILL");
    case SIGUSR1:
        return QStringLiteral("SIGUSR1");
    case SIGSEGV:
        return QStringLiteral("SIGSEGV");
    case SIGUSR2:
        return QStringLiteral("SIGUSR2");
    case SIGPIPE:
        return QStringLiteral("SIGPIPE");
    case SIGALRM:
        return QStringLiteral("SIGALRM");
    case SIGTERM:
        return QStringLiteral("SIGTERM");
    case SIGXCPU:
        return QStringLiteral("SIGXCPU");
    case SIGXFSZ:
        return QStringLiteral("SIGXFSZ");
    default:
        return QStringLiteral("signal %1").arg(sig);
    }
}

} // namespace lifeline
