#include "importers.h"

#include "configloader.h"
#include "configwriter.h"
#include "servicespec.h"
#include "util/units.h"
#include "yamljson.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

struct Imported
{
    ServiceSpec spec;
    QStringList notes; // become "# " lines above the service
};

struct Importer
{
    QString kind;
    QString path;
    QStringList fileNotes;
    QList<Imported> services;
    QString error;

    bool fail(int line, const QString &cause)
    {
        if (error.isEmpty())
            error = line > 0 ? u"%1:%2: %3"_s.arg(path).arg(line).arg(cause) : u"%1: %2"_s.arg(path, cause);
        return false;
    }

    QString baseDir() const { return QFileInfo(path).absolutePath(); }

    // A valid, unused service name from `raw`; a note says when it had to change.
    QString serviceName(const QString &raw, QStringList *notes) const
    {
        QString name;
        for (const QChar c : raw)
            name +=
                (c.isLetterOrNumber() && c.unicode() < 128) || c == u'_' || c == u'.' || c == u'-' ? c : u'-';
        while (name.startsWith(u'.'))
            name.remove(0, 1);
        name.truncate(64);
        if (name.isEmpty())
            name = u"service"_s;
        const QString base = name;
        for (int n = 2; std::any_of(services.begin(), services.end(),
                                    [&](const Imported &i) { return i.spec.name == name; });
             ++n)
            name = base.left(60) + u'-' + QString::number(n);
        if (name != raw)
            notes->append(u"name \"%1\" is \"%2\" here: service names are 1-64 of A-Z a-z 0-9 _ . -, "
                          "and unique"_s.arg(raw, name));
        return name;
    }

    ImportResult result() const
    {
        if (!error.isEmpty())
            return {{}, error};
        if (services.isEmpty())
            return {{}, u"%1: no processes to import"_s.arg(path)};
        QString toml = u"# Imported by `lifelinectl import %1 %2`.\n"_s.arg(kind, path);
        for (const QString &note : fileNotes)
            toml += u"# "_s + note + u'\n';
        for (const Imported &i : services) {
            toml += u'\n';
            for (const QString &note : i.notes)
                toml += u"# "_s + note + u'\n';
            toml += ConfigWriter::toToml(i.spec);
        }
        return {toml, {}};
    }
};

bool needsShell(const QString &command)
{
    static const QRegularExpression shellSyntax(u"[$|&;<>`*?(){}~]"_s);
    return command.contains(shellSyntax);
}

QString absoluteIn(const QString &dir, const QString &base)
{
    if (dir.startsWith(u'~'))
        return expandPath(dir, base);
    return QDir::cleanPath(QDir(base).absoluteFilePath(dir));
}

// ---------------------------------------------------------------- Procfile

void readProcfile(Importer &im, const QByteArray &text)
{
    static const QRegularExpression entry(u"^([A-Za-z0-9_-]+)[ \\t]*:[ \\t]*(.*)$"_s);
    const QStringList lines = QString::fromUtf8(text).split(u'\n');
    for (int n = 0; n < lines.size(); ++n) {
        const QString line = lines.at(n).trimmed();
        if (line.isEmpty() || line.startsWith(u'#'))
            continue;
        const QRegularExpressionMatch m = entry.match(line);
        if (!m.hasMatch()) {
            im.fail(n + 1, u"expected \"NAME: COMMAND\", got \"%1\""_s.arg(line));
            return;
        }
        const QString type = m.captured(1);
        const QString command = m.captured(2).trimmed();
        if (command.isEmpty()) {
            im.fail(n + 1, u"process \"%1\" has no command"_s.arg(type));
            return;
        }
        if (type == u"release"_s) {
            im.fileNotes << u"release: %1"_s.arg(command)
                         << u"  (a one-off command run at deploy, not a process: run it yourself before "
                            "starting the services)"_s;
            continue;
        }
        Imported i;
        i.spec.name = im.serviceName(type, &i.notes);
        if (needsShell(command)) {
            i.spec.shell = true;
            i.spec.command = {command};
        } else {
            i.spec.command = splitCommandLine(command).value_or(QStringList{command});
        }
        i.spec.cwd = im.baseDir();
        // foreman gives each process type its own $PORT: 5000, 5100, ...
        static const QRegularExpression port(u"\\$\\{?PORT\\b"_s);
        if (command.contains(port)) {
            const QString value = QString::number(5000 + 100 * int(im.services.size()));
            i.spec.env.insert(u"PORT"_s, value);
            i.notes << u"PORT = %1 is set the way foreman does (5000, 5100, ...)"_s.arg(value);
        }
        im.services.append(i);
    }
}

