#include "errors/errorsignature.h"

#include <QCryptographicHash>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

constexpr qsizetype kMaxSignatureChars = 300;

struct Rule
{
    QRegularExpression re;
    QString replacement;
};

const QList<Rule> &rules()
{
    // Order matters: a path or a timestamp is taken whole before its numbers would be.
    static const QList<Rule> all = [] {
        const auto rule = [](const QString &pattern, const QString &replacement) {
            Rule r{QRegularExpression(pattern), replacement};
            r.re.optimize();
            return r;
        };
        return QList<Rule>{
            rule(uR"("(?:[^"\\]|\\.)*"|(?<!\w)'(?:[^'\\]|\\.)*')"_s, u"<str>"_s),
            rule(uR"(\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)"_s,
                 u"<uuid>"_s),
            rule(
                uR"(\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2}\b)?)"_s,
                u"<time>"_s),
            rule(uR"(\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b)"_s, u"<time>"_s),
            rule(uR"((?<![\w.:/<])(?:~|\.{1,2})?/[^\s"'(),;:\]>]+|\b[A-Za-z]:\\[^\s"'(),;:]+)"_s,
                 u"<path>"_s),
            rule(uR"(\b[\w.-]+(?:/[\w.-]+)+)"_s, u"<path>"_s),
            rule(uR"(\b0[xX][0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b)"_s,
                 u"<hex>"_s),
            rule(uR"(\d+(?:\.\d+)?)"_s, u"<n>"_s),
            rule(uR"(\s+)"_s, u" "_s),
        };
    }();
    return all;
}

bool startsWithSpace(const QString &line)
{
    return !line.isEmpty() && (line.front() == u' ' || line.front() == u'\t');
}

// The function of a frame line: Python `  File "x.py", line 3, in handler`,
// Java `\tat a.b.C.m(C.java:10)`, Node `    at fn (/x.js:1:2)`.
QString frameFunction(const QString &line)
{
    const QString trimmed = line.trimmed();
    if (trimmed.startsWith(u"File "_s)) {
        const qsizetype in = trimmed.lastIndexOf(u", in "_s);
        return in < 0 ? QString() : trimmed.mid(in + 5);
    }
    if (trimmed.startsWith(u"at "_s)) {
        QString fn = trimmed.mid(3);
        const qsizetype end = fn.indexOf(QRegularExpression(u"[ (]"_s));
        if (end >= 0)
            fn.truncate(end);
        return fn;
    }
    return {};
}

bool isPythonChainLine(const QString &line)
{
    return line.isEmpty() || line.startsWith(u"Traceback "_s) || line.startsWith(u"During handling"_s) ||
           line.startsWith(u"The above exception"_s);
}

} // namespace

qint64 ErrorSignature::countSince(qint64 fromMs) const
{
    qint64 n = 0;
    for (auto it = perMinute.lowerBound(fromMs / 60'000); it != perMinute.cend(); ++it)
        n += it.value();
    return n;
}

QList<int> ErrorSignature::trend(qint64 nowMs, qint64 spanMs, int buckets) const
{
    QList<int> out(buckets, 0);
    if (buckets <= 0 || spanMs <= 0)
        return out;
    const qint64 fromMs = nowMs - spanMs;
    for (auto it = perMinute.lowerBound(fromMs / 60'000); it != perMinute.cend(); ++it) {
        const qint64 atMs = it.key() * 60'000;
        const qint64 index = std::clamp<qint64>((atMs - fromMs) * buckets / spanMs, 0, buckets - 1);
        out[index] += it.value();
    }
    return out;
}

QString normalizeErrorText(QStringView text)
{
    QString out = text.trimmed().toString();
    for (const Rule &r : rules())
        out.replace(r.re, r.replacement);
    if (out.size() > kMaxSignatureChars)
        out.truncate(kMaxSignatureChars);
    return out;
}

SignatureKey signatureOf(const ErrorEvent &event)
{
    const QStringList &lines = event.lines;
    QString headline = lines.value(0);
    QString function;
    switch (event.kind) {
    case ErrorEvent::Kind::Python:
        // The exception line is the last one not indented; the innermost frame the last "File".
        for (const QString &line : lines) {
            if (!startsWithSpace(line) && !isPythonChainLine(line))
                headline = line;
            else if (line.trimmed().startsWith(u"File "_s))
                function = frameFunction(line);
        }
        break;
    case ErrorEvent::Kind::Stack:
        for (const QString &line : lines) {
            if ((function = frameFunction(line)).size() > 0)
                break;
        }
        break;
    case ErrorEvent::Kind::Go:
        // "goroutine 1 [running]:" and then the innermost function.
        for (qsizetype i = 0; i + 1 < lines.size(); ++i) {
            if (lines[i].startsWith(u"goroutine "_s)) {
                function = lines[i + 1].section(u'(', 0, 0);
                break;
            }
        }
        break;
    case ErrorEvent::Kind::Line:
        break;
    }
    QString text = normalizeErrorText(headline);
    if (!function.isEmpty())
        text += u" (in "_s + normalizeErrorText(function) + u')';
    const QByteArray digest = QCryptographicHash::hash(
        QByteArray(QByteArray::number(int(event.kind)) + '\n' + text.toUtf8()), QCryptographicHash::Sha1);
    return {QString::fromLatin1(digest.toHex().left(12)), text};
}

} // namespace lifeline
