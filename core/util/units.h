// Durations, sizes and signal names: how Lifeline reads them (the
// configuration, the service editor, lifelinectl) and how it writes them
// (diagnostics, restart reasons, the status table). One parser and one
// formatter each, so what is shown reads back as what was meant.
#pragma once

#include <QString>

#include <chrono>
#include <optional>

namespace lifeline {

using Millis = std::chrono::milliseconds;

// Far beyond any real file or memory limit, and safe from overflow in sums.
constexpr qint64 kMaxSize = qint64(1) << 60;

// Durations: "500ms", "3s", "5m", "1h", "1d", combinations like "1m30s"; a bare "0" is 0.
std::optional<Millis> parseDuration(const QString &text, QString *error = nullptr);
// Ages of files, in seconds: "14d", "2w", "36h", or any parseDuration() text. Unlike a duration
// it is never a timer, so it may be far longer than 24 days (up to 100 years).
std::optional<qint64> parseAge(const QString &text, QString *error = nullptr);
// Sizes: "500MB", "10MiB", "1GB", "4096", "512KB" (KB/MB/GB decimal, KiB/MiB/GiB binary; B optional).
std::optional<qint64> parseSize(const QString &text, QString *error = nullptr);
// "TERM", "SIGTERM", "15" -> 15
std::optional<int> parseSignal(const QString &text, QString *error = nullptr);

// How formatDuration() writes a duration.
enum class DurationStyle
{
    Exact,  // 90000 -> "1m30s", 1500 -> "1s500ms": parseDuration() reads it back
    Coarse, // whole seconds in the two largest units, the second zero-padded,
            // for columns: "45s", "5m03s", "3h12m", "2d04h"; below 0 is "0s"
};
QString formatDuration(Millis d, DurationStyle style = DurationStyle::Exact);
// formatDuration(Coarse) of whole seconds: the status table's and the window's uptime.
QString formatUptime(qint64 seconds);
QString formatSize(qint64 bytes); // 500000000 -> "500 MB" (decimal, like parseSize)
// The unit a size was written in, spelled canonically: "100mib" -> "MiB",
// "2G" -> "GB"; empty for plain bytes ("4096", "4096B") or no size at all.
QString sizeUnit(const QString &text);
// bytes in `unit` (as sizeUnit() returns it): (157286400, "MiB") -> "150 MiB",
// (1572864, "MiB") -> "1.5 MiB"; an empty unit falls back to formatSize().
QString formatSizeIn(qint64 bytes, const QString &unit);
QString signalName(int sig); // 9 -> "SIGKILL", 99 -> "signal 99"

} // namespace lifeline