// ------------------------------------------------------------- supervisord

struct IniValue
{
    QString value;
    int line = 0;
};

struct IniSection
{
    QString name;
    int line = 0;
    QList<std::pair<QString, IniValue>> keys; // in file order
    std::optional<IniValue> take(const QString &key)
    {
        for (qsizetype i = 0; i < keys.size(); ++i) {
            if (keys.at(i).first == key) {
                const IniValue v = keys.at(i).second;
                keys.removeAt(i);
                return v;
            }
        }
        return std::nullopt;
    }
};

// Python configparser as supervisord configures it: "key = value" or
// "key: value", ";" and "#" comment lines, an inline comment after
// whitespace, indented lines continuing the previous value.
QList<IniSection> readIni(Importer &im, const QByteArray &text)
{
    static const QRegularExpression inlineComment(u"\\s[;#].*$"_s);
    QList<IniSection> sections;
    const QStringList lines = QString::fromUtf8(text).split(u'\n');
    IniValue *last = nullptr;
    for (int n = 0; n < lines.size(); ++n) {
        QString raw = lines.at(n);
        raw.remove(u'\r');
        const QString trimmed = raw.trimmed();
        if (trimmed.isEmpty() || trimmed.startsWith(u';') || trimmed.startsWith(u'#'))
            continue;
        const QString line = QString(trimmed).remove(inlineComment).trimmed();
        if (raw.at(0).isSpace() && last) {
            last->value += u'\n' + line;
            continue;
        }
        last = nullptr;
        if (line.startsWith(u'[')) {
            if (!line.endsWith(u']')) {
                im.fail(n + 1, u"section header without \"]\": %1"_s.arg(line));
                return {};
            }
            sections.append({line.mid(1, line.size() - 2).trimmed(), n + 1, {}});
            continue;
        }
        if (sections.isEmpty()) {
            im.fail(n + 1, u"a key before any [section]: %1"_s.arg(line));
            return {};
        }
        const qsizetype eq = line.indexOf(u'=');
        const qsizetype colon = line.indexOf(u':');
        const qsizetype sep = eq < 0 ? colon : colon < 0 ? eq : std::min(eq, colon);
        if (sep <= 0) {
            im.fail(n + 1, u"expected \"key = value\", got \"%1\""_s.arg(line));
            return {};
        }
        sections.last().keys.append(
            {line.left(sep).trimmed().toLower(), {line.mid(sep + 1).trimmed(), n + 1}});
        last = &sections.last().keys.last().second;
    }
    return sections;
}

// supervisord's "%(name)s" / "%(process_num)02d" expansion.
std::optional<QString> expand(Importer &im, const IniValue &v, const QHash<QString, QString> &vars)
{
    static const QRegularExpression ref(u"%\\(([^)]*)\\)([-#0 +]*)(\\d*)([sd])|%%"_s);
    QString out;
    qsizetype from = 0;
    for (auto it = ref.globalMatch(v.value); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        out += v.value.mid(from, m.capturedStart() - from);
        from = m.capturedEnd();
        if (m.captured() == u"%%"_s) {
            out += u'%';
            continue;
        }
        const QString name = m.captured(1);
        if (!vars.contains(name)) {
            im.fail(v.line, u"%(%1)s: not defined (%2)"_s.arg(name, name.startsWith(u"ENV_"_s)
                                                                        ? u"no such environment variable"_s
                                                                        : u"unknown expansion"_s));
            return std::nullopt;
        }
        const int width = m.captured(3).toInt();
        out += vars.value(name).rightJustified(width, m.captured(2).contains(u'0') ? u'0' : u' ');
    }
    return out + v.value.mid(from);
}

