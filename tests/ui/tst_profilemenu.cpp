// View → Profile in the window: found and triggered through the menu bar as
// a person would, it switches the engine's profile; the window title, the
// tray tooltip and the checked entry follow what the engine reports.
#include "config/configloader.h"
#include "mainwindow.h"
#include "supervise/fleet.h"
#include "testsupport.h"
#include "traycontroller.h"

#include <QAction>
#include <QFile>
#include <QMenu>
#include <QMenuBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace Qt::StringLiterals;
using namespace lifeline;

class TestProfileMenu : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    static QString plain(QString s) { return s.remove(u'&'); }

    // View → Profile, through the menu bar.
    static QMenu *profileMenu(MainWindow &w)
    {
        for (QAction *m : w.menuBar()->actions()) {
            if (!m->menu() || plain(m->text()) != u"View"_s)
                continue;
            for (QAction *a : m->menu()->actions()) {
                if (a->menu() && plain(a->text()) == u"Profile"_s)
                    return a->menu();
            }
        }
        return nullptr;
    }

    static QAction *entry(QMenu *menu, const QString &text)
    {
        for (QAction *a : menu->actions()) {
            if (plain(a->text()) == text)
                return a;
        }
        return nullptr;
    }

    Config load(const QByteArray &profiles)
    {
        const QString path = m_dir.filePath(u"lifeline.toml"_s);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(path));
        f.write("[settings]\nstate_dir = \"" + m_dir.filePath(u"state"_s).toUtf8() +
                "\"\n[[service]]\nname = \"api\"\ncommand = \"sleep 600\"\nautostart = false\n"
                "[[service]]\nname = \"worker\"\ncommand = \"sleep 600\"\nautostart = false\n" +
                profiles);
        f.close();
        const LoadResult r = ConfigLoader::loadFile(path);
        if (!r.ok())
            qFatal("config does not load");
        return *r.config;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void choosingAProfileSwitchesTheStack()
    {
        Config config = load("[profile.prod.api]\nenv = { MODE = \"prod\" }\n"
                             "[profile.dev.worker]\nenv = { MODE = \"dev\" }\n");
        TestEngine engine(config, {.liveReload = true});
        MainWindow w(engine.client());
        w.show();
        QTRY_COMPARE(engine.client()->services().size(), 2);
        QCOMPARE(w.windowTitle(), u"Lifeline"_s);
        QVERIFY(TrayController::toolTipFor(*engine.client()).startsWith(u"Lifeline — 0 of 2 running"_s));

        QMenu *menu = profileMenu(w);
        QVERIFY(menu);
        QVERIFY(menu->isEnabled());
        QStringList texts;
        for (QAction *a : menu->actions()) {
            if (!a->isSeparator())
                texts << plain(a->text());
        }
        QCOMPARE(texts, (QStringList{u"Default"_s, u"dev"_s, u"prod"_s}));
        QVERIFY(entry(menu, u"Default"_s)->isChecked());

        entry(menu, u"prod"_s)->trigger();
        QTRY_COMPARE(w.windowTitle(), u"prod"_s); // shown as "prod — Lifeline"
        QCOMPARE(engine.fleet().config().profile, u"prod"_s);
        QCOMPARE(engine.fleet().config().service(u"api"_s)->env.value(u"MODE"_s), u"prod"_s);
        menu = profileMenu(w);
        QTRY_VERIFY(entry(menu, u"prod"_s)->isChecked());
        QVERIFY(!entry(menu, u"Default"_s)->isChecked());
        QVERIFY2(
            TrayController::toolTipFor(*engine.client()).startsWith(u"Lifeline — prod — 0 of 2 running"_s),
            qPrintable(TrayController::toolTipFor(*engine.client())));

        entry(profileMenu(w), u"Default"_s)->trigger();
        QTRY_COMPARE(w.windowTitle(), u"Lifeline"_s);
        QCOMPARE(engine.fleet().config().profile, QString());
        QTRY_VERIFY(entry(profileMenu(w), u"Default"_s)->isChecked());
    }

    void withoutProfilesTheMenuIsDisabled()
    {
        TestEngine engine(load({}), {.liveReload = true});
        MainWindow w(engine.client());
        QTRY_COMPARE(engine.client()->services().size(), 2);
        QMenu *menu = profileMenu(w);
        QVERIFY(menu);
        QVERIFY(!menu->isEnabled());
        QVERIFY(entry(menu, u"Default"_s)->isChecked());
    }
};

QTEST_MAIN(TestProfileMenu)
#include "tst_profilemenu.moc"
