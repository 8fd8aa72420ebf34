#include "errors/errordetector.h"

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

bool isWordChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_';
}

// `word` at `at` in `line`, standing alone (ERROR, not ERRORS or MY_ERROR).
bool wordAt(QStringView line, qsizetype at, QLatin1StringView word)
{
    if (!line.sliced(at).startsWith(word))
        return false;
    const qsizetype end = at + word.size();
    return (at == 0 || !isWordChar(line[at - 1])) && (end == line.size() || !isWordChar(line[end]));
}

bool startsWithSpace(QStringView line)
{
    return !line.isEmpty() && (line.front() == u' ' || line.front() == u'\t');
}

} // namespace

ErrorDetector::ErrorDetector(const QList<QRegularExpression> &patterns, bool defaultPatterns)
    : m_patterns(patterns)
    , m_defaults(defaultPatterns)
{}

std::optional<ErrorEvent::Kind> ErrorDetector::defaultTrigger(QStringView line)
{
    using Kind = ErrorEvent::Kind;
    if (line.startsWith(u"panic: ") || line.startsWith(u"fatal error: "))
        return Kind::Go;
    std::optional<Kind> found;
    const qsizetype n = line.size();
    const QChar *data = line.data();
    // Only four capitals can start a trigger: one comparison per character
    // for the lines that have none of them.
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = data[i].unicode();
        if (c != u'T' && c != u'E' && c != u'C' && c != u'F')
            continue;
        const QStringView rest = line.sliced(i);
        if (c == u'T' && rest.startsWith(u"Traceback (most recent call last)"))
            return Kind::Python;
        if (c == u'E') {
            // "TypeError: x", "Error: x", "java.lang.IllegalStateException: x", "Exception in thread".
            for (QLatin1StringView word : {"Error"_L1, "Exception"_L1}) {
                if (!rest.startsWith(word))
                    continue;
                const QStringView after = rest.sliced(word.size());
                if (after.isEmpty() || after.startsWith(u':') || after.startsWith(u" in thread"))
                    found = Kind::Stack;
            }
            if (!found && wordAt(line, i, "ERROR"_L1))
                found = Kind::Line;
        } else if ((c == u'C' && wordAt(line, i, "CRITICAL"_L1)) ||
                   (c == u'F' && wordAt(line, i, "FATAL"_L1))) {
            found = found.value_or(Kind::Line);
        }
    }
    return found;
}

bool ErrorDetector::continues(const QString &line)
{
    using Kind = ErrorEvent::Kind;
    switch (m_open->kind) {
    case Kind::Python:
        if (m_pythonEnded) {
            // Only a chained traceback goes on after the exception line.
            if (line.isEmpty())
                return true;
            if (line.startsWith(u"During handling"_s) || line.startsWith(u"The above exception"_s) ||
                line.startsWith(u"Traceback (most recent call last)"_s)) {
                m_pythonEnded = false;
                return true;
            }
            return false;
        }
        if (!startsWithSpace(line) && !line.isEmpty() && !line.startsWith(u"Traceback"_s) &&
            !line.startsWith(u"During handling"_s) && !line.startsWith(u"The above exception"_s))
            m_pythonEnded = true; // the exception line itself belongs
        return true;
    case Kind::Go:
        return line.isEmpty() || startsWithSpace(line) || line.startsWith(u"goroutine "_s) ||
               line.startsWith(u"created by "_s) || line.startsWith(u"[signal "_s) ||
               line.startsWith(u"exit status "_s) || line.endsWith(u')') || line.endsWith(u"[recovered]"_s);
    case Kind::Stack:
    case Kind::Line:
        if (line.startsWith(u"Caused by: "_s) || startsWithSpace(line))
            return true;
        // logger.exception(): the ERROR line, then the traceback.
        if (line.startsWith(u"Traceback (most recent call last)"_s)) {
            m_open->kind = Kind::Python;
            return true;
        }
        return false;
    }
    return false;
}

void ErrorDetector::append(const QString &line, qint64 nowMs)
{
    ErrorEvent &e = *m_open;
    ++m_openLines;
    e.lastLineMs = nowMs;
    if (e.lines.size() >= kMaxEventLines || e.bytes + line.size() > kMaxEventBytes) {
        ++e.droppedLines;
        return;
    }
    e.lines.append(line);
    e.bytes += line.size();
}

void ErrorDetector::open(ErrorEvent::Kind kind, const QString &line, qint64 nowMs)
{
    m_open.emplace();
    m_open->kind = kind;
    m_openLines = 0;
    m_pythonEnded = false;
    // The headline is kept whole even when it is huge: the sample caps it.
    append(line.size() > kMaxEventBytes ? line.left(kMaxEventBytes) : line, nowMs);
}

void ErrorDetector::feed(const QString &line, qint64 nowMs, QList<ErrorEvent> &out)
{
    if (m_open) {
        if (continues(line)) {
            append(line, nowMs);
            if (m_openLines >= kMaxOpenLines)
                close(out);
            return;
        }
        close(out);
    }
    std::optional<ErrorEvent::Kind> kind;
    if (m_defaults)
        kind = defaultTrigger(line);
    if (!kind) {
        for (const QRegularExpression &re : m_patterns) {
            if (re.match(line).hasMatch()) {
                kind = ErrorEvent::Kind::Line;
                break;
            }
        }
    }
    if (kind)
        open(*kind, line, nowMs);
}

void ErrorDetector::closeIfQuiet(qint64 nowMs, qint64 quietMs, QList<ErrorEvent> &out)
{
    if (m_open && nowMs - m_open->lastLineMs >= quietMs)
        close(out);
}

void ErrorDetector::close(QList<ErrorEvent> &out)
{
    if (!m_open)
        return;
    ErrorEvent e = std::move(*m_open);
    m_open.reset();
    // Blank lines held for a chained traceback that did not come.
    while (e.lines.size() > 1 && e.lines.constLast().trimmed().isEmpty())
        e.lines.removeLast();
    out.append(std::move(e));
}

} // namespace lifeline
