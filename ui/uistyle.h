// Colours and painted icons shared by the table, the tray and the charts.
// States are never told by colour alone: each icon carries a glyph too.
#pragma once

#include "health/healthresult.h"
#include "supervise/servicestate.h"

#include <QColor>
#include <QIcon>

namespace lifeline::UiStyle {

// 0 good (green), 1 watch (amber), 2 needs a person (red); -1 neutral (grey).
QColor severityColor(int severity);
QIcon stateIcon(int severity, ServiceState state);
QIcon healthIcon(Health health);
// A filled disc in the colour with a glyph: check, exclamation, cross, pause, dots.
enum class Glyph
{
    Check,
    Exclamation,
    Cross,
    Pause,
    Dots,
    Question
};
QIcon badgeIcon(const QColor &color, Glyph glyph);

// A probe's latency as people read it: "12 ms", and "< 1 ms" for a local
// answer faster than the millisecond clock can tell (not "0 ms").
QString latencyText(qint64 ms);

} // namespace lifeline::UiStyle