std::optional<bool> iniBool(Importer &im, const QString &key, const IniValue &v)
{
    const QString t = v.value.toLower();
    if (t == u"true"_s || t == u"yes"_s || t == u"on"_s || t == u"1"_s)
        return true;
    if (t == u"false"_s || t == u"no"_s || t == u"off"_s || t == u"0"_s)
        return false;
    im.fail(v.line, u"%1: expected true or false, got \"%2\""_s.arg(key, v.value));
    return std::nullopt;
}

std::optional<int> iniInt(Importer &im, const QString &key, const IniValue &v, int min)
{
    bool ok = false;
    const int n = v.value.toInt(&ok);
    if (!ok || n < min) {
        im.fail(v.line,
                u"%1: expected a whole number of at least %2, got \"%3\""_s.arg(key).arg(min).arg(v.value));
        return std::nullopt;
    }
    return n;
}

// environment=A="x, y",B='z',C=plain
std::optional<QHash<QString, QString>> iniEnvironment(Importer &im, const IniValue &v, const QString &text)
{
    QHash<QString, QString> env;
    QString key;
    QString value;
    bool inKey = true;
    bool started = false; // the value has begun
    bool gap = false;     // an unquoted blank after the value began
    QChar quote;
    const auto finish = [&]() -> bool {
        key = key.trimmed();
        if (key.isEmpty() && inKey) // nothing but blanks, as after a last ","
            return true;
        if (inKey || key.isEmpty()) {
            im.fail(v.line, u"environment: expected KEY=\"value\", got \"%1\""_s.arg(key));
            return false;
        }
        env.insert(key, value);
        key.clear();
        value.clear();
        inKey = true;
        started = gap = false;
        return true;
    };
    for (const QChar c : text) {
        if (!quote.isNull()) {
            if (c == quote)
                quote = QChar();
            else
                value += c;
        } else if (c == u',') {
            if (!finish())
                return std::nullopt;
        } else if (inKey) {
            if (c == u'=')
                inKey = false;
            else
                key += c;
        } else if (c.isSpace()) {
            gap = started;
        } else if (gap) {
            // supervisord refuses it too: the blank would end the value.
            im.fail(v.line, u"environment: the value of %1 has a blank: quote it"_s.arg(key.trimmed()));
            return std::nullopt;
        } else {
            started = true;
            if (c == u'"' || c == u'\'')
                quote = c;
            else
                value += c;
        }
    }
    if (!quote.isNull()) {
        im.fail(v.line, u"environment: a quote is not closed"_s);
        return std::nullopt;
    }
    if (!finish())
        return std::nullopt;
    return env;
}

const QHash<QString, QString> &supervisordNotes()
{
    static const QHash<QString, QString> notes{
        {u"user"_s, u"Lifeline runs every service as the user running Lifeline"_s},
        {u"priority"_s, u"start order comes from depends_on in Lifeline"_s},
        {u"exitcodes"_s, u"Lifeline treats exit code 0 as expected and any other as a failure"_s},
        {u"redirect_stderr"_s, u"Lifeline keeps stdout and stderr in state_dir/logs/NAME.log"_s},
        {u"umask"_s, u"Lifeline starts services with its own umask"_s},
        {u"serverurl"_s, u"there is no supervisord server to talk to"_s},
    };
    return notes;
}

