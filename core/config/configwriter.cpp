#include "configwriter.h"

#include "configloader.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>

#include <toml++/toml.h>

#include <csignal>
#include <functional>
#include <optional>
#include <sstream>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

QString quotedName(const QString &s)
{
    return u'"' + s + u'"';
}

// ---------------------------------------------------------------------------
// The line scanner.

struct Header
{
    int line = 0;
    QString name; // "service", "service.health", "settings" (spaces and quotes removed)
    bool array = false;
};

struct LineInfo
{
    bool content = false;   // not blank and not only a comment
    bool endsClean = true;  // the line ends outside any string or bracket
    QString key;            // a top-level "key = value" line: its key (spaces and quotes removed)
    qsizetype comment = -1; // where a trailing comment starts, -1 if none
};

struct Scan
{
    QList<LineInfo> lines;
    QList<Header> headers;
};

QString normaliseKey(QStringView text)
{
    QString out;
    for (const QChar c : text) {
        if (c != u' ' && c != u'\t' && c != u'"' && c != u'\'')
            out += c;
    }
    return out;
}

Scan scan(const QStringList &lines)
{
    enum class State
    {
        Normal,
        Basic,
        Literal,
        MultiBasic,
        MultiLiteral
    };
    State state = State::Normal;
    int depth = 0;
    Scan result;
    for (int i = 0; i < lines.size(); ++i) {
        const QString &l = lines[i];
        LineInfo info;
        const bool startsInString = state == State::MultiBasic || state == State::MultiLiteral;
        qsizetype first = 0;
        while (first < l.size() && (l[first] == u' ' || l[first] == u'\t'))
            ++first;
        qsizetype j = 0;
        if (!startsInString && depth == 0 && first < l.size()) {
            if (l[first] == u'[') {
                // A table header: [name] or [[name]].
                Header h;
                h.line = i;
                h.array = l.mid(first, 2) == u"[["_s;
                const qsizetype open = first + (h.array ? 2 : 1);
                qsizetype close = open;
                QChar quote;
                while (close < l.size() && (!quote.isNull() || l[close] != u']')) {
                    if (quote.isNull() && (l[close] == u'"' || l[close] == u'\''))
                        quote = l[close];
                    else if (!quote.isNull() && l[close] == quote)
                        quote = QChar();
                    ++close;
                }
                h.name = normaliseKey(QStringView(l).mid(open, close - open));
                result.headers.append(h);
                j = close + (h.array ? 2 : 1);
            } else if (l[first] != u'#') {
                // key = value: the key ends at the first '=' outside quotes.
                qsizetype eq = first;
                QChar quote;
                while (eq < l.size() && (!quote.isNull() || l[eq] != u'=')) {
                    if (quote.isNull() && (l[eq] == u'"' || l[eq] == u'\''))
                        quote = l[eq];
                    else if (!quote.isNull() && l[eq] == quote)
                        quote = QChar();
                    ++eq;
                }
                info.key = normaliseKey(QStringView(l).mid(first, eq - first));
                j = eq;
            }
        }
        for (; j < l.size(); ++j) {
            const QChar c = l[j];
            switch (state) {
            case State::Normal:
                if (c == u'#') {
                    info.comment = j;
                    j = l.size();
                } else if (c == u'"') {
                    state = l.mid(j, 3) == u"\"\"\""_s ? State::MultiBasic : State::Basic;
                    if (state == State::MultiBasic)
                        j += 2;
                } else if (c == u'\'') {
                    state = l.mid(j, 3) == u"'''"_s ? State::MultiLiteral : State::Literal;
                    if (state == State::MultiLiteral)
                        j += 2;
                } else if (c == u'[' || c == u'{') {
                    ++depth;
                } else if ((c == u']' || c == u'}') && depth > 0) {
                    --depth;
                }
                break;
            case State::Basic:
                if (c == u'\\')
                    ++j;
                else if (c == u'"')
                    state = State::Normal;
                break;
            case State::Literal:
                if (c == u'\'')
                    state = State::Normal;
                break;
            case State::MultiBasic:
                if (c == u'\\') {
                    ++j;
                } else if (l.mid(j, 3) == u"\"\"\""_s) {
                    state = State::Normal;
                    j += 2;
                }
                break;
            case State::MultiLiteral:
                if (l.mid(j, 3) == u"'''"_s) {
                    state = State::Normal;
                    j += 2;
                }
                break;
            }
        }
        // A single-line string cannot continue on the next line (the loader
        // reports it); carry on as if it had ended.
        if (state == State::Basic || state == State::Literal)
            state = State::Normal;
        const QString trimmed = l.trimmed();
        info.content = startsInString || (!trimmed.isEmpty() && !trimmed.startsWith(u'#'));
        info.endsClean = state == State::Normal && depth == 0;
        result.lines.append(info);
    }
    return result;
}

