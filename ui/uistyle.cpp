#include "uistyle.h"

#include <QAbstractAxis>
#include <QChart>
#include <QFile>
#include <QHash>
#include <QLegend>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <QSvgRenderer>

namespace lifeline::UiStyle {

QColor severityColor(int severity)
{
    switch (severity) {
    case 0:
        return QColor(0x2e, 0x9d, 0x5b);
    case 1:
        return QColor(0xd9, 0x8a, 0x0b);
    case 2:
        return QColor(0xd6, 0x33, 0x2f);
    default:
        return QColor(0x8a, 0x8f, 0x98);
    }
}

static QPixmap paintBadge(const QColor &color, Glyph glyph, int size)
{
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    const qreal m = size * 0.08;
    const QRectF r(m, m, size - 2 * m, size - 2 * m);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    p.drawEllipse(r);
    QPen pen(Qt::white, std::max<qreal>(1.5, size * 0.12), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    const qreal s = r.width();
    const QPointF o = r.topLeft();
    auto at = [&](qreal x, qreal y) { return o + QPointF(x * s, y * s); };
    switch (glyph) {
    case Glyph::Check: {
        QPainterPath path(at(0.27, 0.52));
        path.lineTo(at(0.44, 0.68));
        path.lineTo(at(0.74, 0.35));
        p.drawPath(path);
        break;
    }
    case Glyph::Exclamation:
        p.drawLine(at(0.5, 0.26), at(0.5, 0.58));
        p.drawPoint(at(0.5, 0.75));
        break;
    case Glyph::Cross:
        p.drawLine(at(0.33, 0.33), at(0.67, 0.67));
        p.drawLine(at(0.67, 0.33), at(0.33, 0.67));
        break;
    case Glyph::Pause:
        p.drawLine(at(0.4, 0.32), at(0.4, 0.68));
        p.drawLine(at(0.6, 0.32), at(0.6, 0.68));
        break;
    case Glyph::Dots:
        for (qreal x : {0.3, 0.5, 0.7})
            p.drawPoint(at(x, 0.5));
        break;
    case Glyph::Question: {
        QFont f = p.font();
        f.setPixelSize(int(s * 0.7));
        f.setBold(true);
        p.setFont(f);
        p.drawText(r, Qt::AlignCenter, QStringLiteral("?"));
        break;
    }
    }
    return pm;
}

QIcon badgeIcon(const QColor &color, Glyph glyph)
{
    static QHash<QString, QIcon> cache;
    const QString key = color.name() + QString::number(int(glyph));
    auto it = cache.find(key);
    if (it != cache.end())
        return *it;
    QIcon icon;
    for (int size : {16, 22, 32, 48, 64})
        icon.addPixmap(paintBadge(color, glyph, size));
    cache.insert(key, icon);
    return icon;
}

QIcon stateIcon(int severity, ServiceState state)
{
    switch (state) {
    case ServiceState::Running:
        return badgeIcon(severityColor(severity), severity == 2 ? Glyph::Exclamation : Glyph::Check);
    case ServiceState::Starting:
    case ServiceState::Stopping:
        return badgeIcon(severityColor(1), Glyph::Dots);
    case ServiceState::Backoff:
        return badgeIcon(severityColor(1), Glyph::Exclamation);
    case ServiceState::Fatal:
        return badgeIcon(severityColor(2), Glyph::Cross);
    case ServiceState::Exited:
        return badgeIcon(severityColor(severity == 0 ? -1 : 1), Glyph::Pause);
    case ServiceState::Stopped:
        return badgeIcon(severityColor(-1), Glyph::Pause);
    }
    return badgeIcon(severityColor(2), Glyph::Question);
}

QIcon healthIcon(Health health)
{
    switch (health) {
    case Health::Healthy:
        return badgeIcon(severityColor(0), Glyph::Check);
    case Health::Unhealthy:
        return badgeIcon(severityColor(2), Glyph::Cross);
    case Health::Unknown:
        break;
    }
    return badgeIcon(severityColor(-1), Glyph::Question);
}

QIcon actionIcon(const QString &name, const QColor &ink)
{
    static QHash<QString, QIcon> cache;
    const QString key = name + ink.name();
    if (auto it = cache.constFind(key); it != cache.constEnd())
        return *it;
    QFile file(QStringLiteral(":/icons/actions/%1.svg").arg(name));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QByteArray svg = file.readAll();
    svg.replace("currentColor", ink.name().toLatin1());
    QSvgRenderer renderer(svg);
    QIcon icon;
    // Each size drawn from the vector: QIcon picks by device pixels, so 32
    // serves a 16 px icon on a 2x screen without scaling a bitmap up.
    for (int size : {16, 20, 22, 24, 32, 40, 44, 48, 64}) {
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        renderer.render(&p);
        p.end();
        icon.addPixmap(pm);
    }
    cache.insert(key, icon);
    return icon;
}

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < palette.color(QPalette::WindowText).lightness();
}

QColor severityTextColor(int severity, const QPalette &palette)
{
    const QColor c = severityColor(severity);
    return isDark(palette) ? c.lighter(140) : c.darker(110);
}

static QColor mix(const QColor &a, const QColor &b, int percentOfA)
{
    const auto m = [percentOfA](int x, int y) { return (x * percentOfA + y * (100 - percentOfA)) / 100; };
    return QColor(m(a.red(), b.red()), m(a.green(), b.green()), m(a.blue(), b.blue()));
}

QColor secondaryTextColor(const QPalette &palette)
{
    return mix(palette.color(QPalette::WindowText), palette.color(QPalette::Window), 65);
}

void styleChart(QChart *chart, const QPalette &palette)
{
    const QColor text = palette.color(QPalette::Text);
    const QColor base = palette.color(QPalette::Base);
    chart->setBackgroundBrush(base);
    chart->setBackgroundPen(QPen(mix(text, base, 20), 1));
    chart->setTitleBrush(text);
    chart->legend()->setLabelColor(text);
    for (QAbstractAxis *axis : chart->axes()) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        axis->setLinePenColor(mix(text, base, 45));
        axis->setGridLineColor(mix(text, base, 15));
        axis->setMinorGridLineColor(mix(text, base, 8));
    }
}

QString latencyText(qint64 ms)
{
    return ms < 1 ? QStringLiteral("< 1 ms") : QStringLiteral("%1 ms").arg(ms);
}

} // namespace lifeline::UiStyle
