// Finding a window's menu items the way a person does, for the ui tests.
#pragma once

#include <QAction>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>

// An action of the menu bar, found by the menu's title and the item's text
// (mnemonics ignored).
inline QAction *menuBarAction(QMainWindow &w, const QString &menu, const QString &text)
{
    const auto plain = [](QString s) { return s.remove(QLatin1Char('&')); };
    for (QAction *m : w.menuBar()->actions()) {
        if (!m->menu() || plain(m->text()) != menu)
            continue;
        for (QAction *a : m->menu()->actions()) {
            if (plain(a->text()) == text)
                return a;
        }
    }
    qFatal("no %s > %s in the menu bar", qPrintable(menu), qPrintable(text));
}
