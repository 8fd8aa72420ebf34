// View → Profile: one checkable entry per [profile.NAME] of the running
// configuration and "Default" (none), the active one checked. Choosing one
// asks the engine to switch (EngineClient::setProfile); the check follows
// the configuration the engine reports back, so a refused or pending switch
// never shows as done.
#pragma once

#include <QMenu>

class QActionGroup;

namespace lifeline {

class EngineClient;

class ProfileMenu final : public QMenu
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProfileMenu)

public:
    explicit ProfileMenu(EngineClient *engine, QWidget *parent = nullptr);

private:
    void rebuild();
    void syncChecks();

    EngineClient *m_engine;
    QActionGroup *m_group;
};

// "Lifeline", or "Lifeline — prod" while profile "prod" is active.
QString lifelineTitle(const QString &profile);

} // namespace lifeline
