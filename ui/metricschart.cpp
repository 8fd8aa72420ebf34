#include "metricschart.h"

#include "engine/engineclient.h"
#include "metrics/metricshistory.h"
#include "uistyle.h"

#include <QChart>
#include <QCursor>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>

#include <cmath>

namespace lifeline {

qint64 chartRangeMs(ChartRange range)
{
    switch (range) {
    case ChartRange::FiveMinutes:
        return 5LL * 60'000;
    case ChartRange::OneHour:
        return 3'600'000LL;
    case ChartRange::OneDay:
        return 24LL * 3'600'000;
    case ChartRange::SevenDays:
        break;
    }
    return 7LL * 24 * 3'600'000;
}

QString chartRangeLabel(ChartRange range)
{
    switch (range) {
    case ChartRange::FiveMinutes:
        return QStringLiteral("5 min");
    case ChartRange::OneHour:
        return QStringLiteral("1 h");
    case ChartRange::OneDay:
        return QStringLiteral("24 h");
    case ChartRange::SevenDays:
        break;
    }
    return QStringLiteral("7 d");
}

namespace {

// The smallest of 1, 2, 2.5, 5 x 10^n that is >= v.
double niceCeil(double v)
{
    if (!(v > 0))
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(v)));
    for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (step * magnitude >= v * 0.9999)
            return step * magnitude;
    }
    return 10 * magnitude;
}

QString formatValue(double v)
{
    return QString::number(v, 'f', std::abs(v) >= 100 ? 0 : 1);
}

} // namespace

MetricsChart::MetricsChart(EngineClient *engine, QWidget *parent)
    : QChartView(parent)
    , m_engine(engine)
    , m_timeAxis(new QDateTimeAxis)
    , m_valueAxis(new QValueAxis)
{
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(220, 160);
    auto *c = chart();
    c->setMargins(QMargins(4, 4, 4, 4));
    c->setBackgroundRoundness(0);
    c->legend()->setAlignment(Qt::AlignBottom);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    c->legend()->setFont(small);
    m_timeAxis->setTickCount(6);
    m_timeAxis->setLabelsFont(small);
    m_valueAxis->setLabelsFont(small);
    m_valueAxis->setLabelFormat(QStringLiteral("%.0f"));
    m_valueAxis->setMin(0);
    c->addAxis(m_timeAxis, Qt::AlignBottom);
    c->addAxis(m_valueAxis, Qt::AlignLeft);

    auto makeMarkers = [this, c](const QString &name, const QColor &color, QList<Marker> *source) {
        auto *s = new QScatterSeries;
        s->setName(name);
        s->setColor(color);
        s->setBorderColor(color.darker(120));
        s->setMarkerShape(QScatterSeries::MarkerShapeTriangle);
        s->setMarkerSize(11);
        c->addSeries(s);
        s->attachAxis(m_timeAxis);
        s->attachAxis(m_valueAxis);
        connect(s, &QScatterSeries::hovered, this,
                [this, source](const QPointF &point, bool state) { showMarkerHover(*source, point, state); });
        return s;
    };
    m_restartMarkers = makeMarkers(tr("restart"), UiStyle::severityColor(2), &m_restartEvents);
    m_exitMarkers = makeMarkers(tr("exit"), UiStyle::severityColor(1), &m_exitEvents);
    updateTimeFormat();

    if (m_engine) {
        connect(m_engine, &EngineClient::sampled, this, &MetricsChart::refresh);
        connect(m_engine, &EngineClient::historyAnswered, this, [this](const HistoryAnswer &answer) {
            if (answer.id != m_pendingQuery)
                return; // another chart's, or one this chart no longer wants
            m_pendingQuery = 0;
            draw(answer);
            if (std::exchange(m_refreshAgain, false))
                refresh();
        });
    }
}

MetricsChart::~MetricsChart() = default;

void MetricsChart::setTitle(const QString &title)
{
    chart()->setTitle(title);
}

void MetricsChart::setUnit(const QString &unit)
{
    m_unit = unit;
    m_valueAxis->setTitleText(unit);
}

void MetricsChart::setFixedValueRange(double min, double max)
{
    m_fixedRange = std::make_pair(min, max);
    m_valueAxis->setRange(min, max);
}

