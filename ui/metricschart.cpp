#include "metricschart.h"

#include "engine/engineclient.h"
#include "metrics/metricshistory.h"
#include "metrics/systemsampler.h"
#include "uistyle.h"
#include "util/units.h"

#include <QCategoryAxis>
#include <QChart>
#include <QCursor>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QGraphicsLayout>
#include <QLegendMarker>
#include <QLineF>
#include <QLineSeries>
#include <QMouseEvent>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>

#include <algorithm>
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

int NiceTicks::count() const
{
    return int(std::lround((max - min) / step)) + 1;
}

int NiceTicks::decimals() const
{
    return std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
}

QList<double> NiceTicks::values() const
{
    QList<double> out;
    for (int i = 0; i < count(); ++i)
        out.append(min + i * step); // not accumulated: 0.1 + 0.1 + 0.1 is not 0.3
    return out;
}

NiceTicks niceTicks(double min, double max, int intervals)
{
    if (!std::isfinite(min) || !std::isfinite(max))
        return {};
    if (max < min)
        std::swap(min, max);
    if (max - min < 1e-12)
        max = min + 1;
    intervals = std::max(1, intervals);
    const double raw = (max - min) / intervals;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10 * magnitude;
    for (const double m : {1.0, 2.0, 5.0}) {
        if (m * magnitude >= raw * (1 - 1e-9)) {
            step = m * magnitude;
            break;
        }
    }
    // The tolerance keeps 0.30000000000000004 from growing a tick.
    NiceTicks t;
    t.step = step;
    t.min = std::floor(min / step + 1e-9) * step;
    t.max = std::ceil(max / step - 1e-9) * step;
    return t;
}

TimeTicks niceTimeTicks(qint64 fromMs, qint64 toMs, int maxTicks, qint64 utcOffsetMs)
{
    constexpr qint64 s = 1000;
    constexpr qint64 m = 60 * s;
    constexpr qint64 h = 60 * m;
    constexpr qint64 d = 24 * h;
    static constexpr qint64 steps[] = {s,      2 * s,  5 * s,  10 * s, 15 * s, 30 * s, m,     2 * m,
                                       5 * m,  10 * m, 15 * m, 30 * m, h,      2 * h,  3 * h, 6 * h,
                                       12 * h, d,      2 * d,  7 * d,  14 * d, 28 * d};
    TimeTicks t;
    if (toMs < fromMs)
        return t;
    maxTicks = std::max(1, maxTicks);
    const auto ticksOf = [fromMs, toMs, utcOffsetMs](qint64 step) {
        QList<qint64> out;
        const qint64 local = fromMs + utcOffsetMs;
        qint64 first = local - ((local % step) + step) % step; // floor, also before 1970
        if (first < local)
            first += step;
        for (qint64 tick = first - utcOffsetMs; tick <= toMs; tick += step)
            out.append(tick);
        return out;
    };
    for (const qint64 step : steps) {
        t.stepMs = step;
        if ((toMs - fromMs) / step <= maxTicks && ticksOf(step).size() <= maxTicks)
            break;
    }
    t.ticks = ticksOf(t.stepMs);
    if (t.stepMs < m)
        t.format = QStringLiteral("HH:mm:ss");
    else if (t.stepMs >= d)
        t.format = QStringLiteral("ddd d");
    else if (toMs - fromMs > d)
        t.format = QStringLiteral("ddd HH:mm");
    else
        t.format = QStringLiteral("HH:mm");
    return t;
}

QList<QList<QPointF>> splitAtGaps(const QList<QPointF> &points, double maxGap, int maxRuns)
{
    QList<qsizetype> cuts; // a run starts at each
    for (qsizetype i = 1; i < points.size(); ++i) {
        if (points.at(i).x() - points.at(i - 1).x() > maxGap)
            cuts.append(i);
    }
    if (cuts.size() > maxRuns - 1) {
        std::stable_sort(cuts.begin(), cuts.end(), [&points](qsizetype a, qsizetype b) {
            return points.at(a).x() - points.at(a - 1).x() > points.at(b).x() - points.at(b - 1).x();
        });
        cuts.resize(std::max(0, maxRuns - 1));
        std::sort(cuts.begin(), cuts.end());
    }
    QList<QList<QPointF>> runs;
    qsizetype begin = 0;
    cuts.append(points.size());
    for (const qsizetype end : std::as_const(cuts)) {
        if (end > begin)
            runs.append(points.mid(begin, end - begin));
        begin = end;
    }
    return runs;
}

