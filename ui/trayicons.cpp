#include "trayicons.h"

#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

#include <algorithm>
#include <array>

namespace lifeline::trayicons {

namespace {

// Below this many pixels the heartbeat line and a badge do not both fit:
// the tile itself takes the state colour and carries the glyph alone.
constexpr int SmallSize = 22;

const QColor Tile(0x1f, 0x2a, 0x30);

int clampSeverity(int severity)
{
    return std::clamp(severity, 0, 2);
}

// Dark glyph on amber (white on amber is too faint), white on green and red.
QColor glyphColorFor(int severity)
{
    return clampSeverity(severity) == 1 ? Tile : QColor(Qt::white);
}

// The glyph of a severity inside a circle of radius r around c.
void paintGlyph(QPainter &p, int severity, QPointF c, qreal r)
{
    QPen pen(glyphColorFor(severity), std::max<qreal>(1.2, 0.26 * r), Qt::SolidLine, Qt::RoundCap,
             Qt::RoundJoin);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    switch (clampSeverity(severity)) {
    case 0: {
        QPainterPath check;
        check.moveTo(c + QPointF(-0.48 * r, 0.02 * r));
        check.lineTo(c + QPointF(-0.14 * r, 0.36 * r));
        check.lineTo(c + QPointF(0.48 * r, -0.36 * r));
        p.drawPath(check);
        break;
    }
    case 1:
        p.drawLine(c + QPointF(0, -0.52 * r), c + QPointF(0, 0.10 * r));
        p.setPen(Qt::NoPen);
        p.setBrush(glyphColorFor(severity));
        p.drawEllipse(c + QPointF(0, 0.46 * r), 0.15 * r, 0.15 * r);
        break;
    default:
        p.drawLine(c + QPointF(-0.38 * r, -0.38 * r), c + QPointF(0.38 * r, 0.38 * r));
        p.drawLine(c + QPointF(-0.38 * r, 0.38 * r), c + QPointF(0.38 * r, -0.38 * r));
        break;
    }
}

} // namespace

QColor colorFor(int severity)
{
    switch (clampSeverity(severity)) {
    case 0:
        return {0x2e, 0xa0, 0x4f};
    case 1:
        return {0xf0, 0xa8, 0x00};
    default:
        return {0xe0, 0x3a, 0x2c};
    }
}

QList<int> sizes()
{
    return {16, 20, 22, 24, 32, 33, 36, 44, 48, 64, 96, 128, 256};
}

QImage paint(int severity, int size)
{
    QImage img(size, size, QImage::Format_ARGB32_Premultiplied);
    img.fill(Qt::transparent);
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    const qreal s = size;
    const QColor color = colorFor(severity);
    const QRectF tile(0.04 * s, 0.04 * s, 0.92 * s, 0.92 * s);
    const qreal radius = 0.22 * s;

    if (size < SmallSize) {
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawRoundedRect(tile, radius, radius);
        paintGlyph(p, severity, tile.center(), 0.46 * s);
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
    line.moveTo(pulse[0] * s);
    for (std::size_t i = 1; i < pulse.size(); ++i)
        line.lineTo(pulse[i] * s);
    p.setPen(QPen(color, std::max<qreal>(1.5, 0.085 * s), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p.drawPath(line);

    // The badge with its glyph, ringed in the tile colour so it stands off the line.
    const QPointF c(0.70 * s, 0.70 * s);
    const qreal r = 0.27 * s;
    p.setPen(QPen(Tile, std::max<qreal>(1.0, 0.05 * s)));
    p.setBrush(color);
    p.drawEllipse(c, r, r);
    paintGlyph(p, severity, c, r);
    return img;
}

QIcon icon(int severity)
{
    QIcon result;
    for (int size : sizes())
        result.addPixmap(QPixmap::fromImage(paint(severity, size)));
    return result;
}

} // namespace lifeline::trayicons
