// The service table as a person uses it: sorted by a click on a header (a
// proxy over ServiceTableModel; the model keeps the services' own order),
// columns as wide as their widest realistic text, and, when the table is too
// narrow for every column, the low-priority ones (PID, Uptime, CPU) hidden
// rather than the table scrolling sideways.
#pragma once

#include "servicetablemodel.h"

#include <QTableView>

#include <array>

class QSortFilterProxyModel;

namespace lifeline {

class ServiceView;

class ServiceTableView final : public QTableView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServiceTableView)

public:
    explicit ServiceTableView(ServiceTableModel *model, QWidget *parent = nullptr);

    ServiceTableModel *serviceModel() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    // `index` is the view's (the proxy's); nullptr for an invalid one.
    ServiceView *serviceAt(const QModelIndex &index) const;
    // The view's index of a service's cell; invalid for an unknown name.
    QModelIndex indexOf(const QString &name, int column = 0) const;

    static const QList<int> &lowPriorityColumns();
    // The viewport width every column needs; below it the low-priority
    // columns hide.
    int widthForAllColumns() const;

protected:
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void fitColumns();
    void updateHiddenColumns();

    ServiceTableModel *m_model;
    QSortFilterProxyModel *m_proxy;
    std::array<int, ServiceTableModel::LastExit> m_widths{}; // fitted, of every column but the last
    int m_lastColumnMinimum = 0;
};

} // namespace lifeline