// ---------------------------------------------------------------------------
// The document: the file as lines, plus what the scanner found.

class Document
{
public:
    explicit Document(const QByteArray &bytes)
    {
        QString text = QString::fromUtf8(bytes);
        if (text.contains(u"\r\n"_s)) {
            m_eol = u"\r\n"_s;
            text.replace(u"\r\n"_s, u"\n"_s);
        }
        m_lines = text.split(u'\n');
        // "a\nb\n" splits into a, b, "": the last newline is implied.
        if (!m_lines.isEmpty() && m_lines.last().isEmpty())
            m_lines.removeLast();
        rescan();
    }

    QByteArray bytes() const
    {
        QString out = m_lines.join(m_eol);
        if (!m_lines.isEmpty())
            out += m_eol;
        return out.toUtf8();
    }

    struct Range
    {
        int first = -1; // header line
        int last = -1;  // last line with content
        int end = -1;   // the next unrelated header, or the number of lines
    };

    // The table (or array-of-tables element) whose header is at `headerIndex`,
    // with its own sub-tables.
    Range tableRange(qsizetype headerIndex) const
    {
        const Header &h = m_scan.headers[headerIndex];
        Range r;
        r.first = h.line;
        r.end = int(m_lines.size());
        const QString prefix = h.name + u'.';
        for (qsizetype k = headerIndex + 1; k < m_scan.headers.size(); ++k) {
            if (!m_scan.headers[k].name.startsWith(prefix)) {
                r.end = m_scan.headers[k].line;
                break;
            }
        }
        r.last = r.first;
        for (int i = r.first; i < r.end; ++i) {
            if (m_scan.lines[i].content)
                r.last = i;
        }
        return r;
    }

    // Every [[service]] table, in file order.
    QList<Range> services() const
    {
        QList<Range> out;
        for (qsizetype k = 0; k < m_scan.headers.size(); ++k) {
            if (m_scan.headers[k].array && m_scan.headers[k].name == u"service"_s)
                out.append(tableRange(k));
        }
        return out;
    }

    std::optional<Range> table(const QString &name) const
    {
        for (qsizetype k = 0; k < m_scan.headers.size(); ++k) {
            if (!m_scan.headers[k].array && m_scan.headers[k].name == name)
                return tableRange(k);
        }
        return std::nullopt;
    }

    int firstHeaderLine() const
    {
        return m_scan.headers.isEmpty() ? int(m_lines.size()) : m_scan.headers.first().line;
    }

    const QStringList &lines() const { return m_lines; }
    const LineInfo &info(int line) const { return m_scan.lines[line]; }

    // The lines the last replace() changed: [first, first + count) of the new
    // text, which were `removed` lines in the text before.
    struct Change
    {
        int first = -1;
        int count = 0;
        int removed = 0;
    };
    Change lastChange() const { return m_change; }

    void replace(int first, int last, const QStringList &with)
    {
        m_change = Change{first, int(with.size()), last - first + 1};
        m_lines.remove(first, last - first + 1);
        for (qsizetype i = 0; i < with.size(); ++i)
            m_lines.insert(first + i, with[i]);
        rescan();
    }
    void insert(int at, const QStringList &with) { replace(at, at - 1, with); }
    void remove(int first, int last) { replace(first, last, {}); }
    bool isBlank(int line) const
    {
        return line >= 0 && line < m_lines.size() && m_lines[line].trimmed().isEmpty();
    }

private:
    void rescan() { m_scan = scan(m_lines); }

    QStringList m_lines;
    QString m_eol = u"\n"_s;
    Scan m_scan;
    Change m_change;
};