bool readProgram(Importer &im, IniSection &section, const QHash<QString, QString> &environment)
{
    const QString program = section.name.mid(u"program:"_s.size()).trimmed();
    QHash<QString, QString> vars{{u"program_name"_s, program},
                                 {u"group_name"_s, program},
                                 {u"here"_s, im.baseDir()},
                                 {u"host_node_name"_s, QSysInfo::machineHostName()}};
    for (auto it = environment.begin(); it != environment.end(); ++it)
        vars.insert(u"ENV_"_s + it.key(), it.value());
    int numprocs = 1;
    int start = 0;
    if (auto v = section.take(u"numprocs"_s)) {
        auto n = iniInt(im, u"numprocs"_s, *v, 1);
        if (!n)
            return false;
        numprocs = *n;
    }
    if (auto v = section.take(u"numprocs_start"_s)) {
        auto n = iniInt(im, u"numprocs_start"_s, *v, 0);
        if (!n)
            return false;
        start = *n;
    }
    vars.insert(u"numprocs"_s, QString::number(numprocs));
    const IniValue processName =
        section.take(u"process_name"_s).value_or(IniValue{u"%(program_name)s"_s, section.line});
    if (numprocs > 1 && !processName.value.contains(u"%(process_num)"_s))
        return im.fail(processName.line,
                       u"numprocs = %1 needs %(process_num)s in process_name"_s.arg(numprocs));
    const std::optional<IniValue> command = section.take(u"command"_s);
    if (!command)
        return im.fail(section.line, u"[%1] has no command"_s.arg(section.name));

    for (int num = start; num < start + numprocs; ++num) {
        vars.insert(u"process_num"_s, QString::number(num));
        Imported i;
        ServiceSpec &spec = i.spec;
        IniSection keys = section;
        const auto text = [&](const IniValue &v) { return expand(im, v, vars); };
        const std::optional<QString> name = text(processName);
        const std::optional<QString> argvText = text(*command);
        if (!name || !argvText)
            return false;
        spec.name = im.serviceName(*name, &i.notes);
        QString why;
        const std::optional<QStringList> argv = splitCommandLine(*argvText, &why);
        if (!argv || argv->isEmpty())
            return im.fail(command->line, u"command: %1"_s.arg(argv ? u"empty"_s : why));
        spec.command = *argv;
        if (command->value.contains(u"%(ENV_"_s))
            i.notes << u"command: %(ENV_...)s expanded from the environment of the import"_s;
        if (auto v = keys.take(u"directory"_s)) {
            const auto dir = text(*v);
            if (!dir)
                return false;
            spec.cwd = absoluteIn(*dir, im.baseDir());
        }
        if (auto v = keys.take(u"environment"_s)) {
            const auto expanded = text(*v);
            if (!expanded)
                return false;
            const auto env = iniEnvironment(im, *v, *expanded);
            if (!env)
                return false;
            spec.env = *env;
            if (v->value.contains(u"%(ENV_"_s))
                i.notes << u"environment: %(ENV_...)s expanded from the environment of the import"_s;
        }
        if (auto v = keys.take(u"autostart"_s)) {
            const auto b = iniBool(im, u"autostart"_s, *v);
            if (!b)
                return false;
            spec.autostart = *b;
        }
        if (auto v = keys.take(u"autorestart"_s)) {
            const QString t = v->value.toLower();
            if (t == u"unexpected"_s) {
                spec.restart = RestartPolicy::OnFailure;
            } else {
                const auto b = iniBool(im, u"autorestart"_s, *v);
                if (!b)
                    return false;
                spec.restart = *b ? RestartPolicy::Always : RestartPolicy::Never;
            }
        } else {
            spec.restart = RestartPolicy::OnFailure; // supervisord's default, "unexpected"
        }
        if (auto v = keys.take(u"startsecs"_s)) {
            const auto n = iniInt(im, u"startsecs"_s, *v, 0);
            if (!n)
                return false;
            spec.stableAfter = Millis(qint64(*n) * 1000);
        }
        if (auto v = keys.take(u"startretries"_s)) {
            const auto n = iniInt(im, u"startretries"_s, *v, 0);
            if (!n)
                return false;
            spec.maxRestarts = *n;
        }
        if (auto v = keys.take(u"stopsignal"_s)) {
            QString why2;
            const std::optional<int> sig = parseSignal(v->value, &why2);
            if (!sig)
                return im.fail(v->line, u"stopsignal: "_s + why2);
            spec.stopSignal = *sig;
        }
        if (auto v = keys.take(u"stopwaitsecs"_s)) {
            const auto n = iniInt(im, u"stopwaitsecs"_s, *v, 0);
            if (!n)
                return false;
            spec.stopTimeout = Millis(qint64(*n) * 1000);
        }
        for (const QString &key : {u"stopasgroup"_s, u"killasgroup"_s}) {
            if (auto v = keys.take(key))
                i.notes << u"%1 = %2: Lifeline always signals the whole process tree"_s.arg(key, v->value);
        }
        for (const auto &[key, v] : std::as_const(keys.keys)) {
            const QString why3 = supervisordNotes().value(key);
            if (!why3.isEmpty())
                i.notes << u"%1 = %2: not carried: %3"_s.arg(key, v.value, why3);
            else if (key.startsWith(u"stdout_"_s) || key.startsWith(u"stderr_"_s))
                i.notes << u"%1 = %2: not carried: Lifeline keeps output in state_dir/logs/NAME.log"_s.arg(
                    key, v.value);
            else
                i.notes << u"%1 = %2: not carried: no Lifeline equivalent"_s.arg(key, v.value);
        }
        im.services.append(i);
    }
    return true;
}

