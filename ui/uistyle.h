// Colours and painted icons shared by the table, the tray and the charts.
// States are never told by colour alone: each icon carries a glyph too.
#pragma once

#include "health/healthresult.h"
#include "supervise/servicestate.h"

#include <QColor>
#include <QIcon>
#include <QPalette>

class QChart;

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

// An action's icon from resources/icons/actions/<name>.svg, drawn in `ink`
// where the SVG says currentColor (the palette's text colour, so it reads on a
// dark palette too) and rendered per pixel size, so it is sharp at 2x.
QIcon actionIcon(const QString &name, const QColor &ink);
// True when the palette's window is darker than its text (a dark theme).
bool isDark(const QPalette &palette);
// A severity colour for text on the palette's window: lighter on a dark one.
QColor severityTextColor(int severity, const QPalette &palette);
// Quiet text (a command line under a title) that keeps its contrast on a
// light and a dark palette alike.
QColor secondaryTextColor(const QPalette &palette);

// A chart's background, titles, labels, legend and grid in the palette's
// colours (Qt Charts draws a light theme of its own otherwise). Axes added
// later need another call.
void styleChart(QChart *chart, const QPalette &palette);

// A probe's latency as people read it: "12 ms", and "< 1 ms" for a local
// answer faster than the millisecond clock can tell (not "0 ms").
QString latencyText(qint64 ms);

} // namespace lifeline::UiStyle
