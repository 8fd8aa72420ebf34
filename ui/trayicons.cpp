#include "trayicons.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

#include <algorithm>
#include <array>
#include <cmath>

namespace lifeline::trayicons {

namespace {

// Below this many pixels the heartbeat line and a badge do not both fit:
// the tile itself takes the state colour and carries the glyph alone.
constexpr int SmallSize = 22;

const QColor Tile(0x1f, 0x2a, 0x30);

// Dark glyph on amber (white on amber is too faint), white on the others.
QColor glyphColorFor(TrayState state)
{
    return state == TrayState::Busy ? Tile : QColor(Qt::white);
}

// Snaps to the device pixel grid, so strokes at 16 or 44 px are sharp rather
// than smeared over two pixels.
QPointF snap(QPointF p)
{
    return {std::round(p.x() * 2) / 2, std::round(p.y() * 2) / 2};
}

// The glyph of a state inside a circle of radius r around c.
void paintGlyph(QPainter &p, TrayState state, QPointF c, qreal r)
{
    const QColor color = glyphColorFor(state);
    const qreal width = std::max<qreal>(1.5, std::round(0.28 * r * 2) / 2);
    p.setPen(QPen(color, width, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.setBrush(Qt::NoBrush);
    switch (state) {
    case TrayState::Good: {
        QPainterPath check;
        check.moveTo(snap(c + QPointF(-0.48 * r, 0.02 * r)));
        check.lineTo(snap(c + QPointF(-0.14 * r, 0.36 * r)));
        check.lineTo(snap(c + QPointF(0.48 * r, -0.36 * r)));
        p.drawPath(check);
        break;
    }
    case TrayState::Busy: {
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        const qreal dot = std::max<qreal>(0.9, 0.17 * r);
        for (qreal dx : {-0.5, 0.0, 0.5})
            p.drawEllipse(c + QPointF(dx * r, 0), dot, dot);
        break;
    }
    case TrayState::Failing:
        p.drawLine(snap(c + QPointF(0, -0.52 * r)), snap(c + QPointF(0, 0.10 * r)));
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawEllipse(c + QPointF(0, 0.46 * r), 0.16 * r, 0.16 * r);
        break;
    case TrayState::Idle:
        p.drawLine(snap(c + QPointF(-0.45 * r, 0)), snap(c + QPointF(0.45 * r, 0)));
        break;
    }
}

} // namespace

QColor colorFor(TrayState state)
{
    switch (state) {
    case TrayState::Good:
        return {0x2e, 0xa0, 0x4f};
    case TrayState::Busy:
        return {0xf0, 0xa8, 0x00};
    case TrayState::Failing:
        return {0xe0, 0x3a, 0x2c};
    case TrayState::Idle:
        break;
    }
    return {0x7d, 0x86, 0x8c};
}

TrayState stateOf(ServiceState state, bool unhealthy, bool exitedCleanly)
{
    switch (state) {
    case ServiceState::Running:
        return unhealthy ? TrayState::Failing : TrayState::Good;
    case ServiceState::Starting:
    case ServiceState::Stopping:
    case ServiceState::Backoff:
        return TrayState::Busy;
    case ServiceState::Fatal:
        return TrayState::Failing;
    case ServiceState::Exited:
        return exitedCleanly ? TrayState::Idle : TrayState::Failing;
    case ServiceState::Stopped:
        break;
    }
    return TrayState::Idle;
}

QList<int> sizes()
{
    return {16, 20, 22, 24, 32, 33, 36, 44, 48, 64, 96, 128, 256};
}

QImage paint(TrayState state, int size)
{
    QImage img(size, size, QImage::Format_ARGB32_Premultiplied);
    img.fill(Qt::transparent);
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    const qreal s = size;
    const QColor color = colorFor(state);
    const qreal inset = std::max<qreal>(0.5, std::round(0.04 * s));
    const QRectF tile(inset, inset, s - 2 * inset, s - 2 * inset);
    const qreal radius = 0.22 * s;

    if (size < SmallSize) {
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawRoundedRect(tile, radius, radius);
        paintGlyph(p, state, tile.center(), 0.46 * s);
        return img;
    }

    p.setPen(Qt::NoPen);
    p.setBrush(Tile);
    p.drawRoundedRect(tile, radius, radius);

    // The heartbeat, in the upper part of the tile, clear of the badge.
    static constexpr std::array<QPointF, 7> pulse = {{
        {0.12, 0.40},
        {0.30, 0.40},
        {0.38, 0.20},
        {0.48, 0.58},
        {0.56, 0.12},
        {0.64, 0.40},
        {0.88, 0.40},
    }};
    QPainterPath line;
    line.moveTo(snap(pulse[0] * s));
    for (std::size_t i = 1; i < pulse.size(); ++i)
        line.lineTo(snap(pulse[i] * s));
    p.setPen(QPen(color, std::max<qreal>(1.5, std::round(0.085 * s * 2) / 2), Qt::SolidLine, Qt::RoundCap,
                  Qt::RoundJoin));
    p.drawPath(line);

    // The badge with its glyph, ringed in the tile colour so it stands off the line.
    const QPointF c = snap(QPointF(0.70 * s, 0.70 * s));
    const qreal r = 0.27 * s;
    p.setPen(QPen(Tile, std::max<qreal>(1.0, 0.05 * s)));
    p.setBrush(color);
    p.drawEllipse(c, r, r);
    paintGlyph(p, state, c, r);
    return img;
}

QIcon icon(TrayState state)
{
    QIcon result;
    for (int size : sizes())
        result.addPixmap(QPixmap::fromImage(paint(state, size)));
    return result;
}

} // namespace lifeline::trayicons