QString systemFiguresText(const SystemSample &sample)
{
    QStringList parts;
    if (sample.cpuValid && sample.cpuCores > 0)
        parts << QStringLiteral("CPU %1 of %2 %3 busy")
                     .arg(QString::number(sample.cpuPercent / 100.0 * sample.cpuCores, 'f', 1))
                     .arg(sample.cpuCores)
                     .arg(sample.cpuCores == 1 ? QStringLiteral("core") : QStringLiteral("cores"));
    if (sample.memoryValid && sample.mem.totalBytes > 0)
        parts << QStringLiteral("memory %1 used of %2")
                     .arg(formatSize(sample.mem.totalBytes - sample.mem.availableBytes),
                          formatSize(sample.mem.totalBytes));
    for (const DiskUsage &d : sample.disks) {
        parts << QStringLiteral("disk %1 free of %2 on %3%4")
                     .arg(formatSize(d.availableBytes), formatSize(d.totalBytes), d.rootPath,
                          d.unavailable ? QStringLiteral(" (last known)") : QString());
    }
    return parts.join(QStringLiteral(" \u00b7 "));
}

namespace {

// Bounds the series a crash loop can add to a chart.
constexpr int kMaxRuns = 24;
// How near (pixels) the cursor must be to a marker for its text.
constexpr double kMarkerReach = 8;

QString formatValue(double v)
{
    return QString::number(v, 'f', std::abs(v) >= 100 ? 0 : 1);
}

// "14:02:11" today, "Fri 14:02:11" before.
QString clockText(qint64 timeMs, bool seconds = true)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(timeMs);
    const QString time = seconds ? QStringLiteral("HH:mm:ss") : QStringLiteral("HH:mm");
    return t.toString(t.date() == QDate::currentDate() ? time : QStringLiteral("ddd ") + time);
}

} // namespace

MetricsChart::MetricsChart(EngineClient *engine, QWidget *parent)
    : QChartView(parent)
    , m_engine(engine)
    , m_timeAxis(new QDateTimeAxis)
    , m_timeLabels(new QCategoryAxis)
    , m_valueAxis(new QValueAxis)
{
    setRenderHint(QPainter::Antialiasing);
    // A new sample changes the series, the axes and the title at once. The
    // default (the region of every changed item) clipped each antialiased
    // grid line pixel by pixel against a many-rectangle region: that was
    // most of the chart's repaint cost. One rectangle clips for free.
    setViewportUpdateMode(QGraphicsView::BoundingRectViewportUpdate);
    setMinimumSize(220, 160);
    auto *c = chart();
    c->setMargins(QMargins(4, 4, 4, 4));
    c->setBackgroundRoundness(0);
    c->legend()->setAlignment(Qt::AlignBottom);
    c->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    c->legend()->setFont(small);
    // QDateTimeAxis spreads its ticks evenly (13:02:37, 13:03:37...): it
    // stays for the series to be drawn against, and a category axis over
    // the same range carries the round times a person reads.
    m_timeAxis->setVisible(false);
    m_timeLabels->setLabelsFont(small);
    m_timeLabels->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    m_valueAxis->setLabelsFont(small);
    m_valueAxis->setMin(0);
    c->addAxis(m_timeAxis, Qt::AlignBottom);
    c->addAxis(m_timeLabels, Qt::AlignBottom);
    c->addAxis(m_valueAxis, Qt::AlignLeft);
    // "data since 14:02" goes under the times, clear of the markers along the top.
    m_timeLabels->setTitleFont(small);
    m_timeLabels->setTitleBrush(palette().color(QPalette::PlaceholderText));

    auto makeMarkers = [this, c](const QString &name, const QColor &color,
                                 QScatterSeries::MarkerShape shape) {
        auto *s = new QScatterSeries;
        s->setName(name);
        s->setColor(color);
        s->setBorderColor(color.darker(130));
        s->setMarkerShape(shape);
        s->setMarkerSize(11);
        c->addSeries(s);
        s->attachAxis(m_timeAxis);
        s->attachAxis(m_valueAxis);
        return s;
    };
    m_restartMarkers =
        makeMarkers(tr("restart"), UiStyle::severityColor(1), QScatterSeries::MarkerShapeTriangle);
    m_exitMarkers =
        makeMarkers(tr("exit"), UiStyle::severityColor(2), QScatterSeries::MarkerShapeRotatedRectangle);

    if (m_engine) {
        connect(m_engine, &EngineClient::sampled, this, &MetricsChart::refreshIfDue);
        connect(m_engine, &EngineClient::historyAnswered, this, [this](const HistoryAnswer &answer) {
            if (answer.id != m_pendingQuery)
                return; // another chart's, or one this chart no longer wants
            m_pendingQuery = 0;
            draw(answer);
            showSystemFigures();
            // Axis labels and the title are laid out now, not at the posted
            // layout request after the series were painted: one repaint per
            // sample instead of two.
            if (QGraphicsLayout *layout = chart()->layout())
                layout->activate();
            if (std::exchange(m_refreshAgain, false))
                refresh();
        });
    }
}

