// Monotonic time, replaceable in tests (restart windows and backoff are then
// testable without sleeping). Never the wall clock: a clock change must not
// make a crash loop look old or new.
#pragma once

#include <QtGlobal>

#include <chrono>

namespace lifeline {

class Clock
{
public:
    virtual ~Clock() = default;
    // Milliseconds on a monotonic scale with an arbitrary origin.
    virtual qint64 nowMs() const;

    static Clock *system();
};

// A clock that only moves when told to; for tests.
class ManualClock final : public Clock
{
public:
    explicit ManualClock(qint64 startMs = 1'000'000)
        : m_now(startMs)
    {}
    qint64 nowMs() const override { return m_now; }
    void advance(std::chrono::milliseconds d) { m_now += d.count(); }
    void set(qint64 ms) { m_now = ms; }

private:
    qint64 m_now;
};

} // namespace lifeline
