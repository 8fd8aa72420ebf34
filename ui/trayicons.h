// The tray icon, painted rather than loaded: a dark rounded tile with a
// heartbeat line in the state colour and a badge carrying a glyph (check,
// exclamation mark, cross), so the state reads without colour too. Painted
// at every size a tray or a HiDPI screen asks for, so it stays crisp.
#pragma once

#include <QColor>
#include <QIcon>
#include <QImage>
#include <QList>

namespace lifeline::trayicons {

// 0 all good (green, check), 1 degraded (amber, exclamation), 2 bad (red, cross).
// Values outside 0..2 are clamped.
QColor colorFor(int severity);

// One rendering at `size` x `size` device pixels.
QImage paint(int severity, int size);

// The sizes put into icon(): tray sizes at 1x, 1.5x, 2x and larger ones for
// menus and notifications.
QList<int> sizes();

// All sizes in one QIcon. Not cached here (a static QIcon would outlive the
// QGuiApplication); TrayController keeps one per severity.
QIcon icon(int severity);

} // namespace lifeline::trayicons