QStringList blockLines(const QString &serviceToml)
{
    QString text = serviceToml;
    text.replace(u"\r\n"_s, u"\n"_s);
    while (text.endsWith(u'\n'))
        text.chop(1);
    return text.split(u'\n');
}

// ---------------------------------------------------------------------------
// Reading, validating and writing.

QString firstError(const LoadResult &r)
{
    return r.errors.isEmpty() ? QString() : r.errors.first().toString();
}

bool fail(QString *error, const QString &text)
{
    if (error)
        *error = text;
    return false;
}

// The current bytes of the file; empty (and *exists false) when it does not
// exist yet, so that the first service can be added to a new file.
std::optional<QByteArray> readCurrent(const QString &path, bool *exists, QString *error)
{
    *exists = QFileInfo::exists(path);
    if (!*exists)
        return QByteArray();
    return readConfigFile(path, error);
}

bool writeFile(const QString &path, const QByteArray &bytes, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(error, u"cannot write "_s + quotedName(path) + u": "_s + file.errorString());
    if (file.write(bytes) != bytes.size() || !file.commit())
        return fail(error, u"cannot write "_s + quotedName(path) + u": "_s + file.errorString());
    return true;
}

// What an edit must achieve, checked on the loaded result of the new text:
// a text edit that loads but does something else (an unusual layout the
// scanner misread) must never be written.
// `before` is nullptr when the current file does not load.
using Check = std::function<bool(const Config *before, const Config &after)>;
using Edit = std::function<bool(Document &doc, const Config &before, QString *error)>;

// The errors of a refused edit, told in the terms of the file the person
// has: an error inside the spliced [[service]] (or about the service it
// names, like a duplicate name found at the other one) goes to
// `fieldErrors` by key, without a line the file does not have; an error
// elsewhere keeps its place, moved back to the line numbers of the file.
QString describeErrors(const LoadResult &after, const Document::Change &change, const QString &serviceName,
                       QList<ConfigWriter::FieldError> *fieldErrors)
{
    QString first;
    for (Diagnostic d : after.errors) {
        const int index = d.line - 1;
        const bool inside = change.first >= 0 && index >= change.first && index < change.first + change.count;
        const bool aboutIt =
            inside || (!serviceName.isEmpty() && d.service == serviceName && d.key == u"name"_s);
        if (change.first >= 0 && index >= change.first + change.count)
            d.line += change.removed - change.count;
        QString text;
        if (inside) {
            if (fieldErrors)
                fieldErrors->append({d.key, d.reason.isEmpty() ? d.message : d.reason});
            text = d.message;
        } else if (aboutIt) {
            // Found at the other service of that name, whose message points
            // back at the edited one: tell the edited one where the other is.
            text = u"another service is already called "_s + quotedName(serviceName) +
                   u" (line %1)"_s.arg(d.line);
            if (fieldErrors)
                fieldErrors->append({d.key, text});
        } else {
            text = d.toString();
        }
        if (first.isEmpty())
            first = text;
    }
    return first;
}

// The name a [[service]] block gives its service, if it can be read.
QString blockServiceName(const QString &serviceToml)
{
    try {
        const QByteArray utf8 = serviceToml.toUtf8();
        const toml::table t = toml::parse(std::string_view(utf8.constData(), size_t(utf8.size())));
        if (const auto name = t["service"][0]["name"].value<std::string>())
            return QString::fromStdString(*name);
    } catch (const toml::parse_error &) {
    }
    return QString();
}

bool applyEdit(const QString &configPath, const Edit &edit, const Check &check, bool needsValidFile,
               QString *error, const QString &serviceName = {},
               QList<ConfigWriter::FieldError> *fieldErrors = nullptr)
{
    const QString path = QFileInfo(configPath).absoluteFilePath();
    bool exists = false;
    const std::optional<QByteArray> current = readCurrent(path, &exists, error);
    if (!current)
        return false;
    const LoadResult before = ConfigLoader::loadString(*current, path);
    // Finding a service by name needs a file that loads; adding to a broken
    // file is judged by the loader on the result.
    if (needsValidFile && !before.ok())
        return fail(error, firstError(before));
    Document doc(*current);
    if (!edit(doc, before.config.value_or(Config{}), error))
        return false;
    const QByteArray next = doc.bytes();
    const LoadResult after = ConfigLoader::loadString(next, path);
    if (!after.ok())
        return fail(error, describeErrors(after, doc.lastChange(), serviceName, fieldErrors));
    if (!check(before.config ? &*before.config : nullptr, *after.config))
        return fail(error, u"cannot edit "_s + quotedName(path) +
                               u" automatically: its layout is not one the editor understands; "
                               u"please edit it by hand"_s);
    if (exists && !writeFile(ConfigWriter::backupPath(path), *current, error))
        return false;
    return writeFile(path, next, error);
}

