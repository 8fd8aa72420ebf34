#include "diagnostics/crashrecord.h"

#include "util/units.h"

#include <QDateTime>
#include <QJsonArray>

#include <algorithm>
#include <functional>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

QString cleanLine(QString text, bool *cut)
{
    if (text.size() > CrashRecord::kMaxLineChars) {
        const qsizetype dropped = text.size() - CrashRecord::kMaxLineChars;
        text.truncate(CrashRecord::kMaxLineChars);
        text += u" … (%1 more characters)"_s.arg(dropped);
        *cut = true;
    }
    for (QChar &c : text) {
        if ((c.unicode() < 0x20 && c != u'\t') || c.unicode() == 0x7f)
            c = QChar::ReplacementCharacter;
    }
    return text;
}

QString timeText(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(u"yyyy-MM-dd HH:mm:ss"_s);
}

QString intList(const QList<int> &values)
{
    QStringList out;
    for (int v : values)
        out << QString::number(v);
    return out.join(u", "_s);
}

QJsonArray pointsJson(const QList<QPointF> &points)
{
    QJsonArray out;
    for (const QPointF &p : points)
        out.append(QJsonArray{qint64(p.x()), p.y()});
    return out;
}

QList<QPointF> pointsOf(const QJsonValue &value)
{
    QList<QPointF> out;
    for (const QJsonValue &v : value.toArray()) {
        const QJsonArray pair = v.toArray();
        out.append(QPointF(pair.at(0).toDouble(), pair.at(1).toDouble()));
    }
    return out;
}

QJsonArray intsJson(const QList<int> &values)
{
    QJsonArray out;
    for (int v : values)
        out.append(v);
    return out;
}

QList<int> intsOf(const QJsonValue &value)
{
    QList<int> out;
    for (const QJsonValue &v : value.toArray())
        out.append(v.toInt());
    return out;
}

// min / avg / max of a series, "-" when empty.
QString spread(const QList<QPointF> &points, const std::function<QString(double)> &format)
{
    if (points.isEmpty())
        return u"no samples"_s;
    double lo = points.first().y();
    double hi = lo;
    double sum = 0;
    for (const QPointF &p : points) {
        lo = std::min(lo, p.y());
        hi = std::max(hi, p.y());
        sum += p.y();
    }
    return u"min %1, avg %2, max %3, last %4"_s.arg(format(lo), format(sum / double(points.size())),
                                                    format(hi), format(points.last().y()));
}

// The highest value of each 30 s before the exit, newest last.
QList<std::pair<int, double>> perHalfMinute(const QList<QPointF> &points, qint64 endMs)
{
    QList<std::pair<int, double>> out;
    for (int k = 9; k >= 0; --k) {
        const qint64 from = endMs - qint64(k + 1) * 30'000;
        const qint64 to = endMs - qint64(k) * 30'000;
        double best = -1;
        for (const QPointF &p : points) {
            if (p.x() > from && p.x() <= to)
                best = std::max(best, p.y());
        }
        out.append({(k + 1) * 30, best});
    }
    return out;
}

QString percentText(double v)
{
    return QString::number(v, 'f', 1) + u" %"_s;
}

QString bytesText(double v)
{
    return formatSize(qint64(v));
}

} // namespace

void CrashRecord::setOutput(const QList<OutputLine> &lines)
{
    output.clear();
    const qsizetype first = std::max<qsizetype>(0, lines.size() - kMaxLines);
    outputCut = first > 0;
    qsizetype total = 0;
    // Newest first, so that the total cap drops the oldest.
    for (qsizetype i = lines.size() - 1; i >= first; --i) {
        OutputLine line{lines.at(i).err, cleanLine(lines.at(i).text, &outputCut)};
        total += line.text.size();
        if (total > kMaxOutputChars) {
            outputCut = true;
            break;
        }
        output.prepend(std::move(line));
    }
}

