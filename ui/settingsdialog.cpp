#include "settingsdialog.h"

#include "config/configwriter.h"
#include "metricschart.h"
#include "platform/autostart.h"
#include "uistyle.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace lifeline {

namespace {

const QString kNotificationsKey = QStringLiteral("notifications/enabled");
const QString kRangeKey = QStringLiteral("charts/defaultRange");

} // namespace

bool SettingsDialog::notificationsEnabled()
{
    return QSettings().value(kNotificationsKey, true).toBool();
}

void SettingsDialog::setNotificationsEnabled(bool enabled)
{
    QSettings().setValue(kNotificationsKey, enabled);
}

int SettingsDialog::defaultRange()
{
    const int range = QSettings().value(kRangeKey, int(ChartRange::FiveMinutes)).toInt();
    return range >= int(ChartRange::FiveMinutes) && range <= int(ChartRange::SevenDays)
               ? range
               : int(ChartRange::FiveMinutes);
}

void SettingsDialog::setDefaultRange(int range)
{
    QSettings().setValue(kRangeKey, range);
}

SettingsDialog::SettingsDialog(const QString &configPath, OnExit onExit, QWidget *parent)
    : QDialog(parent)
    , m_configPath(configPath)
    , m_currentOnExit(onExit)
    , m_program(QCoreApplication::applicationFilePath())
{
    setWindowTitle(tr("Lifeline settings"));
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;

    m_startAtLogin = new QCheckBox(tr("Start Lifeline when I log in (in the tray)"), this);
    m_startAtLogin->setChecked(Autostart::isEnabled());
    if (!Autostart::isSupported()) {
        m_startAtLogin->setEnabled(false);
        m_startAtLogin->setToolTip(tr("Not supported on this system"));
    } else {
        m_startAtLogin->setToolTip(Autostart::desktopFilePath());
    }
    form->addRow(tr("Login:"), m_startAtLogin);

    m_notifications = new QCheckBox(tr("Show notifications (crashes, restarts, unhealthy services)"), this);
    m_notifications->setChecked(notificationsEnabled());
    form->addRow(tr("Notifications:"), m_notifications);

    m_onExit = new QComboBox(this);
    m_onExit->addItem(tr("Ask what to do"), int(OnExit::Ask));
    m_onExit->addItem(tr("Stop the services"), int(OnExit::Stop));
    m_onExit->addItem(tr("Keep the services running"), int(OnExit::Keep));
    m_onExit->setCurrentIndex(m_onExit->findData(int(onExit)));
    m_onExit->setToolTip(tr("on_exit in %1").arg(configPath));
    m_onExit->setEnabled(!configPath.isEmpty());
    form->addRow(tr("When Lifeline quits:"), m_onExit);

    m_range = new QComboBox(this);
    for (const ChartRange r :
         {ChartRange::FiveMinutes, ChartRange::OneHour, ChartRange::OneDay, ChartRange::SevenDays})
        m_range->addItem(chartRangeLabel(r), int(r));
    m_range->setCurrentIndex(m_range->findData(defaultRange()));
    form->addRow(tr("Charts show the last:"), m_range);
    layout->addLayout(form);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("errorLabel"));
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(UiStyle::severityColor(2).name()));
    m_error->hide();
    layout->addWidget(m_error);

    m_buttons =
        new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::Apply, this);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    connect(m_buttons->button(QDialogButtonBox::Apply), &QPushButton::clicked, this, [this] { apply(); });
}

SettingsDialog::~SettingsDialog() = default;

QString SettingsDialog::execCommand() const
{
    return Autostart::execLine(m_program, m_configPath);
}

bool SettingsDialog::apply()
{
    QStringList errors;

    const bool wantAutostart = m_startAtLogin->isChecked();
    if (m_startAtLogin->isEnabled() && wantAutostart != Autostart::isEnabled()) {
        QString error;
        if (Autostart::setEnabled(wantAutostart, execCommand(), &error))
            emit autostartChanged(wantAutostart);
        else
            errors << error;
    }

    const bool notify = m_notifications->isChecked();
    if (notify != notificationsEnabled()) {
        setNotificationsEnabled(notify);
        emit notificationsChanged(notify);
    }

    const int range = m_range->currentData().toInt();
    if (range != defaultRange()) {
        setDefaultRange(range);
        emit defaultRangeChanged(range);
    }

    const OnExit onExit = OnExit(m_onExit->currentData().toInt());
    if (m_onExit->isEnabled() && onExit != m_currentOnExit) {
        QString error;
        if (ConfigWriter::setOnExit(m_configPath, onExit, &error)) {
            m_currentOnExit = onExit;
            emit onExitChanged(onExit);
        } else {
            errors << error;
        }
    }

    m_error->setText(errors.join(QLatin1Char('\n')));
    m_error->setVisible(!errors.isEmpty());
    return errors.isEmpty();
}

void SettingsDialog::accept()
{
    if (apply())
        QDialog::accept();
}

} // namespace lifeline
