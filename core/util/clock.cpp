#include "clock.h"

namespace lifeline {

qint64 Clock::nowMs() const
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

Clock *Clock::system()
{
    static Clock clock;
    return &clock;
}

} // namespace lifeline
