// What an emergency recovery finds to end, shared by the dry run and step 2:
// processes that provably belong to a service (its marker in their
// environment, a descendant of such a process, the process its verified
// pidfile names, an escapee re-parented to Lifeline and attributed to it),
// stale pidfiles, orphans no service can be proven for, and whoever holds a
// service's port. Nothing is ever found by name: a process that looks like a
// service but carries none of these proofs is not listed at all.
//
// It reads processes only through `proc`, so tests run it on fake /proc roots.
#pragma once

#include "platform/procfs.h"
#include "recovery/recoverytypes.h"
#include "supervise/fleet.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <sys/types.h>

namespace lifeline::recovery {

// What discovery needs to know of one service.
struct ServiceProofs
{
    QString name;
    QByteArray markerValue; // of ServiceSupervisor::markerKey() in its processes' environment
    QString pidfilePath;
    QList<quint16> ports;
};

struct DiscoveryInput
{
    QByteArray markerKey;
    QList<ServiceProofs> services;
    QList<OrphanProcess> orphans; // re-parented to Lifeline (Fleet::freshOrphans())
    QList<pid_t> exclude;         // already accounted for: the live trees, in a dry run
    uid_t me = 0;                 // only our own user's processes are ever ended
    pid_t self = 0;               // Lifeline itself, never ended
};

struct Discovery
{
    QList<RecoveryItem> leftovers;   // ours: marker, descendants, pidfile, attributed escapees
    QList<RecoveryItem> portHolders; // not ours (foreign or other users)
    QList<RecoveryItem> stalePidfiles;
    QList<RecoveryItem> orphans; // re-parented to us, no service proven
};

Discovery discover(const ProcFs &proc, const DiscoveryInput &input);

// The proofs of every service of the fleet, with the fleet's fresh orphans
// and our uid and pid.
DiscoveryInput discoveryInput(Fleet &fleet, const QList<pid_t> &exclude);

// A process as a report lists it; the command line as /proc has it now.
RecoveryItem processItem(const ProcFs &proc, pid_t pid, const QString &service, const QString &why);
// "alice", or "uid 1001" without a passwd entry.
QString ownerOf(const RecoveryItem &item);

} // namespace lifeline::recovery