// The services of `before` must all be [[service]] tables for a splice to
// be safe; returns the range of the one called `name`.
std::optional<Document::Range> findService(const Document &doc, const Config &before, const QString &path,
                                           const QString &name, QString *error)
{
    const QList<Document::Range> ranges = doc.services();
    for (const ServiceSpec &s : before.services) {
        if (s.name != name)
            continue;
        for (const Document::Range &r : ranges) {
            if (r.first + 1 == s.pos.line)
                return r;
        }
        fail(error, u"cannot edit "_s + quotedName(path) + u" automatically: service "_s + quotedName(name) +
                        u" is not written as a [[service]] table; please edit it by hand"_s);
        return std::nullopt;
    }
    fail(error, u"there is no service "_s + quotedName(name) + u" in "_s + quotedName(path));
    return std::nullopt;
}

QString absolute(const QString &path)
{
    return QFileInfo(path).absoluteFilePath();
}

// ---------------------------------------------------------------------------
// Serialising.

QString stringArray(const QStringList &list)
{
    QStringList items;
    for (const QString &s : list)
        items.append(tomlString(s));
    return u'[' + items.join(u", "_s) + u']';
}

QString durationText(Millis d)
{
    return tomlString(formatDuration(d));
}

QString signalText(int sig)
{
    static const QList<std::pair<int, QString>> names{
        {SIGTERM, u"TERM"_s}, {SIGINT, u"INT"_s},   {SIGQUIT, u"QUIT"_s}, {SIGHUP, u"HUP"_s},
        {SIGKILL, u"KILL"_s}, {SIGUSR1, u"USR1"_s}, {SIGUSR2, u"USR2"_s},
    };
    for (const auto &[number, name] : names) {
        if (number == sig)
            return tomlString(name);
    }
    return QString::number(sig);
}

QString numberText(double v)
{
    QString text = QString::number(v, 'g', QLocale::FloatingPointShortest);
    if (!text.contains(u'.') && !text.contains(u'e'))
        text += u".0"_s;
    return text;
}

} // namespace

QString tomlString(const QString &text)
{
    QString out = u"\""_s;
    for (const QChar c : text) {
        switch (c.unicode()) {
        case u'"':
            out += u"\\\""_s;
            break;
        case u'\\':
            out += u"\\\\"_s;
            break;
        case u'\n':
            out += u"\\n"_s;
            break;
        case u'\t':
            out += u"\\t"_s;
            break;
        case u'\r':
            out += u"\\r"_s;
            break;
        case u'\b':
            out += u"\\b"_s;
            break;
        case u'\f':
            out += u"\\f"_s;
            break;
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                out += u"\\u%1"_s.arg(uint(c.unicode()), 4, 16, QChar(u'0'));
            else
                out += c;
        }
    }
    return out + u'"';
}