void readSupervisord(Importer &im, const QByteArray &text, const QHash<QString, QString> &environment)
{
    QList<IniSection> sections = readIni(im, text);
    for (IniSection &section : sections) {
        if (section.name.startsWith(u"program:"_s)) {
            if (!readProgram(im, section, environment))
                return;
        } else {
            im.fileNotes << u"[%1] (line %2): not carried: %3"_s.arg(section.name)
                                .arg(section.line)
                                .arg(section.name == u"include"_s ? u"import each included file on its own"_s
                                                                  : u"Lifeline has no such section"_s);
        }
    }
}

// --------------------------------------------------------------------- PM2

int lineOf(const QByteArray &text, qsizetype offset)
{
    return int(text.left(offset).count('\n')) + 1;
}

std::optional<Millis> pm2Millis(Importer &im, const QString &key, const QJsonValue &v)
{
    if (v.isDouble() && v.toDouble() >= 0)
        return Millis(qint64(v.toDouble()));
    if (v.isString()) {
        bool ok = false;
        const qint64 ms = v.toString().toLongLong(&ok);
        if (ok && ms >= 0)
            return Millis(ms);
        if (auto d = parseDuration(v.toString()))
            return d;
    }
    im.fail(0, u"%1: expected milliseconds, got %2"_s.arg(
                   key, QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact))));
    return std::nullopt;
}

QStringList pm2Words(const QJsonValue &v)
{
    if (v.isArray()) {
        QStringList words;
        for (const QJsonValue &w : v.toArray())
            words << w.toVariant().toString();
        return words;
    }
    return splitCommandLine(v.toVariant().toString()).value_or(QStringList{});
}

QHash<QString, QString> pm2Env(const QJsonObject &o)
{
    QHash<QString, QString> env;
    for (auto it = o.begin(); it != o.end(); ++it)
        env.insert(it.key(), it.value().isString()
                                 ? it.value().toString()
                                 : QString::fromUtf8(
                                       QJsonDocument(QJsonArray{it.value()}).toJson(QJsonDocument::Compact))
                                       .mid(1)
                                       .chopped(1));
    return env;
}