MetricsChart::~MetricsChart() = default;

void MetricsChart::setTitle(const QString &title)
{
    m_title = title;
    chart()->setTitle(title);
}

QString MetricsChart::title() const
{
    return chart()->title();
}

void MetricsChart::setShowsSystemFigures(bool on)
{
    if (on == m_showsSystemFigures || !m_engine)
        return;
    m_showsSystemFigures = on;
    if (on) {
        connect(m_engine, &EngineClient::sampled, this, &MetricsChart::updateSystemFigures);
        updateSystemFigures();
    } else {
        disconnect(m_engine, &EngineClient::sampled, this, &MetricsChart::updateSystemFigures);
        m_systemFigures.clear();
        chart()->setTitle(m_title);
    }
}

void MetricsChart::updateSystemFigures()
{
    m_systemFigures = systemFiguresText(m_engine->lastUsage().system);
    // A redraw asked for the same sample brings the title along: one
    // repaint of the chart per sample, not two.
    if (m_pendingQuery == 0)
        showSystemFigures();
}

void MetricsChart::showSystemFigures()
{
    if (!m_showsSystemFigures)
        return;
    const QString title =
        m_systemFigures.isEmpty() ? m_title : m_title + QStringLiteral(" \u2014 ") + m_systemFigures;
    if (title != chart()->title()) // the title is laid out again when it changes
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

QLineSeries *MetricsChart::addLine(const QPen &pen)
{
    auto *s = new QLineSeries;
    s->setPen(pen);
    chart()->addSeries(s);
    s->attachAxis(m_timeAxis);
    s->attachAxis(m_valueAxis);
    return s;
}

void MetricsChart::addSeries(const QString &service, const QString &metric, const QString &label,
                             const QColor &color, double scale)
{
    QPen pen(color);
    pen.setWidthF(1.6);
    QLineSeries *s = addLine(pen);
    s->setName(label);
    m_series.append(s);
    m_sources.append({service, metric, label, scale, pen, {s}, {}});
    m_firstSampleMs.reset();
    m_dirty = true;
}

void MetricsChart::clearSeries()
{
    for (const SeriesSource &src : std::as_const(m_sources)) {
        for (QLineSeries *s : src.runs) {
            chart()->removeSeries(s);
            delete s;
        }
    }
    m_series.clear();
    m_sources.clear();
    m_firstSampleMs.reset();
    m_dirty = true;
    m_pendingQuery = 0; // its answer is about series that are gone
    m_refreshAgain = false;
}

QList<QLineSeries *> MetricsChart::runsOf(int index) const
{
    QList<QLineSeries *> out;
    for (QLineSeries *s : m_sources.value(index).runs) {
        if (s->count() > 0)
            out.append(s);
    }
    return out;
}

void MetricsChart::setLimit(std::optional<double> value, const QString &label)
{
    if (value == m_limit && label == m_limitLabel)
        return; // the pane re-applies the limit with every snapshot of the service
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
        QPen pen(UiStyle::severityColor(2));
        pen.setStyle(Qt::DashLine);
        pen.setWidthF(1.4);
        m_limitSeries = addLine(pen);
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
    m_dirty = true;
    refresh();
}

void MetricsChart::setTimeRange(qint64 fromMs, qint64 toMs)
{
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(fromMs), QDateTime::fromMSecsSinceEpoch(toMs));
    const qint64 offsetMs = QDateTime::fromMSecsSinceEpoch(fromMs).offsetFromUtc() * 1000LL;
    const TimeTicks ticks = niceTimeTicks(fromMs, toMs, m_maxTimeTicks, offsetMs);
    m_timeLabels->setRange(double(fromMs), double(toMs));
    // The same round times as before (they move every 10 s on a 5 min
    // chart): each category removed and added again lays the chart out anew.
    if (ticks.ticks == m_shownTicks.ticks && ticks.format == m_shownTicks.format)
        return;
    m_shownTicks = ticks;
    ++m_timeLabelRebuilds;
    for (const QString &label : m_timeLabels->categoriesLabels())
        m_timeLabels->remove(label);
    // A category needs a width: the first one may end on the range's start.
    m_timeLabels->setStartValue(double(fromMs - 1));
    for (const qint64 t : ticks.ticks)
        m_timeLabels->append(QDateTime::fromMSecsSinceEpoch(t).toString(ticks.format), double(t));
}

