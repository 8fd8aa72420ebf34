#include "configloader.h"

#include "profileoverrides.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QHostAddress>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSet>
#include <QUrl>

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <limits>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

QString fromStd(std::string_view s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

QString quoted(const QString &s)
{
    QString out = s;
    out.replace(u'\\', u"\\\\"_s).replace(u'"', u"\\\""_s);
    return u'"' + out + u'"';
}

QString typeName(toml::node_type t)
{
    switch (t) {
    case toml::node_type::none:
        return u"nothing"_s;
    case toml::node_type::table:
        return u"a table"_s;
    case toml::node_type::array:
        return u"an array"_s;
    case toml::node_type::string:
        return u"a string"_s;
    case toml::node_type::integer:
        return u"an integer"_s;
    case toml::node_type::floating_point:
        return u"a float"_s;
    case toml::node_type::boolean:
        return u"a boolean"_s;
    case toml::node_type::date:
        return u"a date"_s;
    case toml::node_type::time:
        return u"a time"_s;
    case toml::node_type::date_time:
        return u"a date-time"_s;
    }
    return u"an unknown value"_s;
}

int editDistance(const QString &a, const QString &b)
{
    QList<int> prev(b.size() + 1);
    QList<int> cur(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        prev[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        cur[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

const QStringList kTopKeys{u"settings"_s, u"service"_s, u"recovery"_s,
                           u"metrics"_s,  u"alerts"_s,  u"profile"_s};
const QStringList kAlertsKeys{u"enabled"_s,
                              u"cooldown"_s,
                              u"restarts_per_hour"_s,
                              u"unhealthy_checks"_s,
                              u"memory_percent"_s,
                              u"memory_critical_percent"_s,
                              u"disk_percent"_s,
                              u"disk_critical_percent"_s,
                              u"service_memory_percent"_s,
                              u"error_count"_s,
                              u"error_window"_s,
                              u"maintenance_max"_s,
                              u"webhook"_s,
                              u"command"_s};
const QStringList kWebhookKeys{u"url"_s, u"format"_s, u"headers"_s, u"timeout"_s, u"retries"_s};
const QStringList kAlertCommandKeys{u"argv"_s, u"timeout"_s};
const QStringList kMetricsKeys{u"listen"_s};
const QStringList kSettingsKeys{u"state_dir"_s, u"sample_interval"_s, u"on_exit"_s, u"min_free_disk"_s};
const QStringList kServiceKeys{
    u"name"_s,         u"command"_s,        u"shell"_s,          u"cwd"_s,
    u"env"_s,          u"autostart"_s,      u"depends_on"_s,     u"ports"_s,
    u"restart"_s,      u"restart_delay"_s,  u"backoff_factor"_s, u"backoff_max"_s,
    u"max_restarts"_s, u"restart_window"_s, u"stable_after"_s,   u"fatal_retry"_s,
    u"stop_signal"_s,  u"stop_timeout"_s,   u"memory_limit"_s,   u"memory_limit_for"_s,
    u"cpu_limit"_s,    u"cpu_limit_for"_s,  u"health"_s,         u"logs"_s,
    u"repair"_s,       u"update"_s,         u"errors"_s};
const QStringList kHealthKeys{u"url"_s,          u"tcp"_s,       u"exec"_s,
                              u"interval"_s,     u"timeout"_s,   u"start_period"_s,
                              u"failures"_s,     u"successes"_s, u"restart_on_unhealthy"_s,
                              u"expect_status"_s};
const QStringList kLogsKeys{u"max_size"_s, u"backups"_s, u"compress"_s, u"max_age"_s};
const QStringList kRecoveryKeys{u"clean"_s, u"backup_logs"_s, u"keep_backups"_s, u"verify_timeout"_s,
                                u"repair"_s};
const QStringList kRepairKeys{u"steps"_s, u"timeout"_s};
const QStringList kUpdateKeys{u"repo"_s, u"remote"_s, u"branch"_s, u"interval"_s,
                              u"mode"_s, u"build"_s,  u"dirty"_s,  u"verify_timeout"_s};
constexpr size_t kMaxProfiles = 64;
const QStringList kErrorsKeys{u"patterns"_s, u"default_patterns"_s, u"files"_s};

// "a -> b -> a"; a cycle through thousands of services keeps its ends and
// says how many it left out, so the message stays readable.
QString cyclePath(const QStringList &names)
{
    constexpr qsizetype kEnds = 20;
    if (names.size() <= 2 * kEnds + 1)
        return names.join(u" -> "_s);
    return names.first(kEnds).join(u" -> "_s) + u" -> ... (%1 more) ... -> "_s.arg(names.size() - 2 * kEnds) +
           names.last(kEnds).join(u" -> "_s);
}

bool hasWildcard(const QString &part)
{
    return part.contains(u'*') || part.contains(u'?') || part.contains(u'[');
}

// One component of a recovery.clean glob against one file name, the way
// recovery resolves it (QDir name filters: case-sensitive, and a wildcard
// matches a hidden name only when the part itself starts with a dot).
bool globPartMatches(const QString &part, const QString &name)
{
    if (!hasWildcard(part))
        return part == name;
    if (name.startsWith(u'.') && !part.startsWith(u'.'))
        return false;
    const QRegularExpression re(QRegularExpression::wildcardToRegularExpression(part));
    return re.match(name).hasMatch();
}

// What Lifeline keeps in its state_dir. The history database stands for
// every history* file (its -wal and -shm companions).
struct StateEntry
{
    QString name;
    bool isDir;
};
const QList<StateEntry> kStateEntries{
    {u"history.sqlite"_s, false},
    {u"history.sqlite-wal"_s, false},
    {u"history.sqlite-shm"_s, false},
    {u"alerts.sqlite"_s, false},
    {u"alerts.sqlite-wal"_s, false},
    {u"alerts.sqlite-shm"_s, false},
    {u"errors.sqlite"_s, false},
    {u"errors.sqlite-wal"_s, false},
    {u"errors.sqlite-shm"_s, false},
    {u"repair"_s, true},
    {u"update"_s, true},
    {u"reports"_s, true},
    {u"lifeline.lock"_s, false},
    {u"lifeline.log"_s, false},
    {u"logs"_s, true},
    {u"run"_s, true},
    {u"recovery"_s, true},
};

QString existingOrClean(const QString &path)
{
    const QString canonical = QFileInfo(path).canonicalFilePath();
    return canonical.isEmpty() ? QDir::cleanPath(path) : canonical;
}

// Who a message is about: `service "api"` (or `service #2` before a name is
// known), `settings`, `recovery`, or nothing for the top level; plus a prefix
// for keys of a sub-table ("health.").
struct Scope
{
    QString label;
    QString keyPrefix;
    QString service; // the service's name, when the scope is (part of) a named service

    QString key(const QString &k) const { return keyPrefix + k; }
    QString message(const QString &key, const QString &text) const
    {
        QString out;
        if (!label.isEmpty())
            out += label + u": "_s;
        if (!key.isEmpty())
            out += keyPrefix + key + u": "_s;
        return out + text;
    }
};

struct Item
{
    QString value;
    const toml::node *node = nullptr;
};

// What the cross-service checks need to point back at the file.
struct ServiceInfo
{
    const toml::node *nameNode = nullptr;
    bool named = false;
    QList<Item> deps;
    QList<std::pair<quint16, const toml::node *>> ports;
};

class Loader
{
public:
    Loader(const QString &file, const QString &baseDir)
        : m_file(file)
        , m_baseDir(baseDir)
    {}

    LoadResult run(const QByteArray &text);

private:
    // The whole file again, as profile `profile` makes it: errors name the
    // profile; warnings (unknown keys, ...) are the base's, reported once.
    Loader(const QString &file, const QString &baseDir, const QString &profile)
        : m_file(file)
        , m_baseDir(baseDir)
        , m_profile(profile)
    {}
    void loadRoot(const toml::table &root);
    LoadResult finish();

    void report(Diagnostic::Severity severity, const toml::source_position &pos, const QString &message)
    {
        if (!m_profile.isEmpty() && severity == Diagnostic::Severity::Warning)
            return;
        Diagnostic d;
        d.severity = severity;
        d.file = m_file;
        d.line = int(pos.line);
        d.column = int(pos.column);
        d.profile = m_profile;
        d.message = m_profile.isEmpty() ? message : u"profile "_s + quoted(m_profile) + u", "_s + message;
        if (severity == Diagnostic::Severity::Error)
            m_result.errors.append(d);
        else
            m_result.warnings.append(d);
    }
    void error(const toml::node &node, const Scope &s, const QString &key, const QString &text)
    {
        report(Diagnostic::Severity::Error, node.source().begin, s.message(key, text));
        Diagnostic &d = m_result.errors.last();
        d.service = s.service;
        d.key = s.key(key);
        d.reason = text;
    }
    void typeError(const toml::node &node, const Scope &s, const QString &key, const QString &expected)
    {
        error(node, s, key, u"expected "_s + expected + u", got "_s + typeName(node.type()));
    }

    void checkKeys(const toml::table &table, const QStringList &known, const Scope &s,
                   Diagnostic::Severity severity = Diagnostic::Severity::Warning);
    const toml::table *getTable(const toml::table &t, const QString &key, const Scope &s);
    std::optional<QString> getString(const toml::table &t, const QString &key, const Scope &s);
    std::optional<bool> getBool(const toml::table &t, const QString &key, const Scope &s);
    std::optional<qint64> getInt(const toml::table &t, const QString &key, const Scope &s, qint64 min,
                                 qint64 max);
    std::optional<double> getNumber(const toml::table &t, const QString &key, const Scope &s, double min,
                                    double max);
    std::optional<Millis> getDuration(const toml::table &t, const QString &key, const Scope &s,
                                      Millis min = Millis(0));
    std::optional<qint64> getSize(const toml::table &t, const QString &key, const Scope &s);
    std::optional<QList<Item>> getStringList(const toml::table &t, const QString &key, const Scope &s);
    std::optional<QStringList> getCommand(const toml::node &node, const Scope &s, const QString &key,
                                          bool shell);
    std::optional<QString> getPath(const toml::table &t, const QString &key, const Scope &s);
    template<typename E>
    std::optional<E> getEnum(const toml::table &t, const QString &key, const Scope &s,
                             const QList<std::pair<QString, E>> &allowed);

    void loadSettings(const toml::table &root);
    void loadRecovery(const toml::table &root);
    void loadMetrics(const toml::table &root);
    void loadAlerts(const toml::table &root);
    void loadAlertSinks(const toml::table &t, const Scope &s);
    void profileError(const toml::source_position &pos, const Scope &s, const QString &profile,
                      const QString &key, const QString &text);
    // False when there are too many profiles to load each one.
    bool checkProfiles(const toml::table &root);
    void loadProfiles(const QByteArray &text, const toml::table &root);
    void loadServices(const toml::table &root);
    void loadService(const toml::table &t, int index);
    void loadHealth(const toml::table &t, ServiceSpec &spec, const Scope &s);
    void loadErrors(const toml::table &t, ServiceSpec &spec, const Scope &service);
    void loadLogs(const toml::table &t, ServiceSpec &spec, const Scope &s);
    void loadRepair(const toml::table &t, ServiceSpec &spec, const Scope &s);
    void loadUpdate(const toml::table &t, ServiceSpec &spec, const Scope &s);
    void checkDependencies();
    void checkCleanGlobs();

    QString m_file;
    QString m_baseDir;
    QString m_profile; // set while loading the file as a profile makes it
    LoadResult m_result;
    Config m_config;
    QList<ServiceInfo> m_infos;               // parallel to m_config.services
    QList<std::pair<int, Item>> m_cleanItems; // (index in the file's list, glob); parallel to recovery.clean
};

void Loader::checkKeys(const toml::table &table, const QStringList &known, const Scope &s,
                       Diagnostic::Severity severity)
{
    for (auto &&[k, v] : table) {
        Q_UNUSED(v);
        const QString key = fromStd(k.str());
        if (known.contains(key))
            continue;
        QString best;
        int bestDistance = 3;
        for (const QString &candidate : known) {
            const int d = editDistance(key, candidate);
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        QString text = u"unknown key "_s + quoted(s.key(key));
        if (!best.isEmpty())
            text += u" (did you mean "_s + quoted(s.key(best)) + u"?)"_s;
        if (severity == Diagnostic::Severity::Warning)
            text += u"; it is ignored"_s;
        report(severity, k.source().begin, s.message({}, text));
        if (severity == Diagnostic::Severity::Error) {
            m_result.errors.last().service = s.service;
            m_result.errors.last().key = s.key(key);
            m_result.errors.last().reason = text;
        }
    }
}

const toml::table *Loader::getTable(const toml::table &t, const QString &key, const Scope &s)
{
    const toml::node *n = t.get(key.toStdString());
    if (!n)
        return nullptr;
    if (const toml::table *table = n->as_table())
        return table;
    typeError(*n, s, key, u"a table"_s);
    return nullptr;
}

std::optional<QString> Loader::getString(const toml::table &t, const QString &key, const Scope &s)
{
    const toml::node *n = t.get(key.toStdString());
    if (!n)
        return std::nullopt;
    if (const auto *v = n->as_string())
        return fromStd(v->get());
    typeError(*n, s, key, u"a string"_s);
    return std::nullopt;
}

std::optional<bool> Loader::getBool(const toml::table &t, const QString &key, const Scope &s)
{
    const toml::node *n = t.get(key.toStdString());
    if (!n)
        return std::nullopt;
    if (const auto *v = n->as_boolean())
        return v->get();
    typeError(*n, s, key, u"a boolean (true or false)"_s);
    return std::nullopt;
}

std::optional<qint64> Loader::getInt(const toml::table &t, const QString &key, const Scope &s, qint64 min,
                                     qint64 max)
{
    const toml::node *n = t.get(key.toStdString());
    if (!n)
        return std::nullopt;
    const auto *v = n->as_integer();
    if (!v) {
        typeError(*n, s, key, u"an integer"_s);
        return std::nullopt;
    }
    const qint64 value = v->get();
    if (value < min || value > max) {
        const QString range = max >= std::numeric_limits<int>::max()
                                  ? u"must be at least %1"_s.arg(min)
                                  : u"must be between %1 and %2"_s.arg(min).arg(max);
        error(*n, s, key, range + u", got %1"_s.arg(value));
        return std::nullopt;
    }
    return value;
}

std::optional<double> Loader::getNumber(const toml::table &t, const QString &key, const Scope &s, double min,
                                        double max)
{
    const toml::node *n = t.get(key.toStdString());
    if (!n)
        return std::nullopt;
    double value = 0;
    if (const auto *i = n->as_integer()) {
        value = double(i->get());
    } else if (const auto *f = n->as_floating_point()) {
        value = f->get();
    } else {
        typeError(*n, s, key, u"a number"_s);
        return std::nullopt;
    }
    if (!std::isfinite(value) || value < min || value > max) {
        error(*n, s, key, u"must be between %1 and %2, got %3"_s.arg(min).arg(max).arg(value));
        return std::nullopt;
    }
    return value;
}

std::optional<Millis> Loader::getDuration(const toml::table &t, const QString &key, const Scope &s,
                                          Millis min)
{
    const toml::node *n = t.get(key.toStdString());
    if (!n)
        return std::nullopt;
    const auto *v = n->as_string();
    if (!v) {
        typeError(*n, s, key, u"a duration string such as \"3s\""_s);
        return std::nullopt;
    }
    QString why;
    const std::optional<Millis> d = parseDuration(fromStd(v->get()), &why);
    if (!d) {
        error(*n, s, key, why);
        return std::nullopt;
    }
    if (*d < min) {
        error(*n, s, key,
              u"must be at least "_s + formatDuration(min) + u", got "_s + quoted(fromStd(v->get())));
        return std::nullopt;
    }
    return d;
}

std::optional<qint64> Loader::getSize(const toml::table &t, const QString &key, const Scope &s)
{
    const toml::node *n = t.get(key.toStdString());
    if (!n)
        return std::nullopt;
    if (const auto *i = n->as_integer()) {
        if (i->get() < 0 || i->get() > kMaxSize) {
            error(*n, s, key, u"must be between 0 and %1 bytes, got %2"_s.arg(kMaxSize).arg(i->get()));
            return std::nullopt;
        }
        return i->get();
    }
    const auto *v = n->as_string();
    if (!v) {
        typeError(*n, s, key, u"a size string such as \"10MB\""_s);
        return std::nullopt;
    }
    QString why;
    const std::optional<qint64> size = parseSize(fromStd(v->get()), &why);
    if (!size)
        error(*n, s, key, why);
    return size;
}

std::optional<QList<Item>> Loader::getStringList(const toml::table &t, const QString &key, const Scope &s)
{
    const toml::node *n = t.get(key.toStdString());
    if (!n)
        return std::nullopt;
    const toml::array *array = n->as_array();
    if (!array) {
        typeError(*n, s, key, u"an array of strings"_s);
        return std::nullopt;
    }
    QList<Item> items;
    bool ok = true;
    int index = 0;
    for (const toml::node &element : *array) {
        if (const auto *str = element.as_string()) {
            items.append(Item{fromStd(str->get()), &element});
        } else {
            typeError(element, s, key + u"[%1]"_s.arg(index), u"a string"_s);
            ok = false;
        }
        ++index;
    }
    if (!ok)
        return std::nullopt;
    return items;
}

std::optional<QStringList> Loader::getCommand(const toml::node &node, const Scope &s, const QString &key,
                                              bool shell)
{
    QStringList argv;
    if (const auto *str = node.as_string()) {
        const QString text = fromStd(str->get());
        if (text.trimmed().isEmpty()) {
            error(node, s, key, u"must not be empty"_s);
            return std::nullopt;
        }
        if (shell)
            return QStringList{text};
        QString why;
        const std::optional<QStringList> split = splitCommandLine(text, &why);
        if (!split) {
            error(node, s, key, why);
            return std::nullopt;
        }
        argv = *split;
    } else if (const toml::array *array = node.as_array()) {
        int index = 0;
        bool ok = true;
        for (const toml::node &element : *array) {
            if (const auto *arg = element.as_string()) {
                argv.append(fromStd(arg->get()));
            } else {
                typeError(element, s, key + u"[%1]"_s.arg(index), u"a string"_s);
                ok = false;
            }
            ++index;
        }
        if (!ok)
            return std::nullopt;
    } else {
        typeError(node, s, key, u"a string or an array of strings"_s);
        return std::nullopt;
    }
    if (argv.isEmpty() || argv.first().trimmed().isEmpty()) {
        error(node, s, key, argv.isEmpty() ? u"must not be empty"_s : u"the program name is empty"_s);
        return std::nullopt;
    }
    return argv;
}

std::optional<QString> Loader::getPath(const toml::table &t, const QString &key, const Scope &s)
{
    const std::optional<QString> raw = getString(t, key, s);
    if (!raw)
        return std::nullopt;
    if (raw->trimmed().isEmpty()) {
        error(*t.get(key.toStdString()), s, key, u"must not be empty"_s);
        return std::nullopt;
    }
    return expandPath(*raw, m_baseDir);
}

template<typename E>
std::optional<E> Loader::getEnum(const toml::table &t, const QString &key, const Scope &s,
                                 const QList<std::pair<QString, E>> &allowed)
{
    const std::optional<QString> text = getString(t, key, s);
    if (!text)
        return std::nullopt;
    QStringList names;
    for (const auto &[name, value] : allowed) {
        if (name == *text)
            return value;
        names.append(name);
    }
    error(*t.get(key.toStdString()), s, key,
          u"expected one of "_s + names.join(u", "_s) + u", got "_s + quoted(*text));
    return std::nullopt;
}

void Loader::loadSettings(const toml::table &root)
{
    Settings &settings = m_config.settings;
    settings.stateDir = expandPath(u"~/.local/state/lifeline"_s, m_baseDir);
    const Scope s{u"settings"_s, {}, {}};
    const toml::table *t = getTable(root, u"settings"_s, Scope{});
    if (!t)
        return;
    checkKeys(*t, kSettingsKeys, s);
    if (auto v = getPath(*t, u"state_dir"_s, s))
        settings.stateDir = *v;
    if (auto v = getDuration(*t, u"sample_interval"_s, s, Millis(100)))
        settings.sampleInterval = *v;
    if (auto v =
            getEnum<OnExit>(*t, u"on_exit"_s, s,
                            {{u"ask"_s, OnExit::Ask}, {u"stop"_s, OnExit::Stop}, {u"keep"_s, OnExit::Keep}}))
        settings.onExit = *v;
    if (auto v = getSize(*t, u"min_free_disk"_s, s))
        settings.minFreeDisk = *v;
}

void Loader::loadRecovery(const toml::table &root)
{
    RecoverySpec &recovery = m_config.recovery;
    const Scope s{u"recovery"_s, {}, {}};
    const toml::table *t = getTable(root, u"recovery"_s, Scope{});
    if (!t)
        return;
    checkKeys(*t, kRecoveryKeys, s);
    if (auto v = getStringList(*t, u"clean"_s, s)) {
        int index = 0;
        for (const Item &item : *v) {
            if (item.value.trimmed().isEmpty())
                error(*item.node, s, u"clean[%1]"_s.arg(index), u"must not be empty"_s);
            else if (item.value.startsWith(u'/') || item.value.startsWith(u'~'))
                error(*item.node, s, u"clean[%1]"_s.arg(index),
                      quoted(item.value) + u" must be relative to a service's cwd"_s);
            else
                m_cleanItems.append({index, item});
            ++index;
        }
        for (const auto &entry : std::as_const(m_cleanItems))
            recovery.clean.append(entry.second.value);
    }
    if (auto v = getBool(*t, u"backup_logs"_s, s))
        recovery.backupLogs = *v;
    if (auto v = getInt(*t, u"keep_backups"_s, s, 0, 1000))
        recovery.keepBackups = int(*v);
    if (auto v = getDuration(*t, u"verify_timeout"_s, s, Millis(1)))
        recovery.verifyTimeout = *v;
    if (auto v = getBool(*t, u"repair"_s, s))
        recovery.repair = *v;
}

void Loader::loadMetrics(const toml::table &root)
{
    const Scope s{u"metrics"_s, {}, {}};
    const toml::table *t = getTable(root, u"metrics"_s, Scope{});
    if (!t)
        return;
    checkKeys(*t, kMetricsKeys, s);
    const auto text = getString(*t, u"listen"_s, s);
    if (!text)
        return;
    QString why;
    const toml::node &node = *t->get("listen");
    if (auto spec = parseMetricsListen(*text, &why)) {
        spec->pos = SourcePos{int(node.source().begin.line), int(node.source().begin.column)};
        m_config.metrics = *spec;
    } else {
        error(node, s, u"listen"_s, why);
    }
}

void Loader::loadAlerts(const toml::table &root)
{
    AlertsSpec &a = m_config.alerts;
    const Scope s{u"alerts"_s, u"alerts."_s, {}};
    const toml::table *t = getTable(root, u"alerts"_s, Scope{});
    if (!t)
        return;
    checkKeys(*t, kAlertsKeys, s);
    if (auto v = getBool(*t, u"enabled"_s, s))
        a.enabled = *v;
    if (auto v = getDuration(*t, u"cooldown"_s, s))
        a.cooldown = *v;
    if (auto v = getInt(*t, u"restarts_per_hour"_s, s, 1, 100'000))
        a.restartsPerHour = int(*v);
    if (auto v = getInt(*t, u"unhealthy_checks"_s, s, 1, 100'000))
        a.unhealthyChecks = int(*v);
    const auto percent = [&](const QString &key, double &into) {
        if (auto v = getNumber(*t, key, s, 1, 100))
            into = *v;
    };
    percent(u"memory_percent"_s, a.memoryPercent);
    percent(u"memory_critical_percent"_s, a.memoryCriticalPercent);
    percent(u"disk_percent"_s, a.diskPercent);
    percent(u"disk_critical_percent"_s, a.diskCriticalPercent);
    percent(u"service_memory_percent"_s, a.serviceMemoryPercent);
    for (const auto &[warn, critical, key] :
         {std::tuple(a.memoryPercent, a.memoryCriticalPercent, u"memory_critical_percent"_s),
          std::tuple(a.diskPercent, a.diskCriticalPercent, u"disk_critical_percent"_s)}) {
        if (critical >= warn)
            continue;
        const toml::node *n = t->get(key.toStdString());
        error(n ? *n : static_cast<const toml::node &>(*t), s, key,
              u"%1 % must not be below the warning threshold (%2 %)"_s.arg(critical).arg(warn));
    }
    if (auto v = getInt(*t, u"error_count"_s, s, 1, 100'000'000))
        a.errorCount = int(*v);
    if (auto v = getDuration(*t, u"error_window"_s, s, Millis(1'000)))
        a.errorWindow = *v;
    if (auto v = getDuration(*t, u"maintenance_max"_s, s, Millis(1'000)))
        a.maintenanceMax = *v;
    loadAlertSinks(*t, s);
}

void Loader::loadAlertSinks(const toml::table &t, const Scope &s)
{
    const auto tables = [&](const QString &key, auto each) {
        const toml::node *n = t.get(key.toStdString());
        if (!n)
            return;
        const toml::array *array = n->as_array();
        if (!array || !array->is_array_of_tables()) {
            typeError(*n, s, key, u"an array of tables ([[alerts.%1]])"_s.arg(key));
            return;
        }
        int index = 0;
        for (const toml::node &element : *array)
            each(*element.as_table(), Scope{u"alerts.%1[%2]"_s.arg(key).arg(index++), {}, {}});
    };
    tables(u"webhook"_s, [&](const toml::table &w, const Scope &ws) {
        checkKeys(w, kWebhookKeys, ws);
        AlertWebhookSpec spec;
        spec.line = int(w.source().begin.line);
        const auto url = getString(w, u"url"_s, ws);
        if (!url) {
            if (!w.get("url"))
                report(Diagnostic::Severity::Error, w.source().begin,
                       ws.message(u"url"_s, u"missing; a webhook needs the address to post to"_s));
            return;
        }
        const QUrl parsed(*url, QUrl::StrictMode);
        if (!parsed.isValid() || (parsed.scheme() != u"http"_s && parsed.scheme() != u"https"_s) ||
            parsed.host().isEmpty()) {
            error(*w.get("url"), ws, u"url"_s,
                  u"expected an http:// or https:// address, got "_s + quoted(*url));
            return;
        }
        spec.url = *url;
        using F = AlertWebhookSpec::Format;
        if (auto v = getEnum<F>(w, u"format"_s, ws,
                                {{u"json"_s, F::Json},
                                 {u"slack"_s, F::Slack},
                                 {u"discord"_s, F::Discord},
                                 {u"ntfy"_s, F::Ntfy}}))
            spec.format = *v;
        if (const toml::table *headers = getTable(w, u"headers"_s, ws)) {
            for (auto &&[k, v] : *headers) {
                const QString name = fromStd(k.str());
                const auto *value = v.as_string();
                const bool nameOk = !name.isEmpty() && std::all_of(name.begin(), name.end(), [](QChar c) {
                    return c.unicode() > 32 && c.unicode() < 127 && c != u':';
                });
                if (!value)
                    typeError(v, ws, u"headers."_s + name, u"a string"_s);
                else if (!nameOk || fromStd(value->get()).contains(u'\n') ||
                         fromStd(value->get()).contains(u'\r'))
                    error(v, ws, u"headers."_s + name, u"not a valid HTTP header (name or value)"_s);
                else
                    spec.headers.append({name, fromStd(value->get())});
            }
        }
        if (auto v = getDuration(w, u"timeout"_s, ws, Millis(100)))
            spec.timeout = *v;
        if (auto v = getInt(w, u"retries"_s, ws, 0, 10))
            spec.retries = int(*v);
        m_config.alerts.webhooks.append(spec);
    });
    tables(u"command"_s, [&](const toml::table &c, const Scope &cs) {
        checkKeys(c, kAlertCommandKeys, cs);
        AlertCommandSpec spec;
        spec.line = int(c.source().begin.line);
        const toml::node *argv = c.get("argv");
        if (!argv) {
            report(Diagnostic::Severity::Error, c.source().begin,
                   cs.message(u"argv"_s, u"missing; a command sink needs the program to run"_s));
            return;
        }
        const auto command = getCommand(*argv, cs, u"argv"_s, false);
        if (!command)
            return;
        spec.argv = *command;
        if (auto v = getDuration(c, u"timeout"_s, cs, Millis(100)))
            spec.timeout = *v;
        m_config.alerts.commands.append(spec);
    });
}

void Loader::loadServices(const toml::table &root)
{
    const toml::node *n = root.get("service");
    if (!n)
        return;
    const toml::array *array = n->as_array();
    if (!array) {
        error(*n, Scope{}, u"service"_s,
              u"expected an array of tables ([[service]]), got "_s + typeName(n->type()));
        return;
    }
    int index = 0;
    for (const toml::node &element : *array) {
        ++index;
        if (const toml::table *t = element.as_table())
            loadService(*t, index);
        else
            typeError(element, Scope{}, u"service[%1]"_s.arg(index - 1), u"a table"_s);
    }
}

void Loader::loadService(const toml::table &t, int index)
{
    ServiceSpec spec;
    ServiceInfo info;
    spec.pos = SourcePos{int(t.source().begin.line), int(t.source().begin.column)};
    Scope s{u"service #%1 (line %2)"_s.arg(index).arg(spec.pos.line), {}, {}};

    const toml::node *nameNode = t.get("name");
    if (!nameNode) {
        error(t, s, u"name"_s, u"missing; every service needs a name"_s);
    } else if (const auto *str = nameNode->as_string()) {
        spec.name = fromStd(str->get());
        info.nameNode = nameNode;
        if (spec.name.isEmpty()) {
            error(*nameNode, s, u"name"_s, u"must not be empty"_s);
        } else {
            info.named = true;
            s.label = u"service "_s + quoted(spec.name);
            s.service = spec.name;
            if (!isValidServiceName(spec.name))
                error(*nameNode, s, u"name"_s,
                      u"invalid name "_s + quoted(spec.name) +
                          u" (use 1-64 characters from A-Z, a-z, 0-9, '_', '.', '-', not starting with '.';"
                          u" the name becomes a file name: logs/NAME.log, run/NAME.pid)"_s);
        }
    } else {
        typeError(*nameNode, s, u"name"_s, u"a string"_s);
    }

    checkKeys(t, kServiceKeys, s);

    if (auto v = getBool(t, u"shell"_s, s))
        spec.shell = *v;
    if (const toml::node *cmd = t.get("command")) {
        if (auto argv = getCommand(*cmd, s, u"command"_s, spec.shell))
            spec.command = *argv;
    } else {
        error(t, s, u"command"_s, u"missing; every service needs a command"_s);
    }
    if (auto v = getPath(t, u"cwd"_s, s))
        spec.cwd = *v;
    if (const toml::table *env = getTable(t, u"env"_s, s)) {
        for (auto &&[k, v] : *env) {
            const QString key = fromStd(k.str());
            if (key.isEmpty() || key.contains(u'=') || key.contains(QChar(0))) {
                report(Diagnostic::Severity::Error, k.source().begin,
                       s.message(u"env"_s, u"invalid variable name "_s + quoted(key)));
                m_result.errors.last().service = s.service;
                m_result.errors.last().key = u"env"_s;
                m_result.errors.last().reason = u"invalid variable name "_s + quoted(key);
            } else if (const auto *str = v.as_string()) {
                spec.env.insert(key, fromStd(str->get()));
            } else {
                typeError(v, s, u"env."_s + key, u"a string"_s);
            }
        }
    }
    if (auto v = getBool(t, u"autostart"_s, s))
        spec.autostart = *v;
    if (auto v = getStringList(t, u"depends_on"_s, s)) {
        for (const Item &item : *v) {
            if (spec.dependsOn.contains(item.value))
                continue;
            spec.dependsOn.append(item.value);
            info.deps.append(item);
        }
    }
    if (const toml::node *portsNode = t.get("ports")) {
        if (const toml::array *ports = portsNode->as_array()) {
            int i = 0;
            for (const toml::node &element : *ports) {
                const QString key = u"ports[%1]"_s.arg(i++);
                const auto *port = element.as_integer();
                if (!port) {
                    typeError(element, s, key, u"an integer"_s);
                } else if (port->get() < 1 || port->get() > 65535) {
                    error(element, s, key, u"must be between 1 and 65535, got %1"_s.arg(port->get()));
                } else if (spec.ports.contains(quint16(port->get()))) {
                    error(element, s, key, u"port %1 is listed twice"_s.arg(port->get()));
                } else {
                    spec.ports.append(quint16(port->get()));
                    info.ports.append({quint16(port->get()), &element});
                }
            }
        } else {
            typeError(*portsNode, s, u"ports"_s, u"an array of integers"_s);
        }
    }
    if (auto v = getEnum<RestartPolicy>(t, u"restart"_s, s,
                                        {{u"always"_s, RestartPolicy::Always},
                                         {u"on-failure"_s, RestartPolicy::OnFailure},
                                         {u"never"_s, RestartPolicy::Never}}))
        spec.restart = *v;
    if (auto v = getDuration(t, u"restart_delay"_s, s))
        spec.restartDelay = *v;
    if (auto v = getNumber(t, u"backoff_factor"_s, s, 1.0, 100.0))
        spec.backoffFactor = *v;
    if (auto v = getDuration(t, u"backoff_max"_s, s))
        spec.backoffMax = *v;
    if (auto v = getInt(t, u"max_restarts"_s, s, 0, std::numeric_limits<int>::max()))
        spec.maxRestarts = int(*v);
    if (auto v = getDuration(t, u"restart_window"_s, s, Millis(1)))
        spec.restartWindow = *v;
    if (auto v = getDuration(t, u"stable_after"_s, s))
        spec.stableAfter = *v;
    if (auto v = getDuration(t, u"fatal_retry"_s, s, Millis(1)))
        spec.fatalRetry = *v;
    if (const toml::node *sig = t.get("stop_signal")) {
        QString text;
        bool typeOk = true;
        if (const auto *str = sig->as_string())
            text = fromStd(str->get());
        else if (const auto *num = sig->as_integer())
            text = QString::number(num->get());
        else
            typeOk = false;
        if (!typeOk) {
            typeError(*sig, s, u"stop_signal"_s, u"a signal name or number"_s);
        } else {
            QString why;
            if (auto signal = parseSignal(text, &why))
                spec.stopSignal = *signal;
            else
                error(*sig, s, u"stop_signal"_s, why);
        }
    }
    if (auto v = getDuration(t, u"stop_timeout"_s, s))
        spec.stopTimeout = *v;
    if (auto v = getSize(t, u"memory_limit"_s, s)) {
        spec.memoryLimit = *v;
        if (const auto *text = t.get_as<std::string>("memory_limit"))
            spec.memoryLimitUnit = sizeUnit(fromStd(text->get()));
    }
    if (auto v = getDuration(t, u"memory_limit_for"_s, s))
        spec.memoryLimitFor = *v;
    // Percent of one core, as the table and `top` show it: 250 = two and a half cores.
    if (auto v = getNumber(t, u"cpu_limit"_s, s, 1, 100000))
        spec.cpuLimit = *v;
    if (auto v = getDuration(t, u"cpu_limit_for"_s, s, Millis(1)))
        spec.cpuLimitFor = *v;
    if (const toml::table *health = getTable(t, u"health"_s, s))
        loadHealth(*health, spec, s);
    if (const toml::table *logs = getTable(t, u"logs"_s, s))
        loadLogs(*logs, spec, s);
    if (const toml::table *repair = getTable(t, u"repair"_s, s))
        loadRepair(*repair, spec, s);
    if (const toml::table *update = getTable(t, u"update"_s, s))
        loadUpdate(*update, spec, s);
    if (const toml::table *errors = getTable(t, u"errors"_s, s))
        loadErrors(*errors, spec, s);

    m_config.services.append(spec);
    m_infos.append(info);
}

void Loader::loadHealth(const toml::table &t, ServiceSpec &spec, const Scope &service)
{
    const Scope s{service.label, u"health."_s, service.service};
    HealthSpec &h = spec.health;
    checkKeys(t, kHealthKeys, s);

    // Exactly one probe; the later one in the file is the one to point at.
    QList<std::pair<QString, const toml::node *>> probes;
    for (const QString &key : {u"url"_s, u"tcp"_s, u"exec"_s}) {
        if (const toml::node *n = t.get(key.toStdString()))
            probes.append({key, n});
    }
    std::sort(probes.begin(), probes.end(), [](const auto &a, const auto &b) {
        const auto pa = a.second->source().begin;
        const auto pb = b.second->source().begin;
        return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
    });
    if (probes.isEmpty()) {
        error(t, service, u"health"_s, u"one of url, tcp or exec is required"_s);
    } else if (probes.size() > 1) {
        QStringList names;
        for (const auto &p : probes)
            names.append(p.first);
        error(*probes[1].second, s, probes[1].first,
              u"use only one of url, tcp or exec (found "_s + names.join(u" and "_s) + u')');
    } else if (probes[0].first == u"url"_s) {
        if (auto text = getString(t, u"url"_s, s)) {
            const QUrl url(*text, QUrl::StrictMode);
            const QString scheme = url.scheme().toLower();
            if (!url.isValid() || (scheme != u"http"_s && scheme != u"https"_s) || url.host().isEmpty()) {
                error(*probes[0].second, s, u"url"_s,
                      quoted(*text) +
                          u" is not an http or https URL with a host (e.g. http://127.0.0.1:8000/health)"_s);
            } else {
                h.kind = HealthSpec::Kind::Http;
                h.url = *text;
            }
        }
    } else if (probes[0].first == u"tcp"_s) {
        if (auto text = getString(t, u"tcp"_s, s)) {
            const qsizetype colon = text->lastIndexOf(u':');
            QString host = colon > 0 ? text->left(colon) : QString();
            if (host.startsWith(u'[') && host.endsWith(u']'))
                host = host.mid(1, host.size() - 2);
            bool portOk = false;
            const int port = colon > 0 ? text->mid(colon + 1).toInt(&portOk) : 0;
            const bool hostOk =
                !host.isEmpty() && !host.contains(u' ') && (!host.contains(u':') || text->startsWith(u'['));
            if (!hostOk || !portOk || port < 1 || port > 65535) {
                error(*probes[0].second, s, u"tcp"_s,
                      quoted(*text) +
                          u" is not \"host:port\" with a port 1-65535 (e.g. \"127.0.0.1:8000\")"_s);
            } else {
                h.kind = HealthSpec::Kind::Tcp;
                h.tcpHost = host;
                h.tcpPort = quint16(port);
            }
        }
    } else {
        if (auto argv = getCommand(*probes[0].second, s, u"exec"_s, false)) {
            h.kind = HealthSpec::Kind::Exec;
            h.exec = *argv;
        }
    }

    // A default never makes a written value invalid: the one left out adapts
    // to the one written (interval = "1s" alone gets a 1s timeout).
    const std::optional<Millis> interval = getDuration(t, u"interval"_s, s, Millis(1));
    const std::optional<Millis> timeout = getDuration(t, u"timeout"_s, s, Millis(1));
    if (interval)
        h.interval = *interval;
    else if (timeout)
        h.interval = std::max(h.interval, *timeout);
    h.timeout = timeout ? *timeout : std::min(h.timeout, h.interval);
    if (auto v = getDuration(t, u"start_period"_s, s))
        h.startPeriod = *v;
    if (auto v = getInt(t, u"failures"_s, s, 1, 1000))
        h.failures = int(*v);
    if (auto v = getInt(t, u"successes"_s, s, 1, 1000))
        h.successes = int(*v);
    if (auto v = getBool(t, u"restart_on_unhealthy"_s, s))
        h.restartOnUnhealthy = *v;
    if (const toml::node *n = t.get("expect_status")) {
        int lo = 0;
        int hi = 0;
        bool ok = false;
        if (const auto *num = n->as_integer()) {
            lo = hi = int(std::clamp<int64_t>(num->get(), -1, 1000));
            ok = true;
        } else if (const auto *str = n->as_string()) {
            static const QRegularExpression re(u"^\\s*(\\d{3})\\s*(?:-\\s*(\\d{3})\\s*)?$"_s);
            const auto m = re.match(fromStd(str->get()));
            if (m.hasMatch()) {
                lo = m.captured(1).toInt();
                hi = m.capturedLength(2) ? m.captured(2).toInt() : lo;
                ok = true;
            }
        } else {
            typeError(*n, s, u"expect_status"_s, u"an integer or a range string such as \"200-399\""_s);
        }
        if (ok && (lo < 100 || hi > 599 || lo > hi))
            ok = false;
        if (ok) {
            h.expectStatusMin = lo;
            h.expectStatusMax = hi;
        } else if (n->is_integer() || n->is_string()) {
            error(*n, s, u"expect_status"_s,
                  u"expected an HTTP status 100-599 or a range such as \"200-399\""_s);
        }
    }
    // Equal is fine (Docker's defaults are 30s/30s): the next probe waits
    // for the one in flight. Only two written values can disagree.
    if (interval && timeout && *timeout > *interval) {
        error(*t.get("timeout"), s, u"timeout"_s,
              u"timeout must not be longer than interval (timeout "_s + formatDuration(*timeout) +
                  u", interval "_s + formatDuration(*interval) +
                  u" at line %1; both written here)"_s.arg(t.get("interval")->source().begin.line));
    }
}

void Loader::loadRepair(const toml::table &t, ServiceSpec &spec, const Scope &service)
{
    const Scope s{service.label, u"repair."_s, service.service};
    checkKeys(t, kRepairKeys, s);
    if (const toml::node *steps = t.get("steps")) {
        if (const toml::array *array = steps->as_array()) {
            int index = 0;
            for (const toml::node &element : *array) {
                const QString key = u"steps[%1]"_s.arg(index++);
                // A step is an argv; a string would be split like `command`,
                // but an array of arrays says plainly what runs.
                if (!element.is_array())
                    typeError(element, s, key, u"an array of strings like [\"npm\", \"ci\"]"_s);
                else if (auto argv = getCommand(element, s, key, false))
                    spec.repair.steps.append(*argv);
            }
        } else {
            typeError(*steps, s, u"steps"_s, u"an array of commands like [[\"npm\", \"ci\"]]"_s);
        }
    } else {
        error(t, service, u"repair.steps"_s, u"missing; [service.repair] needs steps = [[...], ...]"_s);
    }
    if (auto v = getDuration(t, u"timeout"_s, s, Millis(1)))
        spec.repair.timeout = *v;
}

void Loader::loadLogs(const toml::table &t, ServiceSpec &spec, const Scope &service)
{
    const Scope s{service.label, u"logs."_s, service.service};
    checkKeys(t, kLogsKeys, s);
    if (auto v = getSize(t, u"max_size"_s, s)) {
        if (*v < 1024)
            error(*t.get("max_size"), s, u"max_size"_s, u"must be at least 1KB"_s);
        else
            spec.logs.maxSize = *v;
    }
    if (auto v = getInt(t, u"backups"_s, s, 0, 1000))
        spec.logs.backups = int(*v);
    if (auto v = getBool(t, u"compress"_s, s))
        spec.logs.compress = *v;
    if (const toml::node *n = t.get("max_age")) {
        QString why;
        const auto *v = n->as_string();
        const std::optional<qint64> secs = v ? parseAge(fromStd(v->get()), &why) : std::nullopt;
        if (!v)
            typeError(*n, s, u"max_age"_s, u"a duration string such as \"14d\""_s);
        else if (!secs)
            error(*n, s, u"max_age"_s, why);
        else
            spec.logs.maxAgeSecs = *secs;
    }
}

void Loader::loadUpdate(const toml::table &t, ServiceSpec &spec, const Scope &service)
{
    const Scope s{service.label, u"update."_s, service.service};
    checkKeys(t, kUpdateKeys, s);
    UpdateSpec &u = spec.update;
    u.enabled = true;
    u.pos = SourcePos{int(t.source().begin.line), int(t.source().begin.column)};
    if (auto v = getPath(t, u"repo"_s, s))
        u.repo = *v;
    // Handed to git as arguments: a leading '-' would be read as an option.
    static const QRegularExpression refName(u"^[A-Za-z0-9_.][A-Za-z0-9_./-]*$"_s);
    for (const QString &key : {u"remote"_s, u"branch"_s}) {
        const std::optional<QString> v = getString(t, key, s);
        if (!v)
            continue;
        if (!refName.match(*v).hasMatch() || v->contains(u".."_s) || v->endsWith(u'/') ||
            v->endsWith(u".lock"_s)) {
            error(*t.get(key.toStdString()), s, key,
                  quoted(*v) + u" is not a git remote or branch name (letters, digits, '_', '.', '/', '-'; "
                               u"not starting with '-' or '/')"_s);
            continue;
        }
        (key == u"remote"_s ? u.remote : u.branch) = *v;
    }
    if (auto v = getDuration(t, u"interval"_s, s, Millis(1'000)))
        u.interval = *v;
    if (auto v = getEnum<UpdateSpec::Mode>(
            t, u"mode"_s, s, {{u"notify"_s, UpdateSpec::Mode::Notify}, {u"auto"_s, UpdateSpec::Mode::Auto}}))
        u.mode = *v;
    if (const toml::node *build = t.get("build")) {
        if (auto argv = getCommand(*build, s, u"build"_s, false))
            u.build = *argv;
    }
    if (auto v = getEnum<UpdateSpec::Dirty>(
            t, u"dirty"_s, s,
            {{u"refuse"_s, UpdateSpec::Dirty::Refuse}, {u"stash"_s, UpdateSpec::Dirty::Stash}}))
        u.dirty = *v;
    if (auto v = getDuration(t, u"verify_timeout"_s, s, Millis(1)))
        u.verifyTimeout = *v;
}

void Loader::loadErrors(const toml::table &t, ServiceSpec &spec, const Scope &service)
{
    const Scope s{service.label, u"errors."_s, service.service};
    checkKeys(t, kErrorsKeys, s);
    if (auto v = getBool(t, u"default_patterns"_s, s))
        spec.errors.defaultPatterns = *v;
    if (auto items = getStringList(t, u"patterns"_s, s)) {
        for (const Item &item : *items) {
            const QRegularExpression re(item.value);
            if (item.value.isEmpty())
                error(*item.node, s, u"patterns"_s, u"an empty pattern matches every line"_s);
            else if (!re.isValid())
                error(*item.node, s, u"patterns"_s,
                      quoted(item.value) +
                          u" is not a valid regular expression: %1 at offset %2"_s.arg(re.errorString())
                              .arg(re.patternErrorOffset()));
            else
                spec.errors.patterns.append(item.value);
        }
    }
    if (auto items = getStringList(t, u"files"_s, s)) {
        for (const Item &item : *items) {
            if (item.value.isEmpty() || item.value.endsWith(u'/'))
                error(*item.node, s, u"files"_s, u"expected a file or a glob like \"logs/*.log\""_s);
            else
                spec.errors.files.append(item.value);
        }
    }
}

void Loader::checkDependencies()
{
    const QList<ServiceSpec> &services = m_config.services;
    QHash<QString, qsizetype> byName;
    QHash<quint16, qsizetype> portOwner;
    for (qsizetype i = 0; i < services.size(); ++i) {
        const ServiceInfo &info = m_infos[i];
        const Scope s{u"service "_s + quoted(services[i].name), {}, services[i].name};
        if (info.named) {
            if (byName.contains(services[i].name)) {
                const ServiceSpec &first = services[byName.value(services[i].name)];
                const int firstLine =
                    int(m_infos[byName.value(services[i].name)].nameNode->source().begin.line);
                error(*info.nameNode, s, u"name"_s,
                      u"duplicate service name "_s + quoted(first.name) +
                          u" (first defined at line %1)"_s.arg(firstLine));
            } else {
                byName.insert(services[i].name, i);
            }
        }
        for (const auto &[port, node] : info.ports) {
            if (portOwner.contains(port)) {
                error(*node, s, u"ports"_s,
                      u"port %1 is already used by service "_s.arg(port) +
                          quoted(services[portOwner.value(port)].name));
            } else {
                portOwner.insert(port, i);
            }
        }
    }

    // Unknown dependencies.
    QList<QList<std::pair<qsizetype, const toml::node *>>> edges(services.size());
    for (qsizetype i = 0; i < services.size(); ++i) {
        const Scope s{u"service "_s + quoted(services[i].name), {}, services[i].name};
        for (const Item &dep : m_infos[i].deps) {
            if (!byName.contains(dep.value))
                error(*dep.node, s, u"depends_on"_s, u"unknown service "_s + quoted(dep.value));
            else
                edges[i].append({byName.value(dep.value), dep.node});
        }
    }

    // Cycles: depth-first in file order; a back edge closes a cycle, reported
    // at the depends_on entry that closes it. An explicit stack, not
    // recursion: a chain of 50 000 services must not overflow the C++ stack.
    enum Colour
    {
        White,
        Grey,
        Black
    };
    struct Frame
    {
        qsizetype service;
        qsizetype nextEdge;
    };
    QList<Colour> colour(services.size(), White);
    QList<qsizetype> depth(services.size(), -1); // index in `path` while Grey
    QList<Frame> path;
    for (qsizetype root = 0; root < services.size(); ++root) {
        if (colour[root] != White || byName.value(services[root].name, -1) != root)
            continue;
        colour[root] = Grey;
        depth[root] = 0;
        path.append({root, 0});
        while (!path.isEmpty()) {
            const qsizetype u = path.last().service;
            if (path.last().nextEdge == edges[u].size()) {
                colour[u] = Black;
                path.removeLast();
                continue;
            }
            const auto [v, node] = edges[u][path.last().nextEdge++];
            if (colour[v] == Grey) {
                QStringList names;
                for (qsizetype k = depth[v]; k < path.size(); ++k)
                    names.append(services[path[k].service].name);
                names.append(services[v].name);
                error(*node, Scope{u"service "_s + quoted(services[u].name), {}, services[u].name},
                      u"depends_on"_s, u"dependency cycle "_s + cyclePath(names));
            } else if (colour[v] == White) {
                colour[v] = Grey;
                depth[v] = path.size();
                path.append({v, 0});
            }
        }
    }
}

// A recovery.clean glob is resolved in every service's cwd, and the default
// cwd is state_dir: "*" there would delete the history, the lock (letting a
// second Lifeline start), the logs before their backup, the pidfiles.
void Loader::checkCleanGlobs()
{
    if (m_cleanItems.isEmpty())
        return;
    const QString stateDir = existingOrClean(m_config.settings.stateDir);

    // Each distinct cwd from which a glob could reach state_dir: the path
    // from there to state_dir, or "inside" when the cwd is in one of the
    // state folders (logs/, run/, recovery/), where every match is state.
    struct Reach
    {
        const ServiceSpec *service;
        QString cwd;
        QStringList prefix;
        bool inside = false;
    };
    QList<Reach> reaches;
    QSet<QString> seen;
    for (const ServiceSpec &spec : std::as_const(m_config.services)) {
        const QString cwd = spec.cwd.isEmpty() ? stateDir : existingOrClean(spec.cwd);
        if (seen.contains(cwd))
            continue;
        seen.insert(cwd);
        const auto outside = [](const QString &rel) { return rel == u".."_s || rel.startsWith(u"../"_s); };
        const QString toState = QDir(cwd).relativeFilePath(stateDir);
        if (toState == u"."_s) {
            reaches.append({&spec, cwd, {}});
        } else if (!outside(toState)) {
            reaches.append({&spec, cwd, toState.split(u'/')});
        } else if (const QString fromState = QDir(stateDir).relativeFilePath(cwd); !outside(fromState)) {
            const QString top = fromState.section(u'/', 0, 0);
            if (std::any_of(kStateEntries.cbegin(), kStateEntries.cend(),
                            [&](const StateEntry &e) { return e.isDir && e.name == top; }))
                reaches.append({&spec, cwd, {}, true});
        }
    }

    for (const auto &[index, item] : std::as_const(m_cleanItems)) {
        QStringList parts = item.value.split(u'/', Qt::SkipEmptyParts);
        parts.removeAll(u"."_s);
        if (parts.isEmpty() || parts.contains(u".."_s))
            continue; // recovery refuses these by itself
        for (const Reach &reach : std::as_const(reaches)) {
            QStringList hits;
            if (reach.inside)
                hits.append(u"anything (the cwd is inside state_dir's own folders)"_s);
            for (const StateEntry &entry : reach.inside ? QList<StateEntry>() : kStateEntries) {
                const QStringList target = reach.prefix + QStringList{entry.name};
                // A glob deletes what it matches, folders with their contents.
                bool match = parts.size() <= target.size() || entry.isDir;
                for (qsizetype i = 0; match && i < std::min(parts.size(), target.size()); ++i)
                    match = globPartMatches(parts[i], target[i]);
                if (!match)
                    continue;
                QString what;
                if (parts.size() < target.size())
                    what = target.first(parts.size()).join(u'/') + (parts.size() == reach.prefix.size()
                                                                        ? u"/ (state_dir itself)"_s
                                                                        : u"/ (which holds state_dir)"_s);
                else if (parts.size() == target.size())
                    what = target.join(u'/') + (entry.isDir ? u"/"_s : QString());
                else
                    what = u"files in "_s + target.join(u'/') + u'/';
                if (!hits.contains(what))
                    hits.append(what);
            }
            if (hits.isEmpty())
                continue;
            const bool defaultCwd = reach.service->cwd.isEmpty();
            error(*item.node, Scope{u"recovery"_s, {}, {}}, u"clean[%1]"_s.arg(index),
                  quoted(item.value) + u" would delete Lifeline's own state: in "_s + reach.cwd +
                      u", the cwd of service "_s + quoted(reach.service->name) +
                      (defaultCwd ? u" (by default its cwd is state_dir)"_s : QString()) +
                      u", it matches "_s + hits.join(u", "_s) +
                      u"; make the glob narrower (e.g. \"tmp/*.lock\") or give the service its own cwd"_s);
            break; // one error per glob
        }
    }
}

LoadResult Loader::run(const QByteArray &text)
{
    toml::table root;
    try {
        root = toml::parse(std::string_view(text.constData(), size_t(text.size())), m_file.toStdString());
    } catch (const toml::parse_error &e) {
        report(Diagnostic::Severity::Error, e.source().begin, u"syntax error: "_s + fromStd(e.description()));
        return std::move(m_result);
    } catch (const std::exception &e) {
        Diagnostic d;
        d.file = m_file;
        d.message = u"cannot parse: "_s + QString::fromLocal8Bit(e.what());
        m_result.errors.append(d);
        return std::move(m_result);
    }
    loadRoot(root);
    if (checkProfiles(root))
        loadProfiles(text, root);
    m_config.baseServices = m_config.services;
    return finish();
}

void Loader::loadRoot(const toml::table &root)
{
    m_config.path = m_file;
    checkKeys(root, kTopKeys, Scope{});
    loadSettings(root);
    loadServices(root);
    loadRecovery(root);
    loadMetrics(root);
    loadAlerts(root);
    checkDependencies();
    checkCleanGlobs();
    if (m_config.services.isEmpty()) {
        Diagnostic d;
        d.severity = Diagnostic::Severity::Warning;
        d.file = m_file;
        d.message = u"no services: the file has no [[service]] table, so there is nothing to supervise"_s;
        m_result.warnings.append(d);
    }
}

LoadResult Loader::finish()
{
    const auto byPosition = [](const Diagnostic &a, const Diagnostic &b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    };
    std::stable_sort(m_result.errors.begin(), m_result.errors.end(), byPosition);
    std::stable_sort(m_result.warnings.begin(), m_result.warnings.end(), byPosition);
    if (m_result.errors.isEmpty())
        m_result.config = std::move(m_config);
    return std::move(m_result);
}

void Loader::profileError(const toml::source_position &pos, const Scope &s, const QString &profile,
                          const QString &key, const QString &text)
{
    report(Diagnostic::Severity::Error, pos, s.message(key, text));
    Diagnostic &d = m_result.errors.last();
    d.service = s.service;
    d.profile = profile;
    d.key = s.key(key);
    d.reason = text;
}

// The shape of [profile.NAME.SERVICE]: what the profile may name and which
// keys it may set. The values are read by loadProfiles(), as the base's are.
// An unknown key is an error here, not a warning as in [[service]]: a
// profile exists only to override, and an override that is silently ignored
// runs the wrong thing exactly where it matters.
bool Loader::checkProfiles(const toml::table &root)
{
    const toml::table *profiles = getTable(root, u"profile"_s, Scope{});
    if (!profiles)
        return false;
    // Each profile is the whole file loaded once more: a file with thousands
    // of them would hold the engine's thread on every reload.
    if (profiles->size() > kMaxProfiles) {
        error(*profiles, Scope{}, u"profile"_s,
              u"%1 profiles; at most %2 are supported"_s.arg(profiles->size()).arg(kMaxProfiles));
        return false;
    }
    QStringList services;
    for (qsizetype i = 0; i < m_config.services.size(); ++i) {
        if (m_infos[i].named)
            services.append(m_config.services[i].name);
    }
    for (auto &&[k, v] : *profiles) {
        const QString name = fromStd(k.str());
        const Scope ps{u"profile "_s + quoted(name), {}, {}};
        if (name == u"default"_s) {
            profileError(
                k.source().begin, ps, name, {},
                u"the name \"default\" is reserved: it means no profile (the services as [[service]] "
                u"defines them)"_s);
            continue;
        }
        if (!isValidServiceName(name)) {
            profileError(k.source().begin, ps, name, {},
                         u"invalid profile name (use 1-64 characters from A-Z, a-z, 0-9, '_', '.', '-', not "
                         u"starting with '.')"_s);
            continue;
        }
        const toml::table *t = v.as_table();
        if (!t) {
            profileError(v.source().begin, ps, name, {},
                         u"expected a table of [profile."_s + name + u".SERVICE] tables, got "_s +
                             typeName(v.type()));
            continue;
        }
        for (auto &&[sk, sv] : *t) {
            const QString service = fromStd(sk.str());
            const Scope s{ps.label + u", service "_s + quoted(service), {}, service};
            if (!services.contains(service)) {
                profileError(sk.source().begin, ps, name, {},
                             u"unknown service "_s + quoted(service) +
                                 (services.isEmpty() ? u" (the file defines no services)"_s
                                                     : u" (services: "_s + services.join(u", "_s) + u')'));
                continue;
            }
            const toml::table *st = sv.as_table();
            if (!st) {
                profileError(sv.source().begin, s, name, {},
                             u"expected a table of the service's keys, got "_s + typeName(sv.type()));
                continue;
            }
            const qsizetype before = m_result.errors.size();
            checkKeys(*st, kServiceKeys, s, Diagnostic::Severity::Error); // "name": below
            if (const toml::node *n = st->get("name"))
                profileError(n->source().begin, s, name, u"name"_s, u"a profile cannot rename a service"_s);
            if (const toml::table *h = st->get_as<toml::table>("health"))
                checkKeys(*h, kHealthKeys, Scope{s.label, u"health."_s, service},
                          Diagnostic::Severity::Error);
            if (const toml::table *l = st->get_as<toml::table>("logs"))
                checkKeys(*l, kLogsKeys, Scope{s.label, u"logs."_s, service}, Diagnostic::Severity::Error);
            for (qsizetype i = before; i < m_result.errors.size(); ++i)
                m_result.errors[i].profile = name;
        }
    }
    return true;
}

// Each profile's services: the whole file loaded again with the profile's
// tables moved into the services they name. An error the base has already
// reported (a value the profile does not touch) is not reported again.
void Loader::loadProfiles(const QByteArray &text, const toml::table &root)
{
    const toml::table *profiles = root.get_as<toml::table>("profile");
    if (!profiles)
        return;
    const auto where = [](const Diagnostic &d, const QString &message) -> QString {
        return u"%1:%2:"_s.arg(d.line).arg(d.column) + message;
    };
    QSet<QString> reported;
    for (const Diagnostic &d : std::as_const(m_result.errors))
        reported.insert(where(d, d.message));
    for (auto &&[k, v] : *profiles) {
        const QString name = fromStd(k.str());
        if (!v.is_table() || name == u"default"_s || !isValidServiceName(name))
            continue;
        toml::table merged =
            toml::parse(std::string_view(text.constData(), size_t(text.size())), m_file.toStdString());
        applyProfileOverrides(merged, k.str());
        Loader loader(m_file, m_baseDir, name);
        loader.loadRoot(merged);
        LoadResult r = loader.finish();
        const qsizetype prefix = (u"profile "_s + quoted(name) + u", "_s).size();
        for (const Diagnostic &d : std::as_const(r.errors)) {
            if (!reported.contains(where(d, d.message.mid(prefix))))
                m_result.errors.append(d);
        }
        if (r.config)
            m_config.profileServices.insert(name, r.config->services);
    }
}

} // namespace

QString Diagnostic::toString() const
{
    QString where = file.isEmpty() ? u"<config>"_s : file;
    if (line > 0) {
        where += u':' + QString::number(line);
        if (column > 0)
            where += u':' + QString::number(column);
    }
    return where + (severity == Severity::Error ? u": error: "_s : u": warning: "_s) + message;
}

namespace {

QString fileTypeName(mode_t mode)
{
    if (S_ISDIR(mode))
        return u"it is a directory"_s;
    if (S_ISFIFO(mode))
        return u"not a regular file (a FIFO)"_s;
    if (S_ISCHR(mode))
        return u"not a regular file (a character device)"_s;
    if (S_ISBLK(mode))
        return u"not a regular file (a block device)"_s;
    if (S_ISSOCK(mode))
        return u"not a regular file (a socket)"_s;
    return u"not a regular file"_s;
}

QString tooLargeText(qint64 bytes)
{
    const QString size = bytes > 0 ? u" ("_s + formatSize(bytes) + u')' : QString();
    return u"it is larger than 16 MiB"_s + size + u"; a configuration file is never that big"_s;
}

} // namespace

std::optional<MetricsSpec> parseMetricsListen(const QString &text, QString *error)
{
    const auto fail = [&](const QString &why) -> std::optional<MetricsSpec> {
        if (error)
            *error = quoted(text) + u": "_s + why;
        return std::nullopt;
    };
    QString host = u"127.0.0.1"_s;
    QString portText = text;
    if (const qsizetype colon = text.lastIndexOf(u':'); colon >= 0) {
        host = text.left(colon);
        portText = text.mid(colon + 1);
        if (host.isEmpty()) {
            host = u"127.0.0.1"_s;
        } else if (host.startsWith(u'[') && host.endsWith(u']')) {
            host = host.mid(1, host.size() - 2);
            if (QHostAddress(host).protocol() != QAbstractSocket::IPv6Protocol)
                return fail(u"expected an IPv6 address between [ and ]"_s);
        } else if (host == u"localhost"_s) {
            host = u"127.0.0.1"_s;
        } else if (QHostAddress(host).protocol() != QAbstractSocket::IPv4Protocol) {
            return fail(u"expected HOST:PORT with HOST an IPv4 address, [IPv6 address] or localhost"_s);
        }
    }
    bool ok = false;
    const uint port = portText.toUInt(&ok);
    if (!ok || port < 1 || port > 65535 || portText.startsWith(u'+'))
        return fail(u"expected a port from 1 to 65535 (as \"127.0.0.1:9464\" or \"9464\")"_s);
    MetricsSpec spec;
    spec.host = QHostAddress(host).toString();
    spec.port = quint16(port);
    return spec;
}

std::optional<QByteArray> readConfigFile(const QString &path, QString *error)
{
    const auto fail = [&](const QString &why) -> std::optional<QByteArray> {
        if (error)
            *error = u"cannot read configuration file "_s + quoted(path) + u": "_s + why;
        return std::nullopt;
    };
    const auto errnoText = [](int e) {
        return e == ENOENT ? u"no such file"_s : QString::fromLocal8Bit(std::strerror(e));
    };
    const QByteArray native = QFile::encodeName(path);
    struct stat st = {};
    // Judged before open(): opening a FIFO waits for a writer, opening a
    // device may do something.
    if (::stat(native.constData(), &st) != 0)
        return fail(errnoText(errno));
    if (!S_ISREG(st.st_mode))
        return fail(fileTypeName(st.st_mode));
    // Something else may be renamed over the path in between: O_NONBLOCK
    // keeps open() from waiting, and fstat() judges what was opened.
    const int fd = ::open(native.constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return fail(errnoText(errno));
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    if (::fstat(fd, &st) != 0)
        return fail(errnoText(errno));
    if (!S_ISREG(st.st_mode))
        return fail(fileTypeName(st.st_mode));
    if (st.st_size > kMaxConfigBytes)
        return fail(tooLargeText(st.st_size));
    // st_size is only a hint (0 for /proc files, and the file may grow).
    QByteArray data;
    char buffer[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(errnoText(errno));
        if (n == 0)
            return data;
        if (data.size() + n > kMaxConfigBytes)
            return fail(tooLargeText(0));
        data.append(buffer, n);
    }
}

bool isValidServiceName(const QString &name)
{
    // anchoredPattern(): a plain "$" would also match before a trailing newline.
    static const QRegularExpression valid(
        QRegularExpression::anchoredPattern(u"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}"_s));
    return valid.match(name).hasMatch();
}

LoadResult ConfigLoader::loadFile(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QString why;
    const std::optional<QByteArray> data = readConfigFile(absolute, &why);
    if (!data) {
        LoadResult result;
        Diagnostic d;
        d.file = absolute;
        d.message = why;
        result.errors.append(d);
        return result;
    }
    return loadString(*data, absolute);
}

LoadResult ConfigLoader::loadString(const QByteArray &toml, const QString &path)
{
    const QString absolute = path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath();
    const QString baseDir = path.isEmpty() ? QDir::currentPath() : QFileInfo(absolute).absolutePath();
    try {
        Loader loader(path.isEmpty() ? QString() : absolute, baseDir);
        return loader.run(toml);
    } catch (const std::exception &e) {
        // Nothing may escape the loader (std::bad_alloc, a toml++ surprise).
        LoadResult result;
        Diagnostic d;
        d.file = absolute;
        d.message = u"cannot load configuration: "_s + QString::fromLocal8Bit(e.what());
        result.errors.append(d);
        return result;
    }
}

QString expandPath(const QString &path, const QString &baseDir)
{
    if (path.isEmpty())
        return {};
    QString p = path;
    if (p == u"~"_s)
        p = QDir::homePath();
    else if (p.startsWith(u"~/"_s))
        p = QDir::homePath() + p.mid(1);
    if (QDir::isRelativePath(p))
        p = QDir(baseDir.isEmpty() ? QDir::currentPath() : baseDir).absoluteFilePath(p);
    return QDir::cleanPath(p);
}

std::optional<QStringList> splitCommandLine(const QString &text, QString *error)
{
    QStringList words;
    QString word;
    bool inWord = false;
    enum class Quote
    {
        None,
        Single,
        Double
    } quote = Quote::None;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        switch (quote) {
        case Quote::Single:
            if (c == u'\'')
                quote = Quote::None;
            else
                word += c;
            break;
        case Quote::Double:
            if (c == u'"') {
                quote = Quote::None;
            } else if (c == u'\\' && i + 1 < text.size() &&
                       (text[i + 1] == u'"' || text[i + 1] == u'\\' || text[i + 1] == u'$' ||
                        text[i + 1] == u'`')) {
                word += text[++i];
            } else if (c == u'\\' && i + 1 < text.size() && text[i + 1] == u'\n') {
                ++i;
            } else {
                word += c;
            }
            break;
        case Quote::None:
            if (c == u' ' || c == u'\t' || c == u'\n') {
                if (inWord) {
                    words.append(word);
                    word.clear();
                    inWord = false;
                }
            } else if (c == u'\'') {
                quote = Quote::Single;
                inWord = true;
            } else if (c == u'"') {
                quote = Quote::Double;
                inWord = true;
            } else if (c == u'\\') {
                if (i + 1 >= text.size()) {
                    if (error)
                        *error = quoted(text) + u" ends with a lone backslash"_s;
                    return std::nullopt;
                }
                if (text[i + 1] != u'\n') {
                    word += text[i + 1];
                    inWord = true;
                }
                ++i;
            } else {
                word += c;
                inWord = true;
            }
            break;
        }
    }
    if (quote != Quote::None) {
        if (error)
            *error = quoted(text) + (quote == Quote::Single ? u" has an unterminated ' quote"_s
                                                            : u" has an unterminated \" quote"_s);
        return std::nullopt;
    }
    if (inWord)
        words.append(word);
    return words;
}

} // namespace lifeline
