#include "profilemenu.h"

#include "engine/engineclient.h"

#include <QActionGroup>

namespace lifeline {

ProfileMenu::ProfileMenu(EngineClient *engine, QWidget *parent)
    : QMenu(tr("&Profile"), parent)
    , m_engine(engine)
    , m_group(new QActionGroup(this))
{
    setObjectName(QStringLiteral("profileMenu"));
    m_group->setExclusive(true);
    connect(m_engine, &EngineClient::configChanged, this, &ProfileMenu::rebuild);
    rebuild();
}

void ProfileMenu::rebuild()
{
    const Config &config = m_engine->config();
    clear(); // an action leaves its group when it is deleted
    const auto add = [this](const QString &label, const QString &profile, bool active) {
        QAction *a = addAction(label);
        a->setCheckable(true);
        a->setChecked(active);
        a->setData(profile);
        m_group->addAction(a);
        connect(a, &QAction::triggered, this, [this, profile] {
            m_engine->setProfile(profile);
            syncChecks(); // the check stays where it is until the engine has switched
        });
    };
    add(tr("Default"), QString(), config.profile.isEmpty());
    const QStringList names = config.profileNames();
    if (!names.isEmpty())
        addSeparator();
    for (const QString &name : names)
        add(name, name, config.profile == name);
    setToolTipsVisible(true);
    setEnabled(!names.isEmpty());
    setToolTip(names.isEmpty() ? tr("The configuration has no [profile.NAME] tables") : QString());
}

void ProfileMenu::syncChecks()
{
    for (QAction *a : m_group->actions())
        a->setChecked(a->data().toString() == m_engine->config().profile);
}

QString lifelineTitle(const QString &profile)
{
    return profile.isEmpty() ? QStringLiteral("Lifeline") : QStringLiteral("Lifeline — ") + profile;
}

} // namespace lifeline