void MetricsChart::setAutoValueRange(double minimumTop)
{
    m_fixedRange.reset();
    m_minimumTop = minimumTop;
}

void MetricsChart::addSeries(const QString &service, const QString &metric, const QString &label,
                             const QColor &color, double scale)
{
    auto *s = new QLineSeries;
    s->setName(label);
    QPen pen(color);
    pen.setWidthF(1.6);
    s->setPen(pen);
    chart()->addSeries(s);
    s->attachAxis(m_timeAxis);
    s->attachAxis(m_valueAxis);
    connect(s, &QLineSeries::hovered, this,
            [this, label](const QPointF &point, bool state) { showHover(label, point, state); });
    m_series.append(s);
    m_sources.append({service, metric, label, scale});
    m_dirty = true;
}

void MetricsChart::clearSeries()
{
    for (QLineSeries *s : std::as_const(m_series)) {
        chart()->removeSeries(s);
        delete s;
    }
    m_series.clear();
    m_sources.clear();
    m_dirty = true;
    m_pendingQuery = 0; // its answer is about series that are gone
    m_refreshAgain = false;
}

void MetricsChart::setLimit(std::optional<double> value, const QString &label)
{
    m_limit = value;
    m_limitLabel = label;
    if (!value) {
        if (m_limitSeries) {
            chart()->removeSeries(m_limitSeries);
            delete m_limitSeries;
            m_limitSeries = nullptr;
        }
        return;
    }
    if (!m_limitSeries) {
        m_limitSeries = new QLineSeries;
        QPen pen(UiStyle::severityColor(2));
        pen.setStyle(Qt::DashLine);
        pen.setWidthF(1.4);
        m_limitSeries->setPen(pen);
        chart()->addSeries(m_limitSeries);
        m_limitSeries->attachAxis(m_timeAxis);
        m_limitSeries->attachAxis(m_valueAxis);
    }
    m_limitSeries->setName(label.isEmpty() ? tr("limit") : label);
    m_dirty = true;
    refresh();
}

void MetricsChart::setEventService(std::optional<QString> service)
{
    m_eventService = std::move(service);
    m_dirty = true;
}

void MetricsChart::setRange(ChartRange range)
{
    if (range == m_range && !m_dirty)
        return;
    m_range = range;
    updateTimeFormat();
    m_dirty = true;
    refresh();
}

void MetricsChart::updateTimeFormat()
{
    switch (m_range) {
    case ChartRange::FiveMinutes:
        m_timeAxis->setFormat(QStringLiteral("HH:mm:ss"));
        break;
    case ChartRange::OneHour:
    case ChartRange::OneDay:
        m_timeAxis->setFormat(QStringLiteral("HH:mm"));
        break;
    case ChartRange::SevenDays:
        m_timeAxis->setFormat(QStringLiteral("ddd HH:mm"));
        break;
    }
}

int MetricsChart::plotWidth() const
{
    const int plot = int(chart()->plotArea().width());
    // Before the first layout the plot area is empty: estimate from the view.
    const int width = plot > 10 ? plot : viewport()->width() - 80;
    return std::max(50, width);
}

void MetricsChart::refresh()
{
    if (!isVisible()) {
        m_dirty = true; // charts never redraw while hidden (tray, other tab)
        return;
    }
    m_dirty = false;
    if (m_pendingQuery != 0) {
        m_refreshAgain = true; // one question at a time; the newest range wins
        return;
    }
    m_queryTo = QDateTime::currentMSecsSinceEpoch();
    m_queryFrom = m_queryTo - chartRangeMs(m_range);
    m_queryPoints = plotWidth();
    if (!m_engine) {
        draw(HistoryAnswer{});
        return;
    }
    HistoryQuery query;
    query.fromMs = m_queryFrom;
    query.toMs = m_queryTo;
    query.maxPoints = m_queryPoints;
    for (const SeriesSource &src : std::as_const(m_sources))
        query.series.append({src.service, src.metric});
    query.eventService = m_eventService;
    m_pendingQuery = m_engine->queryHistory(query);
}

