// state_dir/run/<name>.pid: which process a service's run is, so that a
// later Lifeline adopts it instead of starting a second copy. Written
// atomically; a pid alone proves nothing (pids are reused), so it carries
// the process's start time and is only believed together with the marker
// in the process's environment.
#pragma once

#include "platform/procfs.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace lifeline {

struct PidFile
{
    pid_t pid = 0;
    quint64 startTime = 0;  // ProcInfo::startTime
    QByteArray commandHash; // ServiceSpec::commandHash() of the definition it was started from
    QByteArray marker;      // the marker value its processes carry
    qint64 startedAtMs = 0; // wall clock, ms since the epoch

    bool write(const QString &path, QString *error) const;
    // nullopt when there is no file to read. A file that is not a pidfile
    // reads as pid 0, which verify() finds gone.
    static std::optional<PidFile> read(const QString &path);

    enum class Check
    {
        Ours,  // the same process (pid and start time), alive, carrying markerKey=markerValue
        Gone,  // no process with that pid
        Other, // the pid names another process now, a zombie, or one without the marker
    };
    // *live gets what `proc` says of the process when it is ours.
    Check verify(const ProcFs &proc, const QByteArray &markerKey, const QByteArray &markerValue,
                 ProcInfo *live = nullptr) const;
};

} // namespace lifeline