bool readPm2App(Importer &im, const QJsonObject &app, int index)
{
    QJsonObject keys = app;
    Imported i;
    ServiceSpec &spec = i.spec;
    const QString script = keys.take(u"script"_s).toString();
    if (script.isEmpty())
        return im.fail(0, u"apps[%1]: no \"script\""_s.arg(index));
    const QString rawName = keys.take(u"name"_s).toString(QFileInfo(script).completeBaseName());

    // pm2 picks an interpreter by the script's extension.
    static const QHash<QString, QString> byExtension{
        {u"js"_s, u"node"_s}, {u"mjs"_s, u"node"_s}, {u"cjs"_s, u"node"_s}, {u"py"_s, u"python3"_s},
        {u"sh"_s, u"bash"_s}, {u"rb"_s, u"ruby"_s},  {u"php"_s, u"php"_s},  {u"pl"_s, u"perl"_s}};
    QString interpreter = keys.take(u"interpreter"_s).toString();
    if (interpreter.isEmpty())
        interpreter = byExtension.value(QFileInfo(script).suffix());
    if (interpreter == u"none"_s)
        interpreter.clear();
    QStringList argv;
    if (!interpreter.isEmpty())
        argv << interpreter << pm2Words(keys.take(u"interpreter_args"_s)) << script;
    else
        argv << script;
    argv << pm2Words(keys.take(u"args"_s));
    spec.command = argv;

    spec.cwd = absoluteIn(keys.take(u"cwd"_s).toString(u"."_s), im.baseDir());
    spec.env = pm2Env(keys.take(u"env"_s).toObject());
    const QHash<QString, QString> production = pm2Env(keys.take(u"env_production"_s).toObject());
    if (!production.isEmpty()) {
        QStringList names = production.keys();
        names.sort();
        i.notes << u"env_production (%1) is applied over env, as `pm2 start --env production` would"_s.arg(
            names.join(u", "_s));
        spec.env.insert(production);
    }
    spec.restart = RestartPolicy::Always; // pm2 restarts on any exit
    if (keys.contains(u"autorestart"_s) && !keys.take(u"autorestart"_s).toBool(true))
        spec.restart = RestartPolicy::Never;
    if (keys.contains(u"max_memory_restart"_s)) {
        const QJsonValue v = keys.take(u"max_memory_restart"_s);
        // pm2 reads "200M" as 200 * 1024 * 1024.
        static const QRegularExpression size(u"^(\\d+)\\s*([KMG]?)B?$"_s,
                                             QRegularExpression::CaseInsensitiveOption);
        const QRegularExpressionMatch m = size.match(v.toVariant().toString().trimmed());
        if (!m.hasMatch())
            return im.fail(
                0,
                u"apps[%1]: max_memory_restart: expected a size like \"200M\", got \"%2\""_s.arg(index).arg(
                    v.toVariant().toString()));
        const QString unit = m.captured(2).toUpper();
        const int shift = unit == u"K"_s ? 10 : unit == u"M"_s ? 20 : unit == u"G"_s ? 30 : 0;
        spec.memoryLimit = m.captured(1).toLongLong() << shift;
        spec.memoryLimitUnit = unit.isEmpty() ? QString() : unit + u"iB"_s;
    }
    if (keys.contains(u"restart_delay"_s)) {
        const auto d = pm2Millis(im, u"restart_delay"_s, keys.take(u"restart_delay"_s));
        if (!d)
            return false;
        spec.restartDelay = *d;
        spec.backoffFactor = 1.0; // pm2 waits the same delay every time
    }
    if (keys.contains(u"exp_backoff_restart_delay"_s)) {
        const auto d =
            pm2Millis(im, u"exp_backoff_restart_delay"_s, keys.take(u"exp_backoff_restart_delay"_s));
        if (!d)
            return false;
        // pm2 multiplies the delay by 1.5 after each restart, up to 15 s.
        spec.restartDelay = *d;
        spec.backoffFactor = 1.5;
        spec.backoffMax = std::max(*d, Millis(15'000));
    }
    if (keys.contains(u"max_restarts"_s))
        spec.maxRestarts = std::max(0, keys.take(u"max_restarts"_s).toInt());
    if (keys.contains(u"min_uptime"_s)) {
        const auto d = pm2Millis(im, u"min_uptime"_s, keys.take(u"min_uptime"_s));
        if (!d)
            return false;
        spec.stableAfter = *d;
    }
    if (keys.contains(u"kill_timeout"_s)) {
        const auto d = pm2Millis(im, u"kill_timeout"_s, keys.take(u"kill_timeout"_s));
        if (!d)
            return false;
        spec.stopTimeout = *d;
    }
    int instances = 1;
    if (keys.contains(u"instances"_s)) {
        const QJsonValue v = keys.take(u"instances"_s);
        if (v.isDouble() && v.toInt() >= 1)
            instances = v.toInt();
        else
            i.notes << u"instances = %1: not carried: one instance per CPU is not known ahead; "
                       "one instance is imported, copy it for more"_s.arg(v.toVariant().toString());
    }
    if (keys.contains(u"exec_mode"_s) && keys.value(u"exec_mode"_s).toString().startsWith(u"cluster"_s))
        i.notes << u"exec_mode = cluster: not carried: Lifeline runs separate processes, which cannot share "
                   "one port; give each its own PORT"_s;
    keys.remove(u"exec_mode"_s);
    for (auto it = keys.begin(); it != keys.end(); ++it) {
        const QString value =
            it.value().isString()
                ? it.value().toString()
                : QString::fromUtf8(QJsonDocument(QJsonArray{it.value()}).toJson(QJsonDocument::Compact))
                      .mid(1)
                      .chopped(1);
        i.notes << u"%1 = %2: not carried: %3"_s.arg(
            it.key(), value,
            it.key().startsWith(u"env_"_s) ? u"only env and env_production are imported"_s
            : it.key().contains(u"log"_s) || it.key().endsWith(u"_file"_s)
                ? u"Lifeline keeps output in state_dir/logs/NAME.log"_s
                : u"no Lifeline equivalent"_s);
    }
    for (int n = 0; n < instances; ++n) {
        Imported copy = i;
        copy.notes.clear();
        copy.spec.name =
            im.serviceName(instances > 1 ? u"%1-%2"_s.arg(rawName).arg(n) : rawName, &copy.notes);
        copy.notes += i.notes;
        if (instances > 1)
            copy.spec.env.insert(u"NODE_APP_INSTANCE"_s, QString::number(n)); // as pm2 sets it
        im.services.append(copy);
    }
    return true;
}

void readPm2(Importer &im, const QByteArray &json)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        im.fail(lineOf(json, parseError.offset), u"not valid JSON: "_s + parseError.errorString());
        return;
    }
    const QJsonArray apps = doc.isArray() ? doc.array() : doc.object().value(u"apps"_s).toArray();
    if (doc.isObject()) {
        for (const QString &key : doc.object().keys()) {
            if (key != u"apps"_s)
                im.fileNotes << u"%1: not carried: only \"apps\" is imported"_s.arg(key);
        }
    }
    for (int n = 0; n < apps.size(); ++n) {
        if (!apps.at(n).isObject()) {
            im.fail(0, u"apps[%1]: expected an object"_s.arg(n));
            return;
        }
        if (!readPm2App(im, apps.at(n).toObject(), n))
            return;
    }
}

} // namespace

