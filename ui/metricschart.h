// One chart of metric series from MetricsHistory over a chosen time range
// (style.md 3.7/3.8): points are asked for min/max-decimated to the plot
// width in pixels, so a series never holds more than 2 x width points
// whatever the range, and each series is updated with one replace() per
// sampler tick, never appended to. Nothing is redrawn while the chart is not
// visible (another tab, or the window hidden in the tray); it catches up
// when shown again.
// A line never bridges a time without samples (the service was down, or
// Lifeline was not running): each series is drawn as runs of points, split
// where two samples lie further apart than 2.5 times the resolution shown.
#pragma once

#include <QChartView>
#include <QColor>
#include <QElapsedTimer>
#include <QList>
#include <QPen>
#include <QPointF>
#include <QString>

#include <optional>

class QCategoryAxis;
class QDateTimeAxis;
class QLineSeries;
class QScatterSeries;
class QValueAxis;

namespace lifeline {

class EngineClient;
struct HistoryAnswer;
struct SystemSample;

enum class ChartRange
{
    FiveMinutes,
    OneHour,
    OneDay,
    SevenDays,
};
qint64 chartRangeMs(ChartRange range);
QString chartRangeLabel(ChartRange range); // "5 min", "1 h", "24 h", "7 d"

// Round axis ticks: 1, 2 or 5 x 10^n apart, from a multiple of the step at
// or below `min` to one at or above `max`, in at most `intervals` steps
// (0..10 in 5 is 0, 2, 4, 6, 8, 10). An empty range is widened to 0..1
// above `min`.
struct NiceTicks
{
    double min = 0;
    double max = 1;
    double step = 1;
    int count() const;    // ticks, both ends included
    int decimals() const; // digits after the point a label needs
    QList<double> values() const;
};
NiceTicks niceTicks(double min, double max, int intervals);

// Round times for a time axis, the finest of every 1, 2, 5, 10, 15 or 30 s,
// 1, 2, 5, 10, 15 or 30 min, 1, 2, 3, 6 or 12 h, 1, 2, 7, 14 or 28 days that puts at
// most `maxTicks` in [fromMs, toMs]; aligned in local time (utcOffsetMs
// east of UTC), so hours and days fall on the clock's hours and midnights.
struct TimeTicks
{
    qint64 stepMs = 0;
    QList<qint64> ticks;
    QString format; // QDateTime::toString: "HH:mm:ss", "HH:mm", "ddd HH:mm", "ddd d"
};
TimeTicks niceTimeTicks(qint64 fromMs, qint64 toMs, int maxTicks, qint64 utcOffsetMs);

// The runs of `points` (sorted by x) between gaps wider than `maxGap`. At
// most `maxRuns` runs: beyond that the narrowest gaps are bridged, so the
// widest holes always show.
QList<QList<QPointF>> splitAtGaps(const QList<QPointF> &points, double maxGap, int maxRuns);

// The machine in absolute figures:
// "CPU 1.3 of 2 cores busy · memory 5.1 GB used of 24 GB · disk 120 GB free of 500 GB on /".
QString systemFiguresText(const SystemSample &sample);

class MetricsChart final : public QChartView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MetricsChart)

