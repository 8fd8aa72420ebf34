#include "recovery/recoverydiscovery.h"

#include "supervise/servicesupervisor.h"

#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>

#include <unistd.h>

namespace lifeline::recovery {

using namespace Qt::StringLiterals;

RecoveryItem processItem(const ProcFs &proc, pid_t pid, const QString &service, const QString &why)
{
    RecoveryItem item;
    item.kind = RecoveryItem::Kind::Process;
    item.service = service;
    item.pid = pid;
    item.why = why;
    if (const auto info = proc.process(pid)) {
        item.uid = info->uid;
        item.user = ProcFs::userName(info->uid);
        item.cmdline = info->cmdline.isEmpty() ? QStringList{u'[' + info->comm + u']'} : info->cmdline;
    }
    return item;
}

QString ownerOf(const RecoveryItem &item)
{
    return item.user.isEmpty() ? u"uid %1"_s.arg(item.uid) : item.user;
}

DiscoveryInput discoveryInput(Fleet &fleet, const QList<pid_t> &exclude)
{
    DiscoveryInput in;
    in.markerKey = ServiceSupervisor::markerKey();
    for (const ServiceSupervisor *s : fleet.services())
        in.services.append({s->name(), s->markerValue(), s->pidfilePath(), s->spec().ports});
    in.orphans = fleet.freshOrphans();
    in.exclude = exclude;
    in.me = ::getuid();
    in.self = ::getpid();
    return in;
}

Discovery discover(const ProcFs &proc, const DiscoveryInput &in)
{
    Discovery d;
    const QByteArray &key = in.markerKey;
    QHash<pid_t, qsizetype> ours; // pid -> index in d.leftovers

    for (const ServiceProofs &s : in.services) {
        for (pid_t pid : proc.serviceTree(0, 0, key, s.markerValue)) {
            if (in.exclude.contains(pid) || ours.contains(pid))
                continue;
            const QString why = proc.hasEnv(pid, key, s.markerValue)
                                    ? u"carries LIFELINE_SERVICE_ID of %1"_s.arg(s.name)
                                    : u"descendant of a leftover process of %1"_s.arg(s.name);
            ours.insert(pid, d.leftovers.size());
            d.leftovers.append(processItem(proc, pid, s.name, why));
        }

        // A pidfile is proof only with the same start time and our marker.
        QFile f(s.pidfilePath);
        if (f.open(QIODevice::ReadOnly)) {
            const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
            f.close();
            const pid_t pid = pid_t(o.value(u"pid"_s).toInteger());
            const quint64 startTime = o.value(u"start_time"_s).toString().toULongLong();
            const auto info = pid > 1 ? proc.process(pid) : std::nullopt;
            const bool verified = info && !info->isZombie() && info->startTime == startTime &&
                                  proc.hasEnv(pid, key, s.markerValue);
            if (verified) {
                if (in.exclude.contains(pid))
                    continue;
                const QString why = u"named by its verified pidfile %1"_s.arg(s.pidfilePath);
                if (const auto it = ours.constFind(pid); it != ours.cend())
                    d.leftovers[it.value()].why += u"; "_s + why;
                else {
                    ours.insert(pid, d.leftovers.size());
                    d.leftovers.append(processItem(proc, pid, s.name, why));
                }
            } else {
                RecoveryItem stale;
                stale.kind = RecoveryItem::Kind::File;
                stale.service = s.name;
                stale.path = s.pidfilePath;
                stale.why = u"stale pidfile: pid %1 is %2"_s.arg(pid).arg(
                    info && !info->isZombie() ? u"another program now"_s : u"gone"_s);
                d.stalePidfiles.append(stale);
            }
        }
    }

    // Our own re-parented children: an escapee whose service is known is a
    // leftover like a marker carrier; any other came from some service tree
    // (nothing else of ours leaves a session), so it is listed for consent.
    for (const OrphanProcess &o : in.orphans) {
        if (in.exclude.contains(o.pid) || ours.contains(o.pid))
            continue;
        if (!o.service.isEmpty()) {
            ours.insert(o.pid, d.leftovers.size());
            d.leftovers.append(
                processItem(proc, o.pid, o.service,
                            u"escaped %1's tree, re-parented to Lifeline: %2"_s.arg(o.service, o.why)));
            continue;
        }
        RecoveryItem item = processItem(proc, o.pid, QString(),
                                        u"re-parented to Lifeline from a service tree that cannot be told"_s);
        if (item.uid != in.me)
            item.action = u"belongs to user %1: not touched"_s.arg(ownerOf(item));
        else
            item.needsConsent = true;
        d.orphans.append(item);
    }

    for (const ServiceProofs &s : in.services) {
        for (quint16 port : s.ports) {
            const std::optional<PortHolder> holder = proc.portHolder(port);
            if (!holder)
                continue;
            if (holder->pid > 0 && in.exclude.contains(holder->pid))
                continue; // the service itself, still running (dry run)
            const QString needs = u"listens on port %1 which %2 needs"_s.arg(port).arg(s.name);
            if (const auto it = ours.constFind(holder->pid); holder->pid > 0 && it != ours.cend()) {
                RecoveryItem &item = d.leftovers[it.value()];
                item.why += u"; "_s + needs;
                item.port = port;
                continue;
            }
            RecoveryItem item;
            if (holder->pid > 0) {
                item = processItem(proc, holder->pid, s.name, needs);
            } else {
                item.kind = RecoveryItem::Kind::Process;
                item.service = s.name;
                item.why = needs;
            }
            item.uid = holder->pid > 0 ? item.uid : holder->uid;
            if (item.user.isEmpty())
                item.user = holder->user;
            if (item.cmdline.isEmpty())
                item.cmdline = holder->cmdline;
            item.port = port;
            if (holder->pid == in.self) {
                item.action = u"is Lifeline itself: not touched"_s;
            } else if (holder->pid <= 1) {
                item.action =
                    u"belongs to %1 and its process cannot be seen: not touched"_s.arg(ownerOf(item));
            } else if (item.uid != in.me) {
                item.action = u"belongs to user %1: not touched"_s.arg(ownerOf(item));
            } else {
                item.why += u", not started by Lifeline"_s;
                item.needsConsent = true;
            }
            d.portHolders.append(item);
        }
    }
    return d;
}

} // namespace lifeline::recovery
