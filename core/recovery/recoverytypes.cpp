#include "recovery/recoverytypes.h"

#include "util/units.h"

#include <QJsonArray>

#include <algorithm>

namespace lifeline {

using namespace Qt::StringLiterals;

QString recoveryStepStatusName(RecoveryStepStatus status)
{
    switch (status) {
    case RecoveryStepStatus::Pending:
        return u"pending"_s;
    case RecoveryStepStatus::Running:
        return u"running"_s;
    case RecoveryStepStatus::Ok:
        return u"ok"_s;
    case RecoveryStepStatus::Warning:
        return u"warning"_s;
    case RecoveryStepStatus::Failed:
        return u"failed"_s;
    case RecoveryStepStatus::Skipped:
        return u"skipped"_s;
    }
    return u"unknown"_s;
}

// A run or step time to a tenth of a second: "4s200ms", "300ms".
static QString seconds(qint64 ms)
{
    return formatDuration(Millis((ms + 50) / 100 * 100));
}

QString RecoveryItem::describe() const
{
    QString text;
    switch (kind) {
    case Kind::Process: {
        const QString who = user.isEmpty() ? u"uid %1"_s.arg(uid) : user;
        text = pid > 0 ? u"PID %1 (%2)"_s.arg(pid).arg(who) : u"an unknown process of %1"_s.arg(who);
        if (!cmdline.isEmpty())
            text += u": "_s + cmdline.join(u' ');
        break;
    }
    case Kind::File:
        text = path;
        if (bytes >= 0)
            text += u" ("_s + formatSize(bytes) + u')';
        break;
    case Kind::Figure:
        text = path.isEmpty() ? QString() : path;
        if (bytes >= 0)
            text += (text.isEmpty() ? QString() : u": "_s) + formatSize(bytes);
        break;
    }
    if (!why.isEmpty())
        text += u" — "_s + why;
    if (!action.isEmpty())
        text += u" — "_s + action;
    return text;
}

QJsonObject RecoveryItem::toJson() const
{
    QJsonObject o;
    switch (kind) {
    case Kind::Process:
        o[u"kind"_s] = u"process"_s;
        o[u"pid"_s] = qint64(pid);
        o[u"uid"_s] = qint64(uid);
        o[u"user"_s] = user;
        o[u"cmdline"_s] = QJsonArray::fromStringList(cmdline);
        if (port != 0)
            o[u"port"_s] = int(port);
        break;
    case Kind::File:
        o[u"kind"_s] = u"file"_s;
        o[u"path"_s] = path;
        if (bytes >= 0)
            o[u"bytes"_s] = bytes;
        break;
    case Kind::Figure:
        o[u"kind"_s] = u"figure"_s;
        if (!path.isEmpty())
            o[u"path"_s] = path;
        if (bytes >= 0)
            o[u"bytes"_s] = bytes;
        break;
    }
    if (!service.isEmpty())
        o[u"service"_s] = service;
    o[u"why"_s] = why;
    o[u"action"_s] = action;
    if (needsConsent)
        o[u"needs_consent"_s] = true;
    return o;
}

QString RecoveryStep::titleOf(Id id)
{
    switch (id) {
    case Id::Stop:
        return u"Stop every service"_s;
    case Id::FindLeftovers:
        return u"End leftover processes"_s;
    case Id::CheckResources:
        return u"Check disk and memory"_s;
    case Id::BackupLogs:
        return u"Back up logs"_s;
    case Id::Clean:
        return u"Clean temporary files"_s;
    case Id::Start:
        return u"Start every service"_s;
    case Id::Verify:
        return u"Verify running and healthy"_s;
    case Id::Repair:
        return u"Run repair steps"_s;
    }
    return QString();
}

QString RecoveryStep::keyOf(Id id)
{
    switch (id) {
    case Id::Stop:
        return u"stop"_s;
    case Id::FindLeftovers:
        return u"find_leftovers"_s;
    case Id::CheckResources:
        return u"check_resources"_s;
    case Id::BackupLogs:
        return u"backup_logs"_s;
    case Id::Clean:
        return u"clean"_s;
    case Id::Start:
        return u"start"_s;
    case Id::Verify:
        return u"verify"_s;
    case Id::Repair:
        return u"repair"_s;
    }
    return QString();
}

static QJsonArray itemsJson(const QList<RecoveryItem> &items)
{
    QJsonArray a;
    for (const RecoveryItem &i : items)
        a.append(i.toJson());
    return a;
}

QJsonObject RecoveryStep::toJson() const
{
    QJsonObject o;
    o[u"step"_s] = keyOf(id);
    o[u"title"_s] = title;
    o[u"status"_s] = recoveryStepStatusName(status);
    o[u"duration_ms"_s] = durationMs;
    o[u"message"_s] = message;
    o[u"items"_s] = itemsJson(items);
    return o;
}

bool RecoveryPlan::hasForeignPortHolders() const
{
    return std::any_of(portHolders.cbegin(), portHolders.cend(),
                       [](const RecoveryItem &i) { return i.needsConsent; });
}

bool RecoveryPlan::needsConsent() const
{
    return hasForeignPortHolders() || std::any_of(orphans.cbegin(), orphans.cend(),
                                                  [](const RecoveryItem &i) { return i.needsConsent; });
}

QJsonObject RecoveryPlan::toJson() const
{
    QJsonObject o;
    o[u"dry_run"_s] = true;
    o[u"to_stop"_s] = itemsJson(toStop);
    o[u"leftovers"_s] = itemsJson(leftovers);
    o[u"port_holders"_s] = itemsJson(portHolders);
    o[u"orphans"_s] = itemsJson(orphans);
    o[u"clean"_s] = itemsJson(clean);
    o[u"repairs"_s] = itemsJson(repairs);
    o[u"logs"_s] = itemsJson(logs);
    o[u"backup_logs"_s] = backupLogs;
    o[u"start_order"_s] = QJsonArray::fromStringList(services);
    return o;
}

static void appendSection(QString &out, const QString &title, const QList<RecoveryItem> &items,
                          const QString &none)
{
    out += title + u":\n"_s;
    if (items.isEmpty())
        out += u"  "_s + none + u'\n';
    for (const RecoveryItem &i : items)
        out +=
            u"  "_s + (i.service.isEmpty() ? QString() : u'[' + i.service + u"] "_s) + i.describe() + u'\n';
}

QString RecoveryPlan::toText() const
{
    // Numbered as read, one number per section shown.
    int number = 0;
    const auto next = [&number] { return QString::number(++number) + u". "_s; };
    QString out = u"Emergency recovery plan (dry run: nothing was changed)\n\n"_s;
    appendSection(out, next() + u"Processes that will be stopped"_s, toStop, u"(none running)"_s);
    appendSection(out, next() + u"Leftover processes that will be ended"_s, leftovers, u"(none)"_s);
    appendSection(out, next() + u"Processes holding a service's port"_s, portHolders, u"(none)"_s);
    appendSection(out, next() + u"Orphans re-parented to Lifeline from an unknown service tree"_s, orphans,
                  u"(none)"_s);
    if (backupLogs)
        appendSection(out, next() + u"Logs to back up, then empty"_s, logs, u"(none)"_s);
    else
        out += next() + u"Logs: not backed up (backup_logs = false)\n"_s;
    appendSection(out, next() + u"Files to clean"_s, clean, u"(none)"_s);
    if (!repairs.isEmpty())
        appendSection(out, next() + u"Repair steps to run (recovery.repair)"_s, repairs, QString());
    out += next() + u"Start order: "_s + (services.isEmpty() ? u"(no services)"_s : services.join(u", "_s)) +
           u'\n';
    return out;
}

const RecoveryStep *RecoveryReport::failedStep() const
{
    for (const RecoveryStep &s : steps) {
        if (s.status == RecoveryStepStatus::Failed)
            return &s;
    }
    return nullptr;
}

QString RecoveryReport::summary() const
{
    if (const RecoveryStep *f = failedStep()) {
        // Its place in this run: the optional Repair step moves the ones after it.
        const int number = int(f - steps.constData()) + 1;
        return u"recovery FAILED at step %1 (%2): %3"_s.arg(number).arg(f->title, f->message);
    }
    int warnings = 0;
    for (const RecoveryStep &s : steps)
        warnings += s.status == RecoveryStepStatus::Warning ? 1 : 0;
    const auto running = std::count_if(endState.cbegin(), endState.cend(),
                                       [](const RecoveryServiceEnd &e) { return e.pid > 0; });
    QString text = u"recovery succeeded in %1: %2 service(s) running"_s.arg(seconds(durationMs)).arg(running);
    if (warnings > 0)
        text += u", with %1 warning(s)"_s.arg(warnings);
    return text;
}

QJsonObject RecoveryReport::toJson() const
{
    QJsonObject o;
    o[u"ok"_s] = ok;
    o[u"summary"_s] = summary();
    o[u"started_at"_s] = startedAt.toUTC().toString(Qt::ISODateWithMs);
    o[u"finished_at"_s] = finishedAt.toUTC().toString(Qt::ISODateWithMs);
    o[u"duration_ms"_s] = durationMs;
    o[u"kill_foreign_port_holders"_s] = options.killForeignPortHolders;
    QJsonArray s;
    for (const RecoveryStep &step : steps)
        s.append(step.toJson());
    o[u"steps"_s] = s;
    QJsonArray end;
    for (const RecoveryServiceEnd &e : endState) {
        QJsonObject x;
        x[u"name"_s] = e.name;
        x[u"state"_s] = e.state;
        x[u"health"_s] = e.health;
        x[u"pid"_s] = qint64(e.pid);
        x[u"problem"_s] = e.problem;
        end.append(x);
    }
    o[u"services"_s] = end;
    return o;
}

QString RecoveryReport::toText() const
{
    QString out = u"Lifeline emergency recovery, "_s + startedAt.toString(Qt::ISODate) + u'\n';
    out += u"Summary: "_s + summary() + u'\n';
    if (const RecoveryStep *f = failedStep()) {
        out += u"Failed step: %1. %2; what it found:\n"_s.arg(int(f->id) + 1).arg(f->title);
        for (const RecoveryItem &i : f->items)
            out += u"    "_s + (i.service.isEmpty() ? QString() : u'[' + i.service + u"] "_s) + i.describe() +
                   u'\n';
    }
    out += u"Consent to end foreign port holders: "_s +
           (options.killForeignPortHolders ? u"yes"_s : u"no"_s) + u'\n';
    out += u"Duration: "_s + seconds(durationMs) + u"\n\n"_s;
    for (const RecoveryStep &s : steps) {
        out += u"%1. %2 [%3] (%4)\n"_s.arg(int(s.id) + 1)
                   .arg(s.title, recoveryStepStatusName(s.status).toUpper(), seconds(s.durationMs));
        if (!s.message.isEmpty())
            out += u"   "_s + s.message + u'\n';
        for (const RecoveryItem &i : s.items)
            out += u"   - "_s + (i.service.isEmpty() ? QString() : u'[' + i.service + u"] "_s) +
                   i.describe() + u'\n';
    }
    out += u"\nEnd state:\n"_s;
    for (const RecoveryServiceEnd &e : endState) {
        out += u"  %1: %2, health %3"_s.arg(e.name, e.state, e.health);
        if (e.pid > 0)
            out += u", pid %1"_s.arg(e.pid);
        if (!e.problem.isEmpty())
            out += u" — "_s + e.problem;
        out += u'\n';
    }
    return out;
}

} // namespace lifeline
