// How a supervisor acts on processes it may not own: which processes make up
// a service's tree, signals to them, and the exit of a process that is not
// our child (a service adopted from an earlier Lifeline). A supervisor gets
// one through SupervisorContext; tests give it a fake and start nothing.
#pragma once

#include "platform/procfs.h"

#include <QList>

#include <functional>

class QObject;

namespace lifeline {

class ProcessControl
{
public:
    virtual ~ProcessControl() = default;

    // What the system says about processes (a fixture's, in tests).
    virtual const ProcFs &proc() const = 0;
    // Every live process of the trees `roots` describe (ProcFs::serviceTrees),
    // each once.
    virtual QList<pid_t> treePids(const QList<TreeQuery> &roots, const QByteArray &markerKey) const = 0;
    // Sends `sig` to each of `pids`.
    virtual void signal(const QList<pid_t> &pids, int sig) = 0;
    // Calls onExit once, when `pid` has exited. The watch is a child of
    // `parent`; deleting it stops watching.
    virtual QObject *watchExit(pid_t pid, QObject *parent, std::function<void()> onExit) = 0;
};

// The system's: ProcFs for what is known, kill(2) for signals, a pidfd for
// the exit of a process that is not our child (processcontrol_linux.cpp);
// elsewhere signals go nowhere (processcontrol_null.cpp).
class SystemProcessControl final : public ProcessControl
{
public:
    explicit SystemProcessControl(const QString &procRoot = QStringLiteral("/proc"));

    const ProcFs &proc() const override { return m_proc; }
    QList<pid_t> treePids(const QList<TreeQuery> &roots, const QByteArray &markerKey) const override;
    void signal(const QList<pid_t> &pids, int sig) override;
    // With a pidfd the exit is noticed the moment it happens; without one
    // (an old kernel, another system) /proc is looked at twice a second.
    QObject *watchExit(pid_t pid, QObject *parent, std::function<void()> onExit) override;

private:
    ProcFs m_proc;
};

} // namespace lifeline