public:
    // sampler may be null (then refresh() is only called by hand).
    // Reads the history through `engine` (answers come back asynchronously)
    // and redraws after every sample; engine may be null (an empty chart).
    explicit MetricsChart(EngineClient *engine, QWidget *parent = nullptr);
    ~MetricsChart() override;

    void setTitle(const QString &title);
    // Shown on the value axis and in the hover text: "%", "MB".
    void setUnit(const QString &unit);
    QString unit() const { return m_unit; }
    // A fixed value axis (e.g. 0..100 for percentages)...
    void setFixedValueRange(double min, double max);
    // ...or 0..(a round number above the largest value), at least minimumTop.
    void setAutoValueRange(double minimumTop);

    // One line per (service, metric); values are multiplied by scale
    // (e.g. 1e-6 for bytes -> MB). The empty service is the system.
    void addSeries(const QString &service, const QString &metric, const QString &label, const QColor &color,
                   double scale = 1.0);
    void clearSeries();

    // A dashed red horizontal line at `value` (display units); nullopt removes it.
    void setLimit(std::optional<double> value, const QString &label = QString());
    std::optional<double> limit() const { return m_limit; }

    // Restart and exit markers from history->events(service); nullopt: none.
    // The empty service means the events of every service. Exits (red
    // diamonds) sit on a row above restarts (amber triangles), so a crash
    // and the restart it caused a moment later both show.
    void setEventService(std::optional<QString> service);

    // The title then goes on with the machine's absolute figures
    // (systemFiguresText()), renewed with every sample.
    void setShowsSystemFigures(bool on);
    QString title() const;

    void setRange(ChartRange range);
    ChartRange range() const { return m_range; }

    // Re-reads the history and replaces every series, now if visible; when
    // hidden it only notes that a refresh is due at the next show.
    void refresh();
    // What a new sample calls: refresh() once the newest bucket can have
    // moved (every sample at 5 min; every few minutes at 7 days).
    void refreshIfDue();

    // The width of the plot area in pixels: the number of buckets asked for.
    int plotWidth() const;

    // What hovering at `viewportPos` shows: the marker under the cursor
    // ("exited 14:02:10 — exit code 3"), or the time and each series' value
    // there; empty outside the plot.
    QString hoverTextAt(const QPoint &viewportPos) const;

    // For tests and the pane.
    // The first run of each series (the one named in the legend).
    QList<QLineSeries *> dataSeries() const { return m_series; }
    // The runs of series `index` that hold points, in time order.
    QList<QLineSeries *> runsOf(int index) const;
    // Two samples further apart than this are not joined (ms).
    double gapMs() const { return m_gapMs; }
    // "data since 14:02" when the history starts inside the range (the time
    // axis then starts there too), "no data yet", or empty.
    QString dataSinceText() const { return m_sinceText; }
    QLineSeries *limitSeries() const { return m_limitSeries; }
    QScatterSeries *restartMarkers() const { return m_restartMarkers; }
    QScatterSeries *exitMarkers() const { return m_exitMarkers; }
    // The axis the series are drawn against (hidden) and the one a person
    // reads: round times (niceTimeTicks) over the same range.
    QDateTimeAxis *timeAxis() const { return m_timeAxis; }
    QCategoryAxis *timeLabels() const { return m_timeLabels; }
    QValueAxis *valueAxis() const { return m_valueAxis; }
    int refreshCount() const { return m_refreshCount; } // completed redraws
    // How often the round times under the chart were laid out anew.
    int timeLabelRebuilds() const { return m_timeLabelRebuilds; }
    bool isRefreshPending() const { return m_dirty || m_pendingQuery != 0; }

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;

private:
    struct SeriesSource
    {
        QString service;
        QString metric;
        QString label;
        double scale = 1.0;
        QPen pen;
        QList<QLineSeries *> runs; // runs.first() is in m_series
        QList<QPointF> points;     // as drawn, for the hover text
    };
    struct Marker
    {
        QPointF point;
        QString text; // the whole hover text
    };

    QLineSeries *addLine(const QPen &pen);
    void setTimeRange(qint64 fromMs, qint64 toMs);
    void updateSystemFigures();
    void showSystemFigures();
    void draw(const HistoryAnswer &answer);

    EngineClient *m_engine;
    quint64 m_pendingQuery = 0;  // asked, not yet answered
    bool m_refreshAgain = false; // a refresh came while one was asked
    qint64 m_rangeFrom = 0;      // where the range begins; the query may begin later
    qint64 m_queryFrom = 0;
    qint64 m_queryTo = 0;
    std::optional<qint64> m_firstSampleMs; // of the series, as the last answer said
    int m_queryPoints = 0;
    QList<SeriesSource> m_sources;
    QList<QLineSeries *> m_series;
    QLineSeries *m_limitSeries = nullptr;
    QScatterSeries *m_restartMarkers = nullptr;
    QScatterSeries *m_exitMarkers = nullptr;
    QList<Marker> m_restartEvents;
    QList<Marker> m_exitEvents;
    QDateTimeAxis *m_timeAxis;
    QCategoryAxis *m_timeLabels;
    int m_maxTimeTicks = 6;
    TimeTicks m_shownTicks; // what m_timeLabels shows
    int m_timeLabelRebuilds = 0;
    QValueAxis *m_valueAxis;
    QString m_sinceText;
    QString m_title;
    QString m_systemFigures;
    bool m_showsSystemFigures = false;
    double m_gapMs = 2500;
    QString m_unit;
    QString m_limitLabel;
    std::optional<double> m_limit;
    std::optional<QString> m_eventService;
    std::optional<std::pair<double, double>> m_fixedRange;
    double m_minimumTop = 1.0;
    ChartRange m_range = ChartRange::FiveMinutes;
    bool m_dirty = true;
    int m_refreshCount = 0;
    QElapsedTimer m_sinceQuery; // since the last question to the history
};

} // namespace lifeline
