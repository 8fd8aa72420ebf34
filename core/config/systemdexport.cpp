#include "systemdexport.h"

#include "configwriter.h"

#include <QDir>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace lifeline {

namespace {

QString escapeSpecifiers(const QString &text)
{
    QString out = text;
    return out.replace(u'%', u"%%"_s);
}

// Inside systemd's double quotes the C escapes are TOML's; specifiers
// still expand there.
QString cQuoted(const QString &text)
{
    return tomlString(text).replace(u'%', u"%%"_s);
}

// "3s", "1500ms": systemd's time spans, in the smallest exact unit.
QString timeSpan(Millis d)
{
    return d.count() % 1000 == 0 ? u"%1s"_s.arg(d.count() / 1000) : u"%1ms"_s.arg(d.count());
}

QString systemdRestart(RestartPolicy policy)
{
    switch (policy) {
    case RestartPolicy::Always:
        return u"always"_s;
    case RestartPolicy::OnFailure:
        return u"on-failure"_s;
    case RestartPolicy::Never:
        break;
    }
    return u"no"_s;
}

QString execStart(const ServiceSpec &spec, const QString &cwd)
{
    QStringList argv = spec.command;
    // systemd takes an absolute path or a bare name, never "./server".
    if (!argv.isEmpty() && argv.constFirst().contains(u'/') && !argv.constFirst().startsWith(u'/'))
        argv.first() = QDir::cleanPath(QDir(cwd).absoluteFilePath(argv.constFirst()));
    if (spec.shell)
        argv = QStringList{u"/bin/sh"_s, u"-c"_s, spec.command.join(u' ')};
    QStringList words;
    for (const QString &word : argv)
        words.append(systemdQuoteWord(word));
    // A first word starting with one of these would be read as an ExecStart= prefix.
    static const QString prefixes = u"-@+!:|"_s;
    if (!argv.isEmpty() && !argv.constFirst().isEmpty() && prefixes.contains(argv.constFirst().at(0)) &&
        !words.constFirst().startsWith(u'"'))
        words.first() = cQuoted(argv.constFirst()).replace(u'$', u"$$"_s);
    return words.join(u' ');
}

// "# " lines for what systemd has no equivalent of.
QStringList unsupported(const Config &config, const ServiceSpec &spec)
{
    const ServiceSpec def;
    QStringList notes;
    const HealthSpec &h = spec.health;
    if (h.kind == HealthSpec::Kind::Http)
        notes << u"health: HTTP check of %1 every %2: systemd has no HTTP health checks; "
                 "use a monitoring system or a timer unit that curls it"_s.arg(h.url, timeSpan(h.interval));
    else if (h.kind == HealthSpec::Kind::Tcp)
        notes << u"health: TCP check of %1:%2 every %3: systemd has no health checks"_s.arg(h.tcpHost)
                     .arg(h.tcpPort)
                     .arg(timeSpan(h.interval));
    else if (h.kind == HealthSpec::Kind::Exec)
        notes << u"health: exec check \"%1\" every %2: systemd has no health checks"_s.arg(
            h.exec.join(u' '), timeSpan(h.interval));
    if (h.enabled() && h.restartOnUnhealthy)
        notes << u"restart_on_unhealthy = true: systemd restarts only on exit, not on a failed check "
                 "(WatchdogSec= needs the service to call sd_notify)"_s;
    if (spec.backoffFactor > 1.0)
        notes << u"backoff_factor = %1, backoff_max = %2: systemd 252 waits the same RestartSec= every time"_s
                     .arg(spec.backoffFactor)
                     .arg(timeSpan(spec.backoffMax));
    if (spec.stableAfter != def.stableAfter)
        notes << u"stable_after = %1: systemd forgets restarts by StartLimitIntervalSec= only"_s.arg(
            timeSpan(spec.stableAfter));
    if (spec.fatalRetry)
        notes << u"fatal_retry = %1: after the start limit systemd leaves the unit failed until "
                 "`systemctl reset-failed`"_s.arg(timeSpan(*spec.fatalRetry));
    if (spec.memoryLimit > 0 && spec.memoryLimitFor.count() > 0)
        notes << u"memory_limit_for = %1: MemoryMax= acts at once (the kernel OOM-kills)"_s.arg(
            timeSpan(spec.memoryLimitFor));
    if (spec.cpuLimit > 0)
        notes << u"cpu_limit = %1%: Lifeline restarts above it; the nearest systemd setting, CPUQuota=%1%, "
                 "throttles instead"_s.arg(spec.cpuLimit);
    if (!spec.ports.isEmpty()) {
        QStringList ports;
        for (const quint16 p : spec.ports)
            ports << QString::number(p);
        notes << u"ports = [%1]: systemd does not check that they are free before starting"_s.arg(
            ports.join(u", "_s));
    }
    for (const QString &dep : spec.dependsOn) {
        const ServiceSpec *other = config.service(dep);
        if (other && other->health.enabled())
            notes << u"depends_on \"%1\": Lifeline waited for it to be healthy; systemd waits for it "
                     "to be started"_s.arg(dep);
    }
    if (spec.logs.maxSize != def.logs.maxSize || spec.logs.backups != def.logs.backups)
        notes << u"logs: output goes to the journal (journalctl -u %1); its size is journald's setting"_s.arg(
            systemdUnitName(spec.name));
    if (!spec.autostart)
        notes << u"autostart = false: do not `systemctl enable` this unit; start it by hand"_s;
    if (!spec.command.isEmpty() && !spec.shell && !spec.command.constFirst().contains(u'/'))
        notes << u"\"%1\" is looked up in systemd's PATH, not your shell's: write its absolute path if "
                 "it is not found"_s.arg(spec.command.constFirst());
    return notes;
}

} // namespace

