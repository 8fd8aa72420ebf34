// Systems without a kernel sampler yet: every kernel figure stays invalid
// (disk use still works, through DiskProbe and QStorageInfo).
#include "systemsampler.h"

namespace lifeline {

void SystemSampler::readKernel(SystemSample &s)
{
    Q_UNUSED(s);
    Q_UNUSED(m_prevCpu);
}

} // namespace lifeline
