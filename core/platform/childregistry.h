// The pids of children that a QProcess owns. Qt reaps those itself (forkfd);
// the orphan reaper must never wait for them or Qt loses their exit status.
// Every QProcess the core starts registers its child here.
#pragma once

#include <QList>
#include <QSet>

#include <sys/types.h>

namespace lifeline {

class ChildRegistry
{
public:
    static void add(pid_t pid)
    {
        if (pid > 0)
            set().insert(pid);
    }
    static void remove(pid_t pid) { set().remove(pid); }
    static QList<pid_t> pids() { return set().values(); }

private:
    static QSet<pid_t> &set()
    {
        static QSet<pid_t> s; // GUI thread only, like everything in the core
        return s;
    }
};

} // namespace lifeline