ImportResult importProcfile(const QByteArray &text, const QString &path)
{
    Importer im{u"procfile"_s, path, {}, {}, {}};
    readProcfile(im, text);
    return im.result();
}

ImportResult importSupervisord(const QByteArray &text, const QString &path,
                               const QHash<QString, QString> &environment)
{
    Importer im{u"supervisord"_s, path, {}, {}, {}};
    readSupervisord(im, text, environment);
    return im.result();
}

ImportResult importPm2Json(const QByteArray &json, const QString &path)
{
    Importer im{u"pm2"_s, path, {}, {}, {}};
    readPm2(im, json);
    return im.result();
}

ImportResult importPm2Yaml(const QByteArray &yaml, const QString &path)
{
    QString error;
    const std::optional<QJsonDocument> doc = yamlToJson(yaml, path, &error);
    if (!doc)
        return {{}, error};
    return importPm2Json(doc->toJson(QJsonDocument::Compact), path);
}

QString guessImportFormat(const QString &path)
{
    const QString name = QFileInfo(path).fileName().toLower();
    if (name.startsWith(u"procfile"_s))
        return u"procfile"_s;
    if (name.endsWith(u".conf"_s) || name.endsWith(u".ini"_s))
        return u"supervisord"_s;
    if (name.contains(u"ecosystem"_s) || name.contains(u"pm2"_s) || name.endsWith(u".config.js"_s) ||
        name.endsWith(u".config.cjs"_s))
        return u"pm2"_s;
    return {};
}

