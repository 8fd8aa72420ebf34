// Linux kernel figures for SystemSampler, from <procRoot>/stat, meminfo and
// loadavg (proc(5)).
#include "systemsampler.h"

#include <QFile>

namespace lifeline {

namespace {

// /proc files report size 0; QFile::readAll() reads them to EOF regardless.
std::optional<QByteArray> readProcFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    return f.readAll();
}

} // namespace

void SystemSampler::readKernel(SystemSample &s)
{
    if (const auto stat = readProcFile(m_root + u"/stat")) {
        s.cpuCores = parseProcStatCpuCount(*stat);
        if (const auto cpu = parseProcStatCpu(*stat)) {
            if (m_prevCpu) {
                s.cpuPercent = systemCpuPercent(*m_prevCpu, *cpu);
                s.cpuValid = true;
            }
            m_prevCpu = *cpu;
        }
    }
    if (const auto mem = ProcFs(m_root).systemMemory()) {
        s.mem = *mem;
        s.memoryValid = true;
        s.memoryPercent = double(mem->totalBytes - mem->availableBytes) * 100.0 / double(mem->totalBytes);
        s.swapPercent = mem->swapTotalBytes > 0 ? double(mem->swapTotalBytes - mem->swapFreeBytes) * 100.0 /
                                                      double(mem->swapTotalBytes)
                                                : 0.0;
    }
    if (const auto text = readProcFile(m_root + u"/loadavg")) {
        if (const auto load = parseLoadAvg(*text)) {
            s.load = *load;
            s.loadValid = true;
        }
    }
}

} // namespace lifeline