QString CrashRecord::toMarkdown() const
{
    QString md;
    md += u"## Crash of %1 at %2\n\n"_s.arg(service, timeText(timeMs));
    md += u"- **Cause:** %1\n"_s.arg(cause);
    if (!reason.isEmpty() && reason != exit)
        md += u"- **Reason:** %1\n"_s.arg(reason);
    md += u"- **Exit:** %1"_s.arg(exit);
    if (exitCode >= 0)
        md += u" (exit status %1)"_s.arg(exitCode);
    md += u'\n';
    if (pid > 0)
        md += u"- **PID:** %1\n"_s.arg(pid);
    if (uptimeMs >= 0)
        md += u"- **Ran for:** %1\n"_s.arg(formatDuration(Millis(uptimeMs)));
    md += u"- **OOM killer:** "_s;
    if (oomKills < 0)
        md += u"no oom_kill counter readable\n"_s;
    else
        md += u"oom_kill of %1 rose by %2 during the run\n"_s.arg(oomCounter).arg(oomKills);
    md += u"- **Ports:** %1\n"_s.arg(ports.isEmpty() ? u"none configured"_s : intList(ports));
    if (!listeningPorts.isEmpty())
        md += u"- **Listening at the end:** %1\n"_s.arg(intList(listeningPorts));
    if (!cwd.isEmpty())
        md += u"- **Working directory:** `%1`\n"_s.arg(cwd);
    if (!gitCommit.isEmpty())
        md += u"- **Git commit:** `%1`%2\n"_s.arg(gitCommit,
                                                  gitRef.isEmpty() ? u" (detached)"_s : u" on "_s + gitRef);

    md += u"\n### CPU and memory, last 5 minutes\n\n"_s;
    md += u"- CPU: %1\n"_s.arg(spread(cpu, percentText));
    md += u"- RSS: %1\n"_s.arg(spread(rss, bytesText));
    if (!cpu.isEmpty() || !rss.isEmpty()) {
        md += u"\n| seconds before | CPU (max) | RSS (max) |\n|---:|---:|---:|\n"_s;
        const auto c = perHalfMinute(cpu, timeMs);
        const auto r = perHalfMinute(rss, timeMs);
        for (qsizetype i = 0; i < c.size(); ++i) {
            md += u"| %1 | %2 | %3 |\n"_s.arg(c.at(i).first)
                      .arg(c.at(i).second < 0 ? u"–"_s : percentText(c.at(i).second),
                           r.at(i).second < 0 ? u"–"_s : bytesText(r.at(i).second));
        }
    }

    md += u"\n### Last %1 lines of output (stdout and stderr, in order)\n\n"_s.arg(output.size());
    if (output.isEmpty()) {
        md += (outputNote.isEmpty() ? u"(no output)"_s : outputNote) + u'\n';
        return md;
    }
    // A fence longer than any run of backticks in the output cannot be closed by it.
    int longest = 0;
    for (const OutputLine &l : output) {
        int run = 0;
        for (QChar c : l.text) {
            run = c == u'`' ? run + 1 : 0;
            longest = std::max(longest, run);
        }
    }
    const QString fence(std::max(3, longest + 1), u'`');
    md += fence + u'\n';
    for (const OutputLine &l : output)
        md += (l.err ? u"err| "_s : u"out| "_s) + l.text + u'\n';
    md += fence + u'\n';
    if (outputCut)
        md += u"\n(Lines were shortened or left out to keep the record small.)\n"_s;
    return md;
}