int MetricsChart::plotWidth() const
{
    const int plot = int(chart()->plotArea().width());
    // Before the first layout the plot area is empty: estimate from the view.
    const int width = plot > 10 ? plot : viewport()->width() - 80;
    return std::max(50, width);
}

void MetricsChart::refreshIfDue()
{
    // A 7-day chart has ~13 min buckets: redrawing it at every 250 ms sample
    // changes nothing on screen and kept a 20-series chart permanently busy.
    // A young history is shown from its first sample: its buckets are small.
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 from = std::max(now - chartRangeMs(m_range), m_firstSampleMs.value_or(0));
    const qint64 bucketMs = (now - from) / std::max(1, plotWidth());
    if (isVisible() && m_sinceQuery.isValid() && m_sinceQuery.elapsed() < bucketMs / 2)
        return;
    refresh();
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
    m_sinceQuery.start();
    m_queryTo = QDateTime::currentMSecsSinceEpoch();
    m_rangeFrom = m_queryTo - chartRangeMs(m_range);
    // A history younger than the range is asked for from its first sample:
    // at the full rate of the last hour, not in the 5 min buckets of a week.
    m_queryFrom = std::max(m_rangeFrom, m_firstSampleMs.value_or(m_rangeFrom));
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

    // The resolution shown: a sample, a decimation bucket, or beyond five
    // minutes the history's 10 s buckets, whichever is coarsest.
    const qint64 sampleMs = m_engine ? m_engine->config().settings.sampleInterval.count() : 1000;
    const qint64 rangeMs = now - from;
    const qint64 resolution = std::max(
        {sampleMs, rangeMs / std::max(1, maxPoints),
         rangeMs > chartRangeMs(ChartRange::FiveMinutes) ? MetricsHistory::k10sBucketMs : qint64(0)});
    m_gapMs = 2.5 * double(resolution);

    double top = 0;
    for (qsizetype i = 0; i < m_sources.size(); ++i) {
        SeriesSource &src = m_sources[i];
        // The sources may have changed since the question: draw what was asked of them.
        QList<QPointF> points = i < answer.series.size() ? answer.series.at(i) : QList<QPointF>();
        for (QPointF &p : points) {
            p.setY(p.y() * src.scale);
            top = std::max(top, p.y());
        }
        const QList<QList<QPointF>> runs = splitAtGaps(points, m_gapMs, kMaxRuns);
        while (src.runs.size() < runs.size()) {
            QLineSeries *s = addLine(src.pen);
            s->setName(src.label);
            // One legend entry per series: the first run's.
            for (QLegendMarker *m : chart()->legend()->markers(s))
                m->setVisible(false);
            src.runs.append(s);
        }
        for (qsizetype r = 0; r < src.runs.size(); ++r) {
            if (r < runs.size())
                src.runs.at(r)->replace(runs.at(r));
            else if (src.runs.at(r)->count() > 0)
                src.runs.at(r)->clear();
        }
        src.points = std::move(points);
    }
    if (m_limit)
        top = std::max(top, *m_limit);

    const NiceTicks ticks = m_fixedRange ? niceTicks(m_fixedRange->first, m_fixedRange->second, 5)
                                         : niceTicks(0, std::max(m_minimumTop, top * 1.1), 5);
    m_valueAxis->setRange(ticks.min, ticks.max);
    if (m_valueAxis->tickCount() != ticks.count())
        m_valueAxis->setTickCount(ticks.count());
    if (const QString format = QStringLiteral("%.%1f").arg(ticks.decimals());
        m_valueAxis->labelFormat() != format)
        m_valueAxis->setLabelFormat(format);

    // A history younger than the range: the axis starts with it and says so.
    qint64 axisFrom = m_rangeFrom;
    m_sinceText.clear();
    m_firstSampleMs = answer.firstSampleMs;
    if (!m_sources.isEmpty()) {
        if (!answer.firstSampleMs) {
            m_sinceText = tr("no data yet");
        } else if (*answer.firstSampleMs > m_rangeFrom + qint64(m_gapMs) && *answer.firstSampleMs < now) {
            axisFrom = *answer.firstSampleMs;
            m_sinceText = tr("data since %1").arg(clockText(axisFrom, false));
            if (from < axisFrom - qint64(m_gapMs))
                m_refreshAgain = true; // asked too wide a range: ask again from the first sample
        }
    }
    if (m_timeLabels->titleText() != m_sinceText)
        m_timeLabels->setTitleText(m_sinceText);
    setTimeRange(axisFrom, now);

    if (m_limitSeries)
        m_limitSeries->replace({QPointF(double(axisFrom), *m_limit), QPointF(double(now), *m_limit)});

    m_restartEvents.clear();
    m_exitEvents.clear();
    if (m_eventService) {
        const double span = ticks.max - ticks.min;
        for (const HistoryEvent &e : answer.events) {
            const bool exit = e.kind == HistoryEventKind::Exit;
            if (!exit && e.kind != HistoryEventKind::Restart)
                continue;
            QString text = (exit ? tr("exited %1") : tr("restarted %1")).arg(clockText(e.timeMs));
            if (m_eventService->isEmpty() && !e.service.isEmpty())
                text = e.service + QLatin1Char(' ') + text;
            if (!e.text.isEmpty())
                text += QStringLiteral(" \u2014 ") + e.text;
            const double y = ticks.min + span * (exit ? 0.93 : 0.8);
            (exit ? m_exitEvents : m_restartEvents).append({QPointF(double(e.timeMs), y), text});
        }
    }
    // Bounded too: a crash loop over 7 days is thinned to the plot width.
    auto thin = [maxPoints](QList<Marker> &markers) {
        if (markers.size() > maxPoints) {
            QList<Marker> out;
            const double step = double(markers.size()) / maxPoints;
            for (int i = 0; i < maxPoints; ++i)
                out.append(markers.at(qsizetype(i * step)));
            markers = std::move(out);
        }
        QList<QPointF> points;
        for (const Marker &m : std::as_const(markers))
            points.append(m.point);
        return points;
    };
    m_restartMarkers->replace(thin(m_restartEvents));
    m_exitMarkers->replace(thin(m_exitEvents));
    // The "restart" / "exit" legend entries stay put: Qt Charts does not
    // re-lay out a legend whose markers are hidden and shown again, and the
    // labels end up drawn over each other.
    ++m_refreshCount;
}