QString systemdUnitName(const QString &serviceName)
{
    return u"lifeline-"_s + serviceName + u".service"_s;
}

QString systemdQuoteWord(const QString &word)
{
    static const QString special = u" \t\n\"'\\;"_s;
    const bool quote = word.isEmpty() || word == u";"_s ||
                       std::any_of(word.begin(), word.end(), [](QChar c) { return special.contains(c); });
    QString out = quote ? cQuoted(word) : escapeSpecifiers(word);
    return out.replace(u'$', u"$$"_s);
}

QString systemdUnit(const Config &config, const ServiceSpec &spec, const SystemdExportOptions &options)
{
    QStringList unit;
    const QString name = systemdUnitName(spec.name);
    unit << u"# %1: exported by `lifelinectl export systemd` from %2"_s.arg(name, config.path);
    if (options.user)
        unit << u"# Install: copy to ~/.config/systemd/user/, then `systemctl --user daemon-reload` and "
                "`systemctl --user enable --now %1`"_s.arg(name)
             << u"# Without a login session: `loginctl enable-linger $USER`"_s;
    else
        unit << u"# Install: copy to /etc/systemd/system/, then `systemctl daemon-reload` and "
                "`systemctl enable --now %1`"_s.arg(name);

    unit << u""_s << u"[Unit]"_s << u"Description=%1 (from Lifeline)"_s.arg(escapeSpecifiers(spec.name));
    if (!spec.dependsOn.isEmpty()) {
        QStringList deps;
        for (const QString &dep : spec.dependsOn)
            deps << systemdUnitName(dep);
        unit << u"After="_s + deps.join(u' ') << u"Requires="_s + deps.join(u' ');
    }
    unit << u"StartLimitIntervalSec="_s + timeSpan(spec.restartWindow)
         << u"StartLimitBurst=%1"_s.arg(spec.maxRestarts + 1);

    unit << u""_s << u"[Service]"_s << u"Type=exec"_s;
    if (!options.user && !options.runAs.isEmpty())
        unit << u"User="_s + escapeSpecifiers(options.runAs);
    const QString cwd = spec.cwd.isEmpty() ? config.settings.stateDir : spec.cwd;
    unit << u"ExecStart="_s + execStart(spec, cwd);
    if (!cwd.isEmpty())
        unit << u"WorkingDirectory="_s + escapeSpecifiers(cwd);
    QStringList keys = spec.env.keys();
    keys.sort();
    for (const QString &key : keys)
        unit << u"Environment="_s + cQuoted(key + u'=' + spec.env.value(key));
    unit << u"Restart="_s + systemdRestart(spec.restart) << u"RestartSec="_s + timeSpan(spec.restartDelay)
         << u"KillSignal="_s + signalName(spec.stopSignal)
         << u"TimeoutStopSec="_s + timeSpan(spec.stopTimeout);
    if (spec.memoryLimit > 0)
        unit << u"MemoryMax=%1"_s.arg(spec.memoryLimit);
    const QStringList notes = unsupported(config, spec);
    if (!notes.isEmpty()) {
        unit << u""_s << u"# Lifeline settings systemd has no equivalent of:"_s;
        for (const QString &note : notes)
            unit << u"# "_s + note;
    }

    unit << u""_s << u"[Install]"_s
         << (options.user ? u"WantedBy=default.target"_s : u"WantedBy=multi-user.target"_s);
    return unit.join(u'\n') + u'\n';
}

} // namespace lifeline