QJsonObject CrashRecord::toJson() const
{
    QJsonArray lines;
    for (const OutputLine &l : output)
        lines.append(QJsonObject{{u"stream"_s, l.err ? u"stderr"_s : u"stdout"_s}, {u"text"_s, l.text}});
    return QJsonObject{
        {u"id"_s, id},
        {u"service"_s, service},
        {u"time_ms"_s, timeMs},
        {u"time"_s, QDateTime::fromMSecsSinceEpoch(timeMs).toString(Qt::ISODateWithMs)},
        {u"cause"_s, cause},
        {u"reason"_s, reason},
        {u"exit"_s, exit},
        {u"exit_code"_s, exitCode},
        {u"signal"_s, signal},
        {u"pid"_s, pid},
        {u"uptime_ms"_s, uptimeMs},
        {u"oom_counter"_s, oomCounter},
        {u"oom_kills"_s, oomKills},
        {u"output"_s, lines},
        {u"output_cut"_s, outputCut},
        {u"output_note"_s, outputNote},
        {u"cpu_percent"_s, pointsJson(cpu)},
        {u"rss_bytes"_s, pointsJson(rss)},
        {u"ports"_s, intsJson(ports)},
        {u"listening_ports"_s, intsJson(listeningPorts)},
        {u"cwd"_s, cwd},
        {u"git_commit"_s, gitCommit},
        {u"git_ref"_s, gitRef},
    };
}

CrashRecord CrashRecord::fromJson(const QJsonObject &json)
{
    CrashRecord r;
    r.id = json.value(u"id"_s).toInteger();
    r.service = json.value(u"service"_s).toString();
    r.timeMs = json.value(u"time_ms"_s).toInteger();
    r.cause = json.value(u"cause"_s).toString();
    r.reason = json.value(u"reason"_s).toString();
    r.exit = json.value(u"exit"_s).toString();
    r.exitCode = json.value(u"exit_code"_s).toInt(-1);
    r.signal = json.value(u"signal"_s).toInt();
    r.pid = json.value(u"pid"_s).toInteger();
    r.uptimeMs = json.value(u"uptime_ms"_s).toInteger(-1);
    r.oomCounter = json.value(u"oom_counter"_s).toString();
    r.oomKills = json.value(u"oom_kills"_s).toInteger(-1);
    for (const QJsonValue &v : json.value(u"output"_s).toArray()) {
        const QJsonObject o = v.toObject();
        r.output.append({o.value(u"stream"_s).toString() == u"stderr"_s, o.value(u"text"_s).toString()});
    }
    r.outputCut = json.value(u"output_cut"_s).toBool();
    r.outputNote = json.value(u"output_note"_s).toString();
    r.cpu = pointsOf(json.value(u"cpu_percent"_s));
    r.rss = pointsOf(json.value(u"rss_bytes"_s));
    r.ports = intsOf(json.value(u"ports"_s));
    r.listeningPorts = intsOf(json.value(u"listening_ports"_s));
    r.cwd = json.value(u"cwd"_s).toString();
    r.gitCommit = json.value(u"git_commit"_s).toString();
    r.gitRef = json.value(u"git_ref"_s).toString();
    return r;
}

CrashSummary CrashSummary::of(const CrashRecord &record)
{
    return {record.id, record.service, record.timeMs, record.cause, record.exit, record.exitCode};
}

QJsonObject CrashSummary::toJson() const
{
    return QJsonObject{
        {u"id"_s, id},
        {u"service"_s, service},
        {u"time_ms"_s, timeMs},
        {u"time"_s, QDateTime::fromMSecsSinceEpoch(timeMs).toString(Qt::ISODateWithMs)},
        {u"cause"_s, cause},
        {u"exit"_s, exit},
        {u"exit_code"_s, exitCode},
    };
}

QString crashCauseOfFailure(const QString &reason)
{
    // The reasons are Lifeline's own (HealthMonitor via the supervisor,
    // MetricsSampler::memoryLimitReason / cpuLimitReason).
    if (reason.startsWith(u"unhealthy"_s))
        return u"unhealthy"_s;
    if (reason.startsWith(u"memory "_s))
        return u"memory limit"_s;
    if (reason.startsWith(u"cpu limit"_s))
        return u"cpu limit"_s;
    return u"restarted after a failure"_s;
}

} // namespace lifeline