QString MetricsChart::hoverTextAt(const QPoint &viewportPos) const
{
    const QPointF pos = chart()->mapFromScene(mapToScene(viewportPos));
    const QRectF plot = chart()->plotArea();
    if (!plot.adjusted(-kMarkerReach, -kMarkerReach, kMarkerReach, kMarkerReach).contains(pos))
        return {};
    const Marker *nearest = nullptr;
    double best = kMarkerReach;
    for (const auto &[series, markers] :
         {std::pair{m_exitMarkers, &m_exitEvents}, std::pair{m_restartMarkers, &m_restartEvents}}) {
        for (const Marker &m : *markers) {
            const double d = QLineF(chart()->mapToPosition(m.point, series), pos).length();
            if (d <= best) {
                best = d;
                nearest = &m;
            }
        }
    }
    if (nearest)
        return nearest->text;
    if (!plot.contains(pos))
        return {};
    const double t = chart()->mapToValue(pos, m_restartMarkers).x();
    QStringList lines{clockText(qint64(t))};
    for (const SeriesSource &src : m_sources) {
        // The sample nearest the cursor; none in a gap.
        const auto after = std::lower_bound(src.points.cbegin(), src.points.cend(), t,
                                            [](const QPointF &p, double x) { return p.x() < x; });
        const QPointF *closest = nullptr;
        if (after != src.points.cend())
            closest = &*after;
        if (after != src.points.cbegin() && (!closest || t - (after - 1)->x() < closest->x() - t))
            closest = &*(after - 1);
        if (closest && std::abs(closest->x() - t) <= m_gapMs / 2)
            lines << QStringLiteral("%1: %2 %3").arg(src.label, formatValue(closest->y()), m_unit);
        else
            lines << tr("%1: no data").arg(src.label);
    }
    return lines.join(QLatin1Char('\n'));
}

void MetricsChart::mouseMoveEvent(QMouseEvent *event)
{
    QChartView::mouseMoveEvent(event);
    const QString text = hoverTextAt(event->position().toPoint());
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, this);
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
    m_maxTimeTicks = width() < 420 ? 3 : width() < 640 ? 4 : 6;
    // The number of points follows the width; the next tick re-reads them.
    m_dirty = true;
}

} // namespace lifeline
