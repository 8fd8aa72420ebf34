// The pids of children that a QProcess owns. Qt reaps those itself (forkfd);
// the orphan reaper must never wait for them or Qt loses their exit status.
// Every QProcess the core starts registers its child here. Children started
// otherwise (lifeline-logger, posix_spawn) register as helpers: the orphan
// reaper collects them, and nothing takes them for an escaped orphan.
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

    static void addHelper(pid_t pid)
    {
        if (pid > 0)
            helpers().insert(pid);
    }
    static void removeHelper(pid_t pid) { helpers().remove(pid); }
    static bool isHelper(pid_t pid) { return helpers().contains(pid); }

private:
    static QSet<pid_t> &set()
    {
        static QSet<pid_t> s; // GUI thread only, like everything in the core
        return s;
    }
    static QSet<pid_t> &helpers()
    {
        static QSet<pid_t> s;
        return s;
    }
};

} // namespace lifeline
