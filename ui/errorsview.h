// The Errors tab of a service: its recurring error signatures (signature,
// count, trend over the last hour and the last day, last seen), most recent
// first; the sample of the selected one below, whole.
#pragma once

#include "errors/errorsignature.h"

#include <QAbstractTableModel>
#include <QPointer>
#include <QStyledItemDelegate>
#include <QWidget>

#include <functional>

class QLabel;
class QPlainTextEdit;
class QTableView;

namespace lifeline {

class ServiceView;

class ErrorsModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ErrorsModel)

public:
    enum Column
    {
        SignatureColumn,
        CountColumn,
        HourColumn, // sparkline: 12 buckets of 5 minutes
        DayColumn,  // sparkline: 24 buckets of an hour
        LastSeenColumn,
        ColumnCount
    };
    static constexpr int TrendRole = Qt::UserRole + 1; // QList<int>

    explicit ErrorsModel(QObject *parent = nullptr);
    void setSignatures(const QList<ErrorSignature> &signatures);
    const QList<ErrorSignature> &signatures() const { return m_signatures; }
    void setWallClock(std::function<qint64()> now) { m_now = std::move(now); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<ErrorSignature> m_signatures;
    std::function<qint64()> m_now;
};

// Bars of a TrendRole list, scaled to the largest.
class SparklineDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SparklineDelegate)

public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

class ErrorsView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ErrorsView)

public:
    explicit ErrorsView(QWidget *parent = nullptr);
    void setService(ServiceView *service);
    void setWallClock(std::function<qint64()> now) { m_model->setWallClock(std::move(now)); }

    QTableView *table() const { return m_table; }
    QPlainTextEdit *sampleView() const { return m_sample; }
    ErrorsModel *model() const { return m_model; }

private:
    void reload();
    void showSample();

    QPointer<ServiceView> m_service;
    ErrorsModel *m_model;
    QTableView *m_table;
    QPlainTextEdit *m_sample;
    QLabel *m_empty;
    QString m_selectedId; // kept selected across updates
};

} // namespace lifeline
