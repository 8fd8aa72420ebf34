// The tray icon, painted rather than loaded: a dark rounded tile with a
// heartbeat line in the state colour and a badge carrying a glyph, so the
// state reads without colour too (colour-blind users, monochrome panels):
// a check (all good), three dots (starting, restarting), an exclamation mark
// (failing) and a dash (all stopped, in neutral grey). Painted at every size a
// tray or a HiDPI screen asks for, on whole device pixels, so it stays crisp
// at 2x.
#pragma once

#include "supervise/servicestate.h"

#include <QColor>
#include <QIcon>
#include <QImage>
#include <QList>

namespace lifeline::trayicons {

enum class TrayState
{
    Good,    // everything asked to run is running
    Busy,    // starting, stopping, waiting to restart
    Failing, // fatal, failed exit, unhealthy
    Idle,    // nothing running, nothing wrong: all stopped
};

QColor colorFor(TrayState state);

// The state a single service shows in menus.
TrayState stateOf(ServiceState state, bool unhealthy, bool exitedCleanly);

// One rendering at `size` x `size` device pixels.
QImage paint(TrayState state, int size);

// The sizes put into icon(): tray sizes at 1x, 1.5x, 2x and larger ones for
// menus and notifications.
QList<int> sizes();

// All sizes in one QIcon. Not cached here (a static QIcon would outlive the
// QGuiApplication); TrayController keeps one per state.
QIcon icon(TrayState state);

} // namespace lifeline::trayicons
