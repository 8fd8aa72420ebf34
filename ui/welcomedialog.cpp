#include "welcomedialog.h"

#include <QCommandLinkButton>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QSaveFile>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace lifeline {

WelcomeDialog::WelcomeDialog(const QString &configPath, bool demoAvailable, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(u"welcomeDialog"_s);
    setWindowTitle(tr("Welcome to Lifeline"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("<b>Lifeline keeps your local backends running.</b><br>"
                                "There is no configuration at %1 yet. How do you want to start?")
                                 .arg(configPath.toHtmlEscaped()),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    const auto option = [&](const QString &objectName, const QString &title, const QString &detail,
                            Choice c) {
        auto *b = new QCommandLinkButton(title, detail, this);
        b->setObjectName(objectName);
        layout->addWidget(b);
        connect(b, &QCommandLinkButton::clicked, this, [this, c] {
            emit chosen(c);
            accept();
        });
        return b;
    };
    option(u"welcomeImport"_s, tr("&Import from Procfile, supervisord or PM2…"),
           tr("Bring over the processes you already run; you see the result before it is saved."),
           Choice::Import)
        ->setDefault(true);
    option(u"welcomeEmpty"_s, tr("Start with an &empty configuration"),
           tr("Add services in the window with Services → Add service…"), Choice::Empty);
    if (demoAvailable)
        option(u"welcomeDemo"_s, tr("Try the &demo"),
               tr("Three small demo backends, one of them flaky: watch Lifeline restart it."), Choice::Demo);
}

bool WelcomeDialog::writeEmptyConfiguration(const QString &path, QString *error)
{
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (QFileInfo::exists(path))
        return fail(tr("%1 already exists; it was not changed.").arg(path));
    const QString dir = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(dir))
        return fail(tr("Cannot create the folder %1.").arg(dir));
    QSaveFile file(path);
    const QByteArray text =
        "# Lifeline configuration. Add services in the window (Services > Add service...,\n"
        "# File > Import...) or here, one [[service]] table each, for example:\n"
        "#\n"
        "# [[service]]\n"
        "# name = \"api\"\n"
        "# command = [\"python3\", \"-m\", \"http.server\", \"8000\"]\n"
        "# ports = [8000]\n"
        "# [service.health]\n"
        "# url = \"http://127.0.0.1:8000/\"\n";
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit())
        return fail(tr("Cannot write %1: %2").arg(path, file.errorString()));
    return true;
}

} // namespace lifeline
