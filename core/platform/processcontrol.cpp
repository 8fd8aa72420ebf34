#include "platform/processcontrol.h"

#include "platform/spawn.h"

#include <QSocketNotifier>
#include <QTimer>

#include <algorithm>

namespace lifeline {

namespace {

// Owns the pidfd and its notifier, or the polling timer.
class ExitWatch final : public QObject
{
public:
    ExitWatch(pid_t pid, const ProcFs &proc, std::function<void()> onExit, QObject *parent)
        : QObject(parent)
        , m_proc(proc)
        , m_onExit(std::move(onExit))
        , m_pidfd(openPidFd(pid))
    {
        if (m_pidfd.isValid()) {
            auto *notifier = new QSocketNotifier(m_pidfd.get(), QSocketNotifier::Read, this);
            connect(notifier, &QSocketNotifier::activated, this, [this, notifier] {
                notifier->setEnabled(false);
                m_onExit();
            });
            return;
        }
        auto *timer = new QTimer(this);
        timer->setInterval(500);
        connect(timer, &QTimer::timeout, this, [this, timer, pid] {
            const auto p = m_proc.process(pid);
            if (!p || p->isZombie()) {
                timer->stop();
                m_onExit();
            }
        });
        timer->start();
    }

private:
    ProcFs m_proc; // its own: the watch may outlive the control that made it
    std::function<void()> m_onExit;
    UniqueFd m_pidfd;
};

} // namespace

SystemProcessControl::SystemProcessControl(const QString &procRoot)
    : m_proc(procRoot)
{}

QList<pid_t> SystemProcessControl::treePids(const QList<TreeQuery> &roots, const QByteArray &markerKey) const
{
    if (roots.size() == 1)
        return m_proc.serviceTrees(roots, markerKey).value(roots.first().name);
    QList<pid_t> all;
    for (const QList<pid_t> &tree : m_proc.serviceTrees(roots, markerKey))
        all += tree;
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
}

QObject *SystemProcessControl::watchExit(pid_t pid, QObject *parent, std::function<void()> onExit)
{
    return new ExitWatch(pid, m_proc, std::move(onExit), parent);
}

} // namespace lifeline