ImportResult importFile(const QString &format, const QString &path)
{
    QString error;
    std::optional<QByteArray> bytes = readConfigFile(path, &error);
    if (!bytes)
        return {{}, error, true};
    if (format == u"procfile"_s)
        return importProcfile(*bytes, path);
    if (format == u"supervisord"_s) {
        const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        QHash<QString, QString> environment;
        for (const QString &key : env.keys())
            environment.insert(key, env.value(key));
        return importSupervisord(*bytes, path, environment);
    }
    if (format != u"pm2"_s)
        return {{}, u"%1: unknown format \"%2\": procfile, supervisord or pm2"_s.arg(path, format)};
    const QString lower = path.toLower();
    if (lower.endsWith(u".yaml"_s) || lower.endsWith(u".yml"_s))
        return importPm2Yaml(*bytes, path);
    if (lower.endsWith(u".js"_s) || lower.endsWith(u".cjs"_s)) {
        bytes = pm2ConfigJsToJson(*bytes, path, &error);
        if (!bytes)
            return {{}, error};
    }
    return importPm2Json(*bytes, path);
}

std::optional<QByteArray> pm2ConfigJsToJson(const QByteArray &js, const QString &path, QString *error)
{
    const auto fail = [&](int line, const QString &cause) -> std::optional<QByteArray> {
        if (error)
            *error = line > 0 ? u"%1:%2: %3"_s.arg(path).arg(line).arg(cause) : u"%1: %2"_s.arg(path, cause);
        return std::nullopt;
    };
    static const QRegularExpression exports(u"module\\.exports\\s*="_s);
    const QString text = QString::fromUtf8(js);
    const QRegularExpressionMatch m = exports.match(text);
    if (!m.hasMatch())
        return fail(0, u"no \"module.exports = {...}\": export the apps as an object literal, or as JSON"_s);
    QString literal = text.mid(m.capturedEnd()).trimmed();
    while (literal.endsWith(u';'))
        literal.chop(1);
    const QString node = QStandardPaths::findExecutable(u"node"_s);
    if (node.isEmpty())
        return fail(0, u"reading a .js ecosystem file needs node, which is not installed; "
                       "give the apps as ecosystem.json instead"_s);
    // The literal alone, in a context with nothing in it: no require, no
    // process, no file system; a loop in it is stopped after 2 s.
    static const QString script = uR"(
const vm = require('vm');
let s = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', d => { s += d; }).on('end', () => {
  try {
    const v = vm.runInNewContext('(' + s + '\n)', Object.create(null), {timeout: 2000});
    process.stdout.write(JSON.stringify(v));
  } catch (e) {
    process.stderr.write(String(e && e.message || e));
    process.exit(1);
  }
});)"_s;
    QProcess p;
    p.start(node, {u"-e"_s, script});
    if (!p.waitForStarted(5000))
        return fail(0, u"cannot run node: "_s + p.errorString());
    p.write(literal.toUtf8());
    p.closeWriteChannel();
    if (!p.waitForFinished(10'000)) {
        p.kill();
        p.waitForFinished();
        return fail(0, u"node did not finish reading the file"_s);
    }
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return fail(lineOf(js, m.capturedEnd()),
                    u"module.exports is not plain data (%1): write the values out, or give JSON"_s.arg(
                        QString::fromUtf8(p.readAllStandardError()).trimmed()));
    return p.readAllStandardOutput();
}

} // namespace lifeline