void MetricsChart::draw(const HistoryAnswer &answer)
{
    const qint64 now = m_queryTo;
    const qint64 from = m_queryFrom;
    const int maxPoints = m_queryPoints;

    double top = 0;
    for (qsizetype i = 0; i < m_series.size(); ++i) {
        const SeriesSource &src = m_sources.at(i);
        // The sources may have changed since the question: draw what was asked of them.
        QList<QPointF> points = i < answer.series.size() ? answer.series.at(i) : QList<QPointF>();
        for (QPointF &p : points) {
            p.setY(p.y() * src.scale);
            top = std::max(top, p.y());
        }
        m_series.at(i)->replace(points);
    }
    if (m_limit)
        top = std::max(top, *m_limit);

    double yMax = 0;
    if (m_fixedRange) {
        m_valueAxis->setRange(m_fixedRange->first, m_fixedRange->second);
        yMax = m_fixedRange->second;
    } else {
        yMax = niceCeil(std::max(m_minimumTop, top * 1.1));
        m_valueAxis->setRange(0, yMax);
    }
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(from), QDateTime::fromMSecsSinceEpoch(now));

    if (m_limitSeries)
        m_limitSeries->replace({QPointF(double(from), *m_limit), QPointF(double(now), *m_limit)});

    m_restartEvents.clear();
    m_exitEvents.clear();
    QList<QPointF> restarts;
    QList<QPointF> exits;
    if (m_eventService) {
        const double y = yMax * 0.96;
        for (const HistoryEvent &e : answer.events) {
            const QString text =
                (m_eventService->isEmpty() ? QStringLiteral("[%1] ").arg(e.service) : QString()) + e.text;
            if (e.kind == HistoryEventKind::Restart) {
                restarts.append(QPointF(double(e.timeMs), y));
                m_restartEvents.append({e.timeMs, text});
            } else if (e.kind == HistoryEventKind::Exit) {
                exits.append(QPointF(double(e.timeMs), y));
                m_exitEvents.append({e.timeMs, text});
            }
        }
    }
    // Bounded too: a crash loop over 7 days is thinned to the plot width.
    auto thin = [maxPoints](QList<QPointF> points) {
        if (points.size() <= maxPoints)
            return points;
        QList<QPointF> out;
        const double step = double(points.size()) / maxPoints;
        for (int i = 0; i < maxPoints; ++i)
            out.append(points.at(qsizetype(i * step)));
        return out;
    };
    m_restartMarkers->replace(thin(restarts));
    m_exitMarkers->replace(thin(exits));
    // The "restart" / "exit" legend entries stay put: Qt Charts does not
    // re-lay out a legend whose markers are hidden and shown again, and the
    // labels end up drawn over each other.
    ++m_refreshCount;
}

void MetricsChart::showHover(const QString &label, const QPointF &point, bool state)
{
    if (!state) {
        QToolTip::hideText();
        return;
    }
    const QString time =
        QDateTime::fromMSecsSinceEpoch(qint64(point.x())).toString(QStringLiteral("ddd HH:mm:ss"));
    QToolTip::showText(QCursor::pos(),
                       QStringLiteral("%1: %2 %3\n%4").arg(label, formatValue(point.y()), m_unit, time),
                       this);
}

void MetricsChart::showMarkerHover(const QList<Marker> &markers, const QPointF &point, bool state)
{
    if (!state || markers.isEmpty()) {
        QToolTip::hideText();
        return;
    }
    const Marker *best = &markers.first();
    for (const Marker &m : markers) {
        if (std::abs(double(m.timeMs) - point.x()) < std::abs(double(best->timeMs) - point.x()))
            best = &m;
    }
    const QString time =
        QDateTime::fromMSecsSinceEpoch(best->timeMs).toString(QStringLiteral("ddd HH:mm:ss"));
    QToolTip::showText(QCursor::pos(), time + QLatin1Char('\n') + best->text, this);
}

void MetricsChart::showEvent(QShowEvent *event)
{
    QChartView::showEvent(event);
    if (m_dirty)
        refresh();
}

void MetricsChart::hideEvent(QHideEvent *event)
{
    QChartView::hideEvent(event);
    QToolTip::hideText();
}

void MetricsChart::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    // Fewer time labels on a narrow chart, or they are elided to "13:28:...".
    m_timeAxis->setTickCount(width() < 420 ? 3 : width() < 640 ? 4 : 6);
    // The number of points follows the width; the next tick re-reads them.
    m_dirty = true;
}

} // namespace lifeline