QString exactSizeText(qint64 bytes)
{
    static const QList<std::pair<qint64, QString>> units{
        {1'000'000'000'000LL, u"TB"_s},
        {1LL << 40, u"TiB"_s},
        {1'000'000'000LL, u"GB"_s},
        {1LL << 30, u"GiB"_s},
        {1'000'000LL, u"MB"_s},
        {1LL << 20, u"MiB"_s},
        {1'000LL, u"KB"_s},
        {1LL << 10, u"KiB"_s},
    };
    if (bytes > 0) {
        for (const auto &[size, name] : units) {
            if (bytes % size == 0)
                return QString::number(bytes / size) + name;
        }
    }
    return QString::number(bytes);
}

QString ConfigWriter::toToml(const ServiceSpec &spec, const RawValues &raw)
{
    const ServiceSpec def;
    QStringList lines{u"[[service]]"_s};
    QStringList used;
    // `key` is a path: "ports", or "health.interval" for a key of a sub-table.
    QStringList *section = &lines;
    auto put = [&](const QString &key, bool differs, const std::function<QString()> &value) {
        used.append(key);
        const QString name = key.mid(key.indexOf(u'.') + 1);
        if (raw.contains(key)) {
            if (!raw.value(key).isEmpty())
                section->append(name + u" = "_s + raw.value(key));
        } else if (differs) {
            section->append(name + u" = "_s + value());
        }
    };
    // Raw values for keys of `prefix` not covered above, in a stable order.
    auto putOthers = [&](const QString &prefix) {
        for (auto it = raw.cbegin(); it != raw.cend(); ++it) {
            const bool inSection = prefix.isEmpty() ? !it.key().contains(u'.') : it.key().startsWith(prefix);
            if (inSection && !used.contains(it.key()) && !it.value().isEmpty())
                section->append(it.key().mid(prefix.size()) + u" = "_s + it.value());
        }
    };
    put(u"name"_s, true, [&]() -> QString { return tomlString(spec.name); });
    put(u"shell"_s, spec.shell != def.shell,
        [&]() -> QString { return spec.shell ? u"true"_s : u"false"_s; });
    // With shell = true the command is one string for /bin/sh -c.
    put(u"command"_s, true, [&]() -> QString {
        return spec.shell ? tomlString(spec.command.join(u' ')) : stringArray(spec.command);
    });
    // "~/app" stays "~/app" (the loader expands it back), so the file still
    // works for the same person on another machine.
    put(u"cwd"_s, !spec.cwd.isEmpty(), [&]() -> QString {
        const QString home = QDir::homePath();
        if (spec.cwd.startsWith(home + u'/') && home != u"/"_s)
            return tomlString(u'~' + spec.cwd.mid(home.size()));
        return tomlString(spec.cwd);
    });
    put(u"env"_s, !spec.env.isEmpty(), [&]() -> QString {
        QStringList keys = spec.env.keys();
        keys.sort();
        QStringList items;
        for (const QString &k : keys)
            items.append(ConfigWriter::tomlKey(k) + u" = "_s + tomlString(spec.env.value(k)));
        return u"{ "_s + items.join(u", "_s) + u" }"_s;
    });
    put(u"autostart"_s, spec.autostart != def.autostart,
        [&]() -> QString { return spec.autostart ? u"true"_s : u"false"_s; });
    put(u"depends_on"_s, !spec.dependsOn.isEmpty(), [&]() -> QString { return stringArray(spec.dependsOn); });
    put(u"ports"_s, !spec.ports.isEmpty(), [&]() -> QString {
        QStringList items;
        for (const quint16 p : spec.ports)
            items.append(QString::number(p));
        return u'[' + items.join(u", "_s) + u']';
    });
    put(u"restart"_s, spec.restart != def.restart,
        [&]() -> QString { return tomlString(restartPolicyName(spec.restart)); });
    put(u"restart_delay"_s, spec.restartDelay != def.restartDelay,
        [&]() -> QString { return durationText(spec.restartDelay); });
    put(u"backoff_factor"_s, spec.backoffFactor != def.backoffFactor,
        [&]() -> QString { return numberText(spec.backoffFactor); });
    put(u"backoff_max"_s, spec.backoffMax != def.backoffMax,
        [&]() -> QString { return durationText(spec.backoffMax); });
    put(u"max_restarts"_s, spec.maxRestarts != def.maxRestarts,
        [&]() -> QString { return QString::number(spec.maxRestarts); });
    put(u"restart_window"_s, spec.restartWindow != def.restartWindow,
        [&]() -> QString { return durationText(spec.restartWindow); });
    put(u"stable_after"_s, spec.stableAfter != def.stableAfter,
        [&]() -> QString { return durationText(spec.stableAfter); });
    put(u"fatal_retry"_s, spec.fatalRetry.has_value(),
        [&]() -> QString { return durationText(*spec.fatalRetry); });
    put(u"stop_signal"_s, spec.stopSignal != def.stopSignal,
        [&]() -> QString { return signalText(spec.stopSignal); });
    put(u"stop_timeout"_s, spec.stopTimeout != def.stopTimeout,
        [&]() -> QString { return durationText(spec.stopTimeout); });
    put(u"memory_limit"_s, spec.memoryLimit != 0, [&]() -> QString {
        // In the unit it was written in, which messages speak back.
        const std::optional<qint64> unit = parseSize(u"1"_s + spec.memoryLimitUnit);
        if (!spec.memoryLimitUnit.isEmpty() && unit && spec.memoryLimit % *unit == 0)
            return tomlString(QString::number(spec.memoryLimit / *unit) + spec.memoryLimitUnit);
        return tomlString(exactSizeText(spec.memoryLimit));
    });
    put(u"memory_limit_for"_s, spec.memoryLimitFor != def.memoryLimitFor,
        [&]() -> QString { return durationText(spec.memoryLimitFor); });
    put(u"cpu_limit"_s, spec.cpuLimit != 0,
        [&]() -> QString { return QString::number(spec.cpuLimit, 'g', 10); });
    put(u"cpu_limit_for"_s, spec.cpuLimitFor != def.cpuLimitFor,
        [&]() -> QString { return durationText(spec.cpuLimitFor); });
    putOthers(QString());

    const HealthSpec &h = spec.health;
    const HealthSpec hd;
    QStringList health;
    section = &health;
    const auto boolText = [](bool b) { return b ? u"true"_s : u"false"_s; };
    put(u"health.url"_s, h.kind == HealthSpec::Kind::Http, [&]() -> QString { return tomlString(h.url); });
    put(u"health.tcp"_s, h.kind == HealthSpec::Kind::Tcp, [&]() -> QString {
        const QString host = h.tcpHost.contains(u':') ? u'[' + h.tcpHost + u']' : h.tcpHost;
        return tomlString(host + u':' + QString::number(h.tcpPort));
    });
    put(u"health.exec"_s, h.kind == HealthSpec::Kind::Exec, [&]() -> QString { return stringArray(h.exec); });
    // The timings of a check that is not there are not written.
    const bool on = h.enabled();
    put(u"health.interval"_s, on && h.interval != hd.interval,
        [&]() -> QString { return durationText(h.interval); });
    put(u"health.timeout"_s, on && h.timeout != hd.timeout,
        [&]() -> QString { return durationText(h.timeout); });
    put(u"health.start_period"_s, on && h.startPeriod != hd.startPeriod,
        [&]() -> QString { return durationText(h.startPeriod); });
    put(u"health.failures"_s, on && h.failures != hd.failures,
        [&]() -> QString { return QString::number(h.failures); });
    put(u"health.successes"_s, on && h.successes != hd.successes,
        [&]() -> QString { return QString::number(h.successes); });
    put(u"health.restart_on_unhealthy"_s, on && h.restartOnUnhealthy != hd.restartOnUnhealthy,
        [&]() -> QString { return boolText(h.restartOnUnhealthy); });
    put(u"health.expect_status"_s,
        on && (h.expectStatusMin != hd.expectStatusMin || h.expectStatusMax != hd.expectStatusMax),
        [&]() -> QString {
            return h.expectStatusMin == h.expectStatusMax
                       ? QString::number(h.expectStatusMin)
                       : tomlString(u"%1-%2"_s.arg(h.expectStatusMin).arg(h.expectStatusMax));
        });
    putOthers(u"health."_s);
    if (!health.isEmpty())
        lines += QStringList{u"[service.health]"_s} + health;

    const LogSpec ld;
    QStringList logs;
    section = &logs;
    put(u"logs.max_size"_s, spec.logs.maxSize != ld.maxSize,
        [&]() -> QString { return tomlString(exactSizeText(spec.logs.maxSize)); });
    put(u"logs.backups"_s, spec.logs.backups != ld.backups,
        [&]() -> QString { return QString::number(spec.logs.backups); });
    put(u"logs.compress"_s, spec.logs.compress != ld.compress,
        [&]() -> QString { return boolText(spec.logs.compress); });
    put(u"logs.max_age"_s, spec.logs.maxAgeSecs != ld.maxAgeSecs,
        [&]() -> QString { return tomlString(formatDuration(Millis(spec.logs.maxAgeSecs * 1000))); });
    putOthers(u"logs."_s);
    if (!logs.isEmpty())
        lines += QStringList{u"[service.logs]"_s} + logs;
    return lines.join(u'\n') + u'\n';
}

QString ConfigWriter::tomlKey(const QString &key)
{
    static const QRegularExpression bare(u"^[A-Za-z0-9_-]+$"_s);
    return bare.match(key).hasMatch() ? key : tomlString(key);
}

QString ConfigWriter::tomlValue(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::Bool:
        return value.toBool() ? u"true"_s : u"false"_s;
    case QMetaType::LongLong:
    case QMetaType::Int:
        return QString::number(value.toLongLong());
    case QMetaType::Double:
        return numberText(value.toDouble());
    case QMetaType::QStringList:
    case QMetaType::QVariantList: {
        QStringList items;
        for (const QVariant &v : value.toList())
            items.append(tomlValue(v));
        return u'[' + items.join(u", "_s) + u']';
    }
    case QMetaType::QVariantMap: {
        const QVariantMap map = value.toMap();
        QStringList items;
        for (auto it = map.cbegin(); it != map.cend(); ++it)
            items.append(ConfigWriter::tomlKey(it.key()) + u" = "_s + tomlValue(it.value()));
        return items.isEmpty() ? u"{}"_s : u"{ "_s + items.join(u", "_s) + u" }"_s;
    }
    default:
        return tomlString(value.toString());
    }
}

namespace {

QVariant toVariant(const toml::node &node)
{
    if (const auto *v = node.as_string())
        return QString::fromStdString(v->get());
    if (const auto *v = node.as_integer())
        return qint64(v->get());
    if (const auto *v = node.as_floating_point())
        return v->get();
    if (const auto *v = node.as_boolean())
        return v->get();
    if (const auto *array = node.as_array()) {
        QVariantList list;
        for (const toml::node &element : *array)
            list.append(toVariant(element));
        return list;
    }
    if (const auto *table = node.as_table()) {
        QVariantMap map;
        for (auto &&[k, v] : *table)
            map.insert(QString::fromStdString(std::string(k.str())), toVariant(v));
        return map;
    }
    // Dates and times: their TOML text.
    std::ostringstream out;
    node.visit([&out](const auto &n) { out << n; });
    return QString::fromStdString(out.str());
}

} // namespace

QVariantMap ConfigWriter::writtenValues(const QString &configPath, const QString &name)
{
    const std::optional<QByteArray> bytes = readConfigFile(configPath);
    return bytes ? writtenValues(*bytes, name) : QVariantMap();
}

QVariantMap ConfigWriter::writtenValues(const QByteArray &toml, const QString &name)
{
    try {
        const toml::table root = toml::parse(std::string_view(toml.constData(), size_t(toml.size())));
        const toml::array *services = root["service"].as_array();
        if (!services)
            return {};
        for (const toml::node &element : *services) {
            const toml::table *t = element.as_table();
            if (!t || t->get_as<std::string>("name") == nullptr ||
                QString::fromStdString(t->get_as<std::string>("name")->get()) != name)
                continue;
            QVariantMap out;
            for (auto &&[k, v] : *t) {
                const QString key = QString::fromStdString(std::string(k.str()));
                const toml::table *sub = v.as_table();
                if (sub && (key == u"health"_s || key == u"logs"_s)) {
                    for (auto &&[sk, sv] : *sub)
                        out.insert(key + u'.' + QString::fromStdString(std::string(sk.str())), toVariant(sv));
                } else {
                    out.insert(key, toVariant(v));
                }
            }
            return out;
        }
    } catch (const toml::parse_error &) {
    }
    return {};
}

bool ConfigWriter::addService(const QString &configPath, const ServiceSpec &spec, QString *error)
{
    return addServiceToml(configPath, toToml(spec), error);
}

bool ConfigWriter::replaceService(const QString &configPath, const QString &name, const ServiceSpec &spec,
                                  QString *error)
{
    return replaceServiceToml(configPath, name, toToml(spec), error);
}

namespace {

// After the last service, before whatever follows it; at the end of a file
// without services.
void insertServices(Document &doc, const QStringList &block)
{
    const QList<Document::Range> services = doc.services();
    if (!services.isEmpty()) {
        doc.insert(services.last().last + 1, QStringList{QString()} + block);
        return;
    }
    const int at = int(doc.lines().size());
    QStringList with = block;
    if (at > 0 && !doc.isBlank(at - 1))
        with.prepend(QString());
    doc.insert(at, with);
}

} // namespace

bool ConfigWriter::addServiceToml(const QString &configPath, const QString &serviceToml, QString *error,
                                  QList<FieldError> *fieldErrors)
{
    const QStringList block = blockLines(serviceToml);
    const Edit edit = [&](Document &doc, const Config &, QString *) {
        insertServices(doc, block);
        return true;
    };
    const Check check = [](const Config *before, const Config &after) {
        return !before || after.services.size() == before->services.size() + 1;
    };
    return applyEdit(configPath, edit, check, false, error, blockServiceName(serviceToml), fieldErrors);
}

bool ConfigWriter::addServicesToml(const QString &configPath, const QString &servicesToml, int count,
                                   QString *error)
{
    const QStringList block = blockLines(servicesToml);
    const Edit edit = [&](Document &doc, const Config &, QString *) {
        insertServices(doc, block);
        return true;
    };
    const Check check = [count](const Config *before, const Config &after) {
        return after.services.size() == (before ? before->services.size() : 0) + count;
    };
    return applyEdit(configPath, edit, check, false, error);
}

bool ConfigWriter::replaceServiceToml(const QString &configPath, const QString &name,
                                      const QString &serviceToml, QString *error,
                                      QList<FieldError> *fieldErrors)
{
    const QStringList block = blockLines(serviceToml);
    const QString path = absolute(configPath);
    const Edit edit = [&](Document &doc, const Config &before, QString *err) {
        const auto range = findService(doc, before, path, name, err);
        if (!range)
            return false;
        doc.replace(range->first, range->last, block);
        return true;
    };
    const Check check = [&](const Config *before, const Config &after) {
        return before && after.services.size() == before->services.size();
    };
    return applyEdit(configPath, edit, check, true, error, blockServiceName(serviceToml), fieldErrors);
}

bool ConfigWriter::removeService(const QString &configPath, const QString &name, QString *error)
{
    const QString path = absolute(configPath);
    const Edit edit = [&](Document &doc, const Config &before, QString *err) {
        const auto range = findService(doc, before, path, name, err);
        if (!range)
            return false;
        doc.remove(range->first, range->last);
        // Do not leave two blank lines where the table was.
        if (doc.isBlank(range->first) && (range->first == 0 || doc.isBlank(range->first - 1)))
            doc.remove(range->first, range->first);
        return true;
    };
    const Check check = [&](const Config *before, const Config &after) {
        return before && after.services.size() == before->services.size() - 1 && !after.service(name);
    };
    return applyEdit(configPath, edit, check, true, error);
}

bool ConfigWriter::setOnExit(const QString &configPath, OnExit onExit, QString *error)
{
    const QString value = tomlString(onExitName(onExit));
    const Edit edit = [&](Document &doc, const Config &, QString *) {
        const std::optional<Document::Range> settings = doc.table(u"settings"_s);
        if (!settings) {
            // A new [settings] table before the first table of the file.
            const int at = doc.firstHeaderLine();
            QStringList with{u"[settings]"_s, u"on_exit = "_s + value};
            if (at < doc.lines().size())
                with.append(QString());
            else if (at > 0 && !doc.isBlank(at - 1))
                with.prepend(QString());
            doc.insert(at, with);
            return true;
        }
        for (int i = settings->first + 1; i < settings->end; ++i) {
            const LineInfo &info = doc.info(i);
            if (info.key != u"on_exit"_s || !info.endsClean)
                continue;
            // Same indentation, new value, the comment where it was.
            const QString &old = doc.lines()[i];
            qsizetype lead = 0;
            while (lead < old.size() && (old[lead] == u' ' || old[lead] == u'\t'))
                ++lead;
            QString line = old.left(lead);
            line += u"on_exit = "_s + value;
            if (info.comment >= 0) {
                qsizetype padStart = info.comment;
                while (padStart > 0 && (old[padStart - 1] == u' ' || old[padStart - 1] == u'\t'))
                    --padStart;
                line += old.mid(padStart);
            }
            doc.replace(i, i, {line});
            return true;
        }
        doc.insert(settings->last + 1, {u"on_exit = "_s + value});
        return true;
    };
    const Check check = [&](const Config *, const Config &after) { return after.settings.onExit == onExit; };
    return applyEdit(configPath, edit, check, false, error);
}

} // namespace lifeline
